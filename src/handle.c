/* The client's connection settings: one userdata owning one libcurl easy
 * handle with the client's options applied once. Its transfers run on the
 * state's shared transport (transport.c), so the connections they use belong
 * to the shared cache, not to the client. It only moves bytes: URLs and
 * bodies come from Lua, and the answer goes back for Lua to judge, except on
 * the fast path of a plain success (a 2xx JSON object), which comes back
 * decoded. No Lua code runs while libcurl is on the C stack. */
#include <string.h>
#include <unistd.h>

#include "modelslab.h"

typedef struct {
    mlab_xfer xfer;
    CURL *curl;
    mlab_transport *transport;
    mlab_config config;
    mlab_sink sink;
    pid_t pid; /* process that made curl: a forked child makes its own */
} mlab_handle;

static const char *mlab_make_curl(lua_State *L, mlab_handle *h)
{
    h->transport = mlab_transport_get(L);
    h->curl = curl_easy_init();
    if (h->curl == NULL)
        return "curl_easy_init";
    h->pid = getpid();
    const char *failed = mlab_config_apply(&h->config, h->curl);
    if (failed == NULL)
        failed = mlab_transport_attach(h->transport, h->curl, &h->xfer);
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
    luaL_getmetatable(L, MLAB_HANDLE_MT);
    lua_setmetatable(L, -2);
    mlab_config_read(L, 1, &h->config);
    const char *failed = mlab_make_curl(L, h);
    if (failed != NULL)
        return luaL_error(L, "modelslab: libcurl refused %s", failed);
    return 1;
}

/* The open handle at index 1, with an easy handle of this process: after
 * fork() the parent's is dropped untouched (a one-time leak in the child). */
static mlab_handle *mlab_check_open(lua_State *L)
{
    mlab_handle *h = luaL_checkudata(L, 1, MLAB_HANDLE_MT);
    if (h->curl == NULL)
        luaL_error(L, "modelslab: the client is closed");
    if (h->pid != getpid()) {
        const char *failed = mlab_make_curl(L, h);
        if (failed != NULL) {
            if (h->curl != NULL)
                curl_easy_cleanup(h->curl);
            h->curl = NULL;
            luaL_error(L, "modelslab: libcurl refused %s after fork", failed);
        }
    }
    return h;
}

/* Sends (method, url [, body]) from index 2 and waits for the answer. */
static CURLcode mlab_handle_exchange(lua_State *L, mlab_handle *h)
{
    mlab_sink_reset(&h->sink, h->config.max_body);
    const char *failed = mlab_set_request(L, h->curl, &h->config, 2);
    if (failed != NULL)
        luaL_error(L, "modelslab: libcurl refused %s", failed);
    return mlab_transport_run(mlab_transport_check(L, h->transport), h->curl, &h->xfer);
}

/* 1 when the decoded object on top says "status": "error" (the API's error). */
static int mlab_is_api_error(lua_State *L)
{
    lua_getfield(L, -1, "status");
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    int yes = s != NULL && strcmp(s, "error") == 0;
    lua_pop(L, 1);
    return yes;
}

/* handle:fetch(method, url [, body]) -> decoded, status on a plain success: a
 * 2xx answer whose body is a JSON object without "status": "error". Anything
 * else -> nil, result (see mlab_push_result), for Lua's response handler to
 * judge (lua/modelslab/response.lua, which states the same rules). One call
 * per request: the poll loop crosses between Lua and C few times. */
static int mlab_handle_fetch(lua_State *L)
{
    mlab_handle *h = mlab_check_open(L);
    CURLcode rc = mlab_handle_exchange(L, h);
    long status = mlab_result_status(&h->sink, h->curl, rc);
    if (status >= 200 && status <= 299 && mlab_json_decode_object(L, h->sink.body, h->sink.len)) {
        if (!mlab_is_api_error(L)) {
            mlab_pushint(L, status);
            return 2;
        }
        lua_pop(L, 1);
    }
    lua_pushnil(L);
    return 1 + mlab_push_result(L, &h->sink, h->curl, rc);
}

/* handle:request(method, url [, body]) -> result (see mlab_push_result) */
static int mlab_handle_request(lua_State *L)
{
    mlab_handle *h = mlab_check_open(L);
    CURLcode rc = mlab_handle_exchange(L, h);
    return mlab_push_result(L, &h->sink, h->curl, rc);
}

/* One idempotent close for close(), __gc and __close. The connection stays
 * in the shared cache for the next client. */
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
        { "fetch", mlab_handle_fetch },
        { "request", mlab_handle_request },
        { "poller", mlab_handle_poller },
        { "close", mlab_handle_close },
        { "is_open", mlab_handle_is_open },
        { NULL, NULL },
    };
    mlab_new_type(L, MLAB_HANDLE_MT, methods, mlab_handle_close, mlab_handle_tostring);
}
