/* The client's connection: one userdata owning one libcurl easy handle, kept
 * between requests so the connection and TLS session are reused. It only moves
 * bytes: URLs and bodies come from Lua, and the response goes back as
 * (status, body, retry_after) for Lua to judge. No Lua code runs while libcurl
 * is on the C stack. */
#include <string.h>
#include <unistd.h>

#include "modelslab.h"

typedef struct {
    CURL *curl;
    mlab_config config;
    mlab_sink sink;
    pid_t pid; /* process that made curl: a forked child reconnects */
} mlab_handle;

static mlab_handle *mlab_check_open(lua_State *L)
{
    mlab_handle *h = luaL_checkudata(L, 1, MLAB_HANDLE_MT);
    if (h->curl == NULL)
        luaL_error(L, "modelslab: the client is closed");
    return h;
}

static const char *mlab_make_curl(mlab_handle *h)
{
    h->curl = curl_easy_init();
    if (h->curl == NULL)
        return "curl_easy_init";
    h->pid = getpid();
    const char *failed = mlab_config_apply(&h->config, h->curl);
    return failed ? failed : mlab_sink_attach(&h->sink, h->curl);
}

/* core.new{ key=, user_agent=, ca_file=, timeout=, connect_timeout=,
 *           low_speed_time=, max_body= } -> handle. Lua validated the values. */
int mlab_handle_new(lua_State *L)
{
    /* The userdata exists (with its __gc) before anything is allocated, so a
     * raise below frees what was made so far. */
    mlab_handle *h = lua_newuserdata(L, sizeof *h);
    memset(h, 0, sizeof *h);
    h->sink.sock = CURL_SOCKET_BAD;
    luaL_getmetatable(L, MLAB_HANDLE_MT);
    lua_setmetatable(L, -2);
    mlab_config_read(L, 1, &h->config);
    const char *failed = mlab_make_curl(h);
    if (failed != NULL)
        return luaL_error(L, "modelslab: libcurl refused %s", failed);
    return 1;
}

/* After fork() the parent's connections must not be touched: cleaning them up
 * could write a TLS close_notify into the parent's stream. The old easy handle
 * is dropped (a one-time leak in the child) and a new one made. */
static void mlab_after_fork(lua_State *L, mlab_handle *h)
{
    const char *failed = mlab_make_curl(h);
    if (failed != NULL) {
        if (h->curl != NULL)
            curl_easy_cleanup(h->curl);
        h->curl = NULL;
        luaL_error(L, "modelslab: libcurl refused %s after fork", failed);
    }
}

/* handle:request(method, url [, body]) -> see mlab_push_result */
static int mlab_handle_request(lua_State *L)
{
    mlab_handle *h = mlab_check_open(L);
    if (getpid() != h->pid)
        mlab_after_fork(L, h);
    mlab_sink_reset(&h->sink, h->config.max_body);
    const char *failed = mlab_set_request(L, h->curl, &h->config, 2);
    if (failed != NULL)
        return luaL_error(L, "modelslab: libcurl refused %s", failed);
    CURLcode rc = curl_easy_perform(h->curl);
    mlab_sink_note_connection(&h->sink, h->curl);
    return mlab_push_result(L, &h->sink, h->curl, rc);
}

/* handle:drop_connection() -> true when the connection the last request used
 * was still open and is now shut: an answer on it was out of step with its
 * request, so nothing more may be read from it. */
static int mlab_handle_drop_connection(lua_State *L)
{
    mlab_handle *h = mlab_check_open(L);
    lua_pushboolean(L, getpid() == h->pid && mlab_sink_drop_connection(&h->sink));
    return 1;
}

/* One idempotent close for close(), __gc and __close. */
static int mlab_handle_close(lua_State *L)
{
    mlab_handle *h = luaL_checkudata(L, 1, MLAB_HANDLE_MT);
    if (h->curl != NULL && getpid() == h->pid)
        curl_easy_cleanup(h->curl);
    h->curl = NULL;
    mlab_config_free(&h->config);
    mlab_sink_free(&h->sink);
    return 0;
}

static int mlab_handle_tostring(lua_State *L)
{
    mlab_handle *h = luaL_checkudata(L, 1, MLAB_HANDLE_MT);
    lua_pushfstring(L, "modelslab.core.handle (%s)", h->curl ? "open" : "closed");
    return 1;
}

static int mlab_handle_is_open(lua_State *L)
{
    mlab_handle *h = luaL_checkudata(L, 1, MLAB_HANDLE_MT);
    lua_pushboolean(L, h->curl != NULL);
    return 1;
}

/* handle:poller(max_transfers) -> a poller with a copy of these settings. */
static int mlab_handle_poller(lua_State *L)
{
    mlab_handle *h = mlab_check_open(L);
    lua_Integer max = luaL_checkinteger(L, 2);
    luaL_argcheck(L, max >= 1 && max <= 1024, 2, "must be from 1 to 1024");
    return mlab_poller_new(L, &h->config, (int)max);
}

void mlab_handle_register(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "request", mlab_handle_request },
        { "poller", mlab_handle_poller },
        { "drop_connection", mlab_handle_drop_connection },
        { "close", mlab_handle_close },
        { "is_open", mlab_handle_is_open },
        { NULL, NULL },
    };
    mlab_new_type(L, MLAB_HANDLE_MT, methods, mlab_handle_close, mlab_handle_tostring);
}
