/* A small lua interpreter for `make asan` and `make gc-stress`, linked with
 * AddressSanitizer and UBSan. Preloading the sanitizer runtime into lua5.4
 * would also preload it into every process the specs start (sed, luarocks,
 * nginx, the simulator), whose own leaks at exit would fail the run; here the
 * runtime lives in this process only. usage: lua_asan [-e chunk]... script [args]
 * It closes the state at the end, so whatever the core still holds is a leak. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

static int mlab_report(lua_State *L, int status)
{
    if (status != LUA_OK) {
        fprintf(stderr, "lua_asan: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    return status;
}

static int mlab_traceback(lua_State *L)
{
    luaL_traceback(L, L, lua_tostring(L, 1), 1);
    return 1;
}

static int mlab_call(lua_State *L, int nargs)
{
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, mlab_traceback);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, 0, base);
    lua_remove(L, base);
    return mlab_report(L, status);
}

int main(int argc, char **argv)
{
    lua_State *L = luaL_newstate();
    if (L == NULL)
        return 1;
    luaL_openlibs(L);
    int i = 1;
    int status = LUA_OK;
    for (; i + 1 < argc && strcmp(argv[i], "-e") == 0 && status == LUA_OK; i += 2) {
        status = mlab_report(L, luaL_loadstring(L, argv[i + 1]));
        if (status == LUA_OK)
            status = mlab_call(L, 0);
    }
    if (status == LUA_OK && i >= argc) {
        fprintf(stderr, "usage: %s [-e chunk]... script [args]\n", argv[0]);
        status = LUA_ERRRUN;
    }
    if (status == LUA_OK) {
        /* arg as lua.c makes it: arg[-1] this interpreter (specs start
         * children with it), arg[0] the script, arg[1..] its arguments. */
        lua_createtable(L, argc - i - 1, 2);
        for (int k = i - 1; k < argc; k++) {
            lua_pushstring(L, k < i ? argv[0] : argv[k]);
            lua_rawseti(L, -2, k - i);
        }
        lua_setglobal(L, "arg");
        status = mlab_report(L, luaL_loadfile(L, argv[i]));
        if (status == LUA_OK) {
            for (int k = i + 1; k < argc; k++)
                lua_pushstring(L, argv[k]);
            status = mlab_call(L, argc - i - 1);
        }
    }
    lua_close(L);
    return status == LUA_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}
