/* The poller: many transfers at once, driven by calls that never block
 * (perform, timeout) or block only when asked (wait). Its transfers run on the
 * state's shared multi (transport.c) with every other poller's and client's;
 * each slot has its own easy handle and response sink, and a finished
 * transfer waits in its slot until this poller's perform() collects it. Lua
 * names transfers by an integer id and keeps the queue beyond the slots. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "modelslab.h"

typedef struct {
    mlab_xfer xfer;
    CURL *curl;
    mlab_sink sink;
    lua_Integer id; /* Lua's name for the transfer in this slot; 0 when free */
} mlab_slot;

typedef struct {
    mlab_transport *transport; /* NULL once closed */
    mlab_config config;
    mlab_slot *slots;
    int nslots;
    int active; /* slots in use: running, or finished and not yet collected */
    pid_t pid;
} mlab_poller;

static mlab_poller *mlab_check_poller(lua_State *L)
{
    mlab_poller *p = luaL_checkudata(L, 1, MLAB_POLLER_MT);
    if (p->transport == NULL)
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
    p->transport = mlab_transport_get(L);
    /* Keep as many idle connections as transfers run at once, for reuse. */
    mlab_transport_keep(p->transport, max_transfers);
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
            failed = mlab_transport_attach(p->transport, s->curl, &s->xfer);
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
    if (!mlab_transport_add(p->transport, s->curl, &s->xfer))
        return luaL_error(L, "modelslab: curl_multi_add_handle failed");
    s->id = id;
    p->active++;
    lua_pushboolean(L, 1);
    return 1;
}

/* poller:perform() -> a list of this poller's finished transfers, each a
 * result table (see mlab_push_result) with `id`. Never blocks. */
static int mlab_poller_perform(lua_State *L)
{
    mlab_poller *p = mlab_check_poller(L);
    CURLMcode mc = mlab_transport_perform(p->transport);
    if (mc != CURLM_OK)
        return luaL_error(L, "modelslab: curl_multi_perform: %s", curl_multi_strerror(mc));
    lua_newtable(L);
    int n = 0;
    for (int i = 0; i < p->nslots; i++) {
        mlab_slot *s = &p->slots[i];
        if (s->id == 0 || s->xfer.state != MLAB_XFER_DONE)
            continue;
        mlab_push_result(L, &s->sink, s->curl, s->xfer.rc);
        mlab_pushint(L, s->id);
        lua_setfield(L, -2, "id");
        lua_rawseti(L, -2, ++n);
        s->xfer.state = MLAB_XFER_IDLE;
        s->id = 0;
        p->active--;
    }
    return 1;
}

/* 1 when a finished transfer waits for perform(). */
static int mlab_poller_has_done(mlab_poller *p)
{
    for (int i = 0; i < p->nslots; i++)
        if (p->slots[i].id != 0 && p->slots[i].xfer.state == MLAB_XFER_DONE)
            return 1;
    return 0;
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
    if (mlab_poller_has_done(p))
        return 0;
    CURLMcode mc = curl_multi_poll(p->transport->multi, NULL, 0, (int)ms, NULL);
    if (mc != CURLM_OK)
        return luaL_error(L, "modelslab: curl_multi_poll: %s", curl_multi_strerror(mc));
    return 0;
}

/* poller:timeout() -> ms until libcurl wants perform() again (-1: no timer). */
static int mlab_poller_timeout(lua_State *L)
{
    mlab_poller *p = mlab_check_poller(L);
    long ms = -1;
    if (mlab_poller_has_done(p))
        ms = 0;
    else
        curl_multi_timeout(p->transport->multi, &ms);
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

/* poller:close() -> the ids of the transfers it aborted. Idempotent; __gc too.
 * The connections stay in the shared cache. */
static int mlab_poller_close(lua_State *L)
{
    mlab_poller *p = luaL_checkudata(L, 1, MLAB_POLLER_MT);
    int owner = p->pid == getpid() && p->transport != NULL;
    lua_newtable(L);
    int n = 0;
    for (int i = 0; p->slots != NULL && i < p->nslots; i++) {
        mlab_slot *s = &p->slots[i];
        if (s->id != 0) {
            mlab_pushint(L, s->id);
            lua_rawseti(L, -2, ++n);
            if (owner)
                mlab_transport_remove(p->transport, s->curl, &s->xfer);
        }
        /* In a forked child the parent's connections are left alone. */
        if (s->curl != NULL && owner)
            curl_easy_cleanup(s->curl);
        mlab_sink_free(&s->sink);
    }
    p->transport = NULL;
    free(p->slots);
    p->slots = NULL;
    p->nslots = p->active = 0;
    mlab_config_free(&p->config);
    return 1;
}

static int mlab_poller_tostring(lua_State *L)
{
    mlab_poller *p = luaL_checkudata(L, 1, MLAB_POLLER_MT);
    if (p->transport == NULL)
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
        { "close", mlab_poller_close },
        { NULL, NULL },
    };
    mlab_new_type(L, MLAB_POLLER_MT, methods, mlab_poller_close, mlab_poller_tostring);
}
