/* The poller: many transfers at once on libcurl's multi interface, driven by
 * calls that never block (perform, timeout) or block only when asked (wait).
 * Each transfer has a slot with its own easy handle and response sink; Lua
 * names transfers by an integer id and keeps the queue beyond the slots. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "modelslab.h"

typedef struct {
    CURL *curl;
    mlab_sink sink;
    lua_Integer id; /* Lua's name for the transfer in this slot; 0 when free */
    lua_Integer done_id; /* the last transfer that finished here */
} mlab_slot;

typedef struct {
    CURLM *multi;
    mlab_config config;
    mlab_slot *slots;
    int nslots;
    int active;
    pid_t pid;
} mlab_poller;

static mlab_poller *mlab_check_poller(lua_State *L)
{
    mlab_poller *p = luaL_checkudata(L, 1, MLAB_POLLER_MT);
    if (p->multi == NULL)
        luaL_error(L, "modelslab: the poller is closed");
    if (p->pid != getpid())
        luaL_error(L, "modelslab: a poller cannot cross fork(); make it in the process that uses it");
    return p;
}

int mlab_poller_new(lua_State *L, const mlab_config *c, int max_transfers)
{
    mlab_poller *p = lua_newuserdata(L, sizeof *p);
    memset(p, 0, sizeof *p);
    luaL_getmetatable(L, MLAB_POLLER_MT);
    lua_setmetatable(L, -2);
    p->pid = getpid();
    p->slots = calloc((size_t)max_transfers, sizeof *p->slots);
    if (p->slots == NULL || !mlab_config_copy(&p->config, c))
        return luaL_error(L, "modelslab: out of memory");
    p->nslots = max_transfers;
    p->multi = curl_multi_init();
    if (p->multi == NULL)
        return luaL_error(L, "modelslab: curl_multi_init failed");
    /* Keep as many idle connections as transfers run at once, for reuse. */
    curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)max_transfers);
    return 1;
}

static mlab_slot *mlab_free_slot(mlab_poller *p)
{
    for (int i = 0; i < p->nslots; i++)
        if (p->slots[i].id == 0)
            return &p->slots[i];
    return NULL;
}

/* poller:start(id, method, url [, body]) -> true, or false when every slot is busy */
static int mlab_poller_start(lua_State *L)
{
    mlab_poller *p = mlab_check_poller(L);
    lua_Integer id = luaL_checkinteger(L, 2);
    luaL_argcheck(L, id > 0, 2, "id must be positive");
    mlab_slot *s = mlab_free_slot(p);
    if (s == NULL) {
        lua_pushboolean(L, 0);
        return 1;
    }
    if (s->curl == NULL) {
        s->curl = curl_easy_init();
        const char *failed = s->curl ? mlab_config_apply(&p->config, s->curl) : "curl_easy_init";
        if (failed == NULL)
            failed = mlab_sink_attach(&s->sink, s->curl);
        if (failed != NULL) {
            if (s->curl)
                curl_easy_cleanup(s->curl);
            s->curl = NULL;
            return luaL_error(L, "modelslab: libcurl refused %s", failed);
        }
    }
    mlab_sink_reset(&s->sink, p->config.max_body);
    const char *failed = mlab_set_request(L, s->curl, &p->config, 3);
    /* Over https, wait for a connection that may turn out to be HTTP/2 (ALPN,
     * known after its handshake) and multiplex on it rather than open another.
     * Over plain http that would queue behind the first response, so no. */
    const char *url = lua_tostring(L, 4);
    long https = strncasecmp(url, "https:", 6) == 0;
    if (failed == NULL && curl_easy_setopt(s->curl, CURLOPT_PIPEWAIT, https) != CURLE_OK)
        failed = "CURLOPT_PIPEWAIT";
    if (failed != NULL)
        return luaL_error(L, "modelslab: libcurl refused %s", failed);
    if (curl_multi_add_handle(p->multi, s->curl) != CURLM_OK)
        return luaL_error(L, "modelslab: curl_multi_add_handle failed");
    s->id = id;
    p->active++;
    lua_pushboolean(L, 1);
    return 1;
}

static mlab_slot *mlab_slot_of(mlab_poller *p, CURL *curl)
{
    for (int i = 0; i < p->nslots; i++)
        if (p->slots[i].curl == curl)
            return &p->slots[i];
    return NULL;
}

/* poller:perform() -> a list of finished transfers, each a table
 * { id, <the values of mlab_push_result> }. Never blocks. */
static int mlab_poller_perform(lua_State *L)
{
    mlab_poller *p = mlab_check_poller(L);
    int running = 0;
    CURLMcode mc = curl_multi_perform(p->multi, &running);
    if (mc != CURLM_OK)
        return luaL_error(L, "modelslab: curl_multi_perform: %s", curl_multi_strerror(mc));
    lua_newtable(L);
    int list = lua_gettop(L), n = 0, left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        mlab_slot *s = mlab_slot_of(p, msg->easy_handle);
        CURLcode rc = msg->data.result;
        if (s != NULL)
            mlab_sink_note_connection(&s->sink, s->curl);
        curl_multi_remove_handle(p->multi, msg->easy_handle); /* msg is invalid from here */
        if (s == NULL)
            continue;
        lua_createtable(L, 5, 0);
        mlab_pushint(L, s->id);
        lua_rawseti(L, -2, 1);
        int k = mlab_push_result(L, &s->sink, s->curl, rc);
        for (int i = k; i >= 1; i--) /* value i is on top, the table below them */
            lua_rawseti(L, -(i + 1), i + 1);
        lua_rawseti(L, list, ++n);
        s->done_id = s->id;
        s->id = 0;
        p->active--;
    }
    return 1;
}

/* poller:drop_connection(id) -> true when the connection finished transfer id
 * used was still open and is now shut (see handle:drop_connection). Only
 * until its slot starts another transfer. */
static int mlab_poller_drop_connection(lua_State *L)
{
    mlab_poller *p = mlab_check_poller(L);
    lua_Integer id = luaL_checkinteger(L, 2);
    int dropped = 0;
    for (int i = 0; id > 0 && i < p->nslots; i++)
        if (p->slots[i].done_id == id && p->slots[i].id == 0)
            dropped = mlab_sink_drop_connection(&p->slots[i].sink);
    lua_pushboolean(L, dropped);
    return 1;
}

/* poller:wait(ms): blocks until a transfer has something to do or ms pass. */
static int mlab_poller_wait(lua_State *L)
{
    mlab_poller *p = mlab_check_poller(L);
    lua_Integer ms = luaL_checkinteger(L, 2);
    if (ms < 0)
        ms = 0;
    if (ms > 60000)
        ms = 60000;
    CURLMcode mc = curl_multi_poll(p->multi, NULL, 0, (int)ms, NULL);
    if (mc != CURLM_OK)
        return luaL_error(L, "modelslab: curl_multi_poll: %s", curl_multi_strerror(mc));
    return 0;
}

/* poller:timeout() -> ms until libcurl wants perform() again (-1: no timer). */
static int mlab_poller_timeout(lua_State *L)
{
    mlab_poller *p = mlab_check_poller(L);
    long ms = -1;
    curl_multi_timeout(p->multi, &ms);
    lua_pushinteger(L, (lua_Integer)ms);
    return 1;
}

/* poller:active() -> transfers in flight. */
static int mlab_poller_active(lua_State *L)
{
    mlab_poller *p = luaL_checkudata(L, 1, MLAB_POLLER_MT);
    lua_pushinteger(L, p->active);
    return 1;
}

/* poller:close() -> the ids of the transfers it aborted. Idempotent; __gc too. */
static int mlab_poller_close(lua_State *L)
{
    mlab_poller *p = luaL_checkudata(L, 1, MLAB_POLLER_MT);
    int owner = p->pid == getpid();
    lua_newtable(L);
    int n = 0;
    for (int i = 0; p->slots != NULL && i < p->nslots; i++) {
        mlab_slot *s = &p->slots[i];
        if (s->id != 0) {
            mlab_pushint(L, s->id);
            lua_rawseti(L, -2, ++n);
            if (owner)
                curl_multi_remove_handle(p->multi, s->curl);
        }
        /* In a forked child the parent's connections are left alone. */
        if (s->curl != NULL && owner)
            curl_easy_cleanup(s->curl);
        mlab_sink_free(&s->sink);
    }
    if (p->multi != NULL && owner)
        curl_multi_cleanup(p->multi);
    p->multi = NULL;
    free(p->slots);
    p->slots = NULL;
    p->nslots = p->active = 0;
    mlab_config_free(&p->config);
    return 1;
}

static int mlab_poller_tostring(lua_State *L)
{
    mlab_poller *p = luaL_checkudata(L, 1, MLAB_POLLER_MT);
    if (p->multi == NULL)
        lua_pushliteral(L, "modelslab.core.poller (closed)");
    else
        lua_pushfstring(L, "modelslab.core.poller (%d of %d slots busy)", p->active, p->nslots);
    return 1;
}

void mlab_poller_register(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "start", mlab_poller_start },
        { "perform", mlab_poller_perform },
        { "wait", mlab_poller_wait },
        { "timeout", mlab_poller_timeout },
        { "active", mlab_poller_active },
        { "drop_connection", mlab_poller_drop_connection },
        { "close", mlab_poller_close },
        { NULL, NULL },
    };
    mlab_new_type(L, MLAB_POLLER_MT, methods, mlab_poller_close, mlab_poller_tostring);
}
