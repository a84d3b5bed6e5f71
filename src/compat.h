/* Differences between Lua 5.1-5.4 and LuaJIT 2.1, hidden behind private names.
 * Never define lua_* / luaL_* here: LuaJIT exports some 5.2 symbols and a clash
 * would break loading there. */
#ifndef MLAB_COMPAT_H
#define MLAB_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM >= 502
#define mlab_rawlen(L, i) lua_rawlen((L), (i))
#else
#define mlab_rawlen(L, i) lua_objlen((L), (i))
#endif

/* Register funcs into the table on top of the stack (no upvalues needed here). */
static inline void mlab_setfuncs(lua_State *L, const luaL_Reg *l)
{
    for (; l->name != NULL; l++) {
        lua_pushcfunction(L, l->func);
        lua_setfield(L, -2, l->name);
    }
}

/* The userdata at index i if it carries metatable tname, else NULL. */
static inline void *mlab_testudata(lua_State *L, int i, const char *tname)
{
    void *p = lua_touserdata(L, i);
    if (p == NULL || !lua_getmetatable(L, i))
        return NULL;
    luaL_getmetatable(L, tname);
    if (!lua_rawequal(L, -1, -2))
        p = NULL;
    lua_pop(L, 2);
    return p;
}

/* Push an integer as a Lua integer where the language has them. */
#if LUA_VERSION_NUM >= 503
#define mlab_pushint(L, n) lua_pushinteger((L), (lua_Integer)(n))
#else
#define mlab_pushint(L, n) lua_pushnumber((L), (lua_Number)(n))
#endif

#endif
