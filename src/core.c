/* modelslab.core: the C half of the modelslab module. It opens libcurl once,
 * and offers the connection handle, JSON through a private cjson, a monotonic
 * clock, a sleep and a private random generator. Users require "modelslab", never this module. */
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <time.h>

#include "modelslab.h"

/* The only global: curl_global_init must run once per process. */
static int mlab_curl_ready = 0;

/* core.now() -> seconds on a monotonic clock (immune to wall-clock jumps). */
static int mlab_now(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

/* core.sleep(seconds): blocks the thread; the Lua layer never uses it inside nginx. */
static int mlab_sleep(lua_State *L)
{
    double s = luaL_checknumber(L, 1);
    if (!(s > 0))
        return 0;
    if (s > 86400)
        s = 86400;
    struct timespec ts = { (time_t)s, (long)((s - floor(s)) * 1e9) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return 0;
}

/* core.getdate(text) -> epoch seconds | nil, for Retry-After's HTTP-date form. */
static int mlab_getdate(lua_State *L)
{
    time_t t = curl_getdate(luaL_checkstring(L, 1), NULL);
    if (t == -1)
        lua_pushnil(L);
    else
        lua_pushnumber(L, (lua_Number)t);
    return 1;
}

/* core.wall() -> seconds since the epoch, for comparing with HTTP-dates. */
static int mlab_wall(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

void mlab_new_type(lua_State *L, const char *name, const luaL_Reg *methods,
                   lua_CFunction close, lua_CFunction tostring)
{
    luaL_newmetatable(L, name);
    lua_newtable(L);
    mlab_setfuncs(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushstring(L, name); /* hides the metatable from getmetatable */
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
}

__attribute__((visibility("default"))) int luaopen_modelslab_core(lua_State *L);

int luaopen_modelslab_core(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        { "new", mlab_handle_new },
        { "now", mlab_now },
        { "wall", mlab_wall },
        { "sleep", mlab_sleep },
        { "getdate", mlab_getdate },
        { NULL, NULL },
    };
    if (!mlab_curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return luaL_error(L, "modelslab: libcurl failed to initialise");
        mlab_curl_ready = 1;
    }
    mlab_transport_register(L); /* before any handle: it must outlive them */
    mlab_handle_register(L);
    mlab_poller_register(L);
    lua_newtable(L);
    mlab_setfuncs(L, funcs);
    mlab_transport_funcs(L);
    mlab_json_register(L);
    mlab_document_register(L);
    lua_pushliteral(L, MLAB_CORE_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushstring(L, curl_version_info(CURLVERSION_NOW)->version);
    lua_setfield(L, -2, "curl_version");
    return 1;
}
