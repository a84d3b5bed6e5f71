/* JSON: decoding by our own decoder (decode.c), encoding through a private
 * lua-cjson instance (cjson.new()), so the settings we need (a small nesting
 * limit, no NaN/Infinity/hex) never touch the global `cjson` other code in the
 * same Lua state relies on. Decoded documents come back as plain tables: JSON
 * null becomes an absent key, never a sentinel. */
#include "modelslab.h"

#define MLAB_JSON_MAX_DEPTH 32

/* Calls instance[name](arg) for cjson's configuration functions. */
static void mlab_json_config(lua_State *L, int inst, const char *name, int bool_arg, int num_arg)
{
    lua_getfield(L, inst, name);
    if (num_arg >= 0)
        lua_pushinteger(L, num_arg);
    else
        lua_pushboolean(L, bool_arg);
    lua_call(L, 1, 0);
}

/* core.decode(text) -> value | nil, message */
static int mlab_json_decode(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    lua_settop(L, 1);
    const char *why = mlab_decode(L, text, len);
    if (why != NULL) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    return 1;
}

/* Decodes text that should be a JSON object, for the core's fast path: pushes
 * the table and returns 1, or pushes nothing and returns 0 (Lua then judges
 * the raw answer and says what is wrong with it). */
int mlab_json_decode_object(lua_State *L, const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i == len || text[i] != '{')
        return 0;
    if (mlab_decode(L, text, len) != NULL) {
        lua_pop(L, 1);
        return 0;
    }
    return 1;
}

/* core.encode(value) -> text | nil, message */
static int mlab_json_encode(lua_State *L)
{
    lua_settop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    if (lua_pcall(L, 1, 1, 0) != 0) {
        lua_pushnil(L);
        lua_insert(L, -2);
    }
    return lua_gettop(L);
}

/* Adds decode and encode to the module table on top of the stack. */
void mlab_json_register(lua_State *L)
{
    int mod = lua_gettop(L);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "cjson");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "new");
    lua_call(L, 0, 1);
    int inst = lua_gettop(L);
    mlab_json_config(L, inst, "encode_max_depth", 0, MLAB_JSON_MAX_DEPTH);
    mlab_json_config(L, inst, "encode_invalid_numbers", 0, -1);
    lua_pushcfunction(L, mlab_json_decode);
    lua_setfield(L, mod, "decode");
    lua_getfield(L, inst, "encode");
    lua_pushcclosure(L, mlab_json_encode, 1);
    lua_setfield(L, mod, "encode");
    lua_settop(L, mod);
}
