/* Validation of a decoded status document, in place: the documented shape or
 * a message saying what is wrong. It runs on every poll, so it lives in C
 * (in Lua it cost as much as the HTTP request itself). Unknown fields are
 * left alone; ids become integers; `steps` becomes an empty sequence when
 * absent; `output.output` and `output.proxy_links` become sequences. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "modelslab.h"

#define MLAB_MAX_ID 9007199254740992.0 /* 2^53: every integer up to it is exact */

/* Pushes a message and returns it as the reason, for one-line failures. */
static const char *mlab_fail(lua_State *L, const char *fmt, const char *a, int i)
{
    if (i > 0)
        lua_pushfstring(L, fmt, i, a);
    else
        lua_pushfstring(L, fmt, a);
    return lua_tostring(L, -1);
}

/* 1 when the value at index i is nil or of the given type. */
static int mlab_optional(lua_State *L, int t, const char *key, int type)
{
    lua_getfield(L, t, key);
    int ok = lua_isnil(L, -1) || lua_type(L, -1) == type;
    lua_pop(L, 1);
    return ok;
}

/* A JSON array decodes to a table with keys 1..n and nothing else. */
static int mlab_is_sequence(lua_State *L, int t)
{
    size_t n = 0, len = mlab_rawlen(L, t);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        n++;
    }
    return n == len;
}

static const char *mlab_check_execution(lua_State *L, int doc)
{
    static const char *const strings[] = { "workflow_id", "started_at", "completed_at", NULL };
    lua_getfield(L, doc, "execution");
    int e = lua_gettop(L);
    if (!lua_istable(L, e))
        return "execution is missing or not an object";
    lua_getfield(L, e, "id");
    double id = lua_type(L, -1) == LUA_TNUMBER ? (double)lua_tonumber(L, -1) : 0;
    lua_pop(L, 1);
    if (!(id >= 1 && id <= MLAB_MAX_ID && id == floor(id)))
        return "execution.id is not a positive integer";
    mlab_pushint(L, id); /* lua-cjson 2.1.0 gives every number as a float */
    lua_setfield(L, e, "id");
    lua_getfield(L, e, "status");
    size_t len = 0;
    int ok = lua_type(L, -1) == LUA_TSTRING && (lua_tolstring(L, -1, &len), len > 0);
    lua_pop(L, 1);
    if (!ok)
        return "execution.status is not a string";
    for (int i = 0; strings[i] != NULL; i++)
        if (!mlab_optional(L, e, strings[i], LUA_TSTRING))
            return mlab_fail(L, "execution.%s is not a string", strings[i], 0);
    if (!mlab_optional(L, e, "execution_time", LUA_TNUMBER))
        return "execution.execution_time is not a number";
    lua_pop(L, 1);
    return NULL;
}

static const char *mlab_check_steps(lua_State *L, int doc)
{
    lua_getfield(L, doc, "steps");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, doc, "steps");
    }
    int steps = lua_gettop(L);
    if (!lua_istable(L, steps) || !mlab_is_sequence(L, steps))
        return "steps is not an array";
    int n = (int)mlab_rawlen(L, steps);
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, steps, i);
        int s = lua_gettop(L);
        if (!lua_istable(L, s))
            return mlab_fail(L, "steps[%d] is not an object", "", i);
        if (!(lua_getfield(L, s, "name"), lua_type(L, -1) == LUA_TSTRING))
            return mlab_fail(L, "steps[%d].%s is not a string", "name", i);
        if (!(lua_getfield(L, s, "status"), lua_type(L, -1) == LUA_TSTRING))
            return mlab_fail(L, "steps[%d].%s is not a string", "status", i);
        if (!mlab_optional(L, s, "started_at", LUA_TSTRING) || !mlab_optional(L, s, "completed_at", LUA_TSTRING))
            return mlab_fail(L, "steps[%d] has a timestamp that is not a string", "", i);
        lua_settop(L, steps);
    }
    lua_pop(L, 1);
    return NULL;
}

typedef struct {
    long index;
    int ref; /* stack slot of the value */
} mlab_keyed;

static int mlab_by_index(const void *a, const void *b)
{
    long x = ((const mlab_keyed *)a)->index, y = ((const mlab_keyed *)b)->index;
    return (x > y) - (x < y);
}

/* Turns the table at t, an object keyed "0", "1", ... (older endpoints),
 * into a sequence pushed on the stack. 0 when the keys are not all indexes. */
static int mlab_keyed_to_list(lua_State *L, int t)
{
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        n++;
    }
    if (n > 4096 || !lua_checkstack(L, n + 5))
        return 0;
    /* A userdata rather than malloc: the Lua calls below raise when memory
     * runs out, and a malloc'd block would leak. The list takes its slot. */
    mlab_keyed *keys = lua_newuserdata(L, sizeof *keys * (size_t)(n ? n : 1));
    int base = lua_gettop(L), k = 0, ok = 1;
    lua_pushnil(L);
    while (ok && lua_next(L, t)) {
        const char *s = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        char *end = NULL;
        long index = s && *s >= '0' && *s <= '9' ? strtol(s, &end, 10) : -1;
        ok = index >= 0 && end != NULL && *end == '\0';
        if (ok) {
            keys[k].index = index;
            keys[k].ref = base + k + 1;
            k++;
            lua_insert(L, -2); /* keep the value below the key */
        } else {
            lua_pop(L, 2);
        }
    }
    if (ok) {
        qsort(keys, (size_t)k, sizeof *keys, mlab_by_index);
        lua_createtable(L, k, 0);
        for (int i = 0; i < k; i++) {
            lua_pushvalue(L, keys[i].ref);
            lua_rawseti(L, -2, i + 1);
        }
        lua_replace(L, base);
    }
    lua_settop(L, ok ? base : base - 1);
    return ok;
}

static const char *mlab_check_output(lua_State *L, int doc)
{
    static const char *const lists[] = { "output", "proxy_links", NULL };
    lua_getfield(L, doc, "output");
    int out = lua_gettop(L);
    if (lua_isnil(L, out)) {
        lua_pop(L, 1);
        return NULL;
    }
    if (!lua_istable(L, out))
        return "output is not an object";
    for (int i = 0; lists[i] != NULL; i++) {
        lua_getfield(L, out, lists[i]);
        int list = lua_gettop(L);
        if (!lua_isnil(L, list)) {
            int ok = lua_istable(L, list);
            if (ok && !mlab_is_sequence(L, list)) {
                ok = mlab_keyed_to_list(L, list);
                if (ok) {
                    lua_pushvalue(L, -1);
                    lua_setfield(L, out, lists[i]);
                    lua_replace(L, list);
                }
            }
            int n = ok ? (int)mlab_rawlen(L, list) : 0;
            for (int j = 1; ok && j <= n; j++) {
                lua_rawgeti(L, list, j);
                ok = lua_type(L, -1) == LUA_TSTRING;
                lua_pop(L, 1);
            }
            if (!ok)
                return mlab_fail(L, "output.%s is not a list of URLs", lists[i], 0);
        }
        lua_settop(L, out);
    }
    lua_pop(L, 1);
    return NULL;
}

/* core.check_status(doc) -> doc | nil, message */
static int mlab_check_status(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    const char *why = mlab_check_execution(L, 1);
    if (why == NULL)
        why = mlab_check_steps(L, 1);
    if (why == NULL)
        why = mlab_check_output(L, 1);
    if (why == NULL && !mlab_optional(L, 1, "error", LUA_TSTRING))
        why = "error is not a string";
    if (why != NULL) {
        lua_pushnil(L);
        lua_pushstring(L, why);
        return 2;
    }
    lua_settop(L, 1);
    return 1;
}

void mlab_document_register(lua_State *L)
{
    lua_pushcfunction(L, mlab_check_status);
    lua_setfield(L, -2, "check_status");
    lua_pushnumber(L, MLAB_MAX_ID); /* the one definition; check.lua reads it here */
    lua_setfield(L, -2, "MAX_EXECUTION_ID");
}
