/* The Lua state the fuzz harnesses share: the core's C files are compiled into
 * the harness and preloaded as modelslab.core, the Lua modules come from the
 * checkout (MLAB_ROOT), and cjson from the system. A line hook maps the Lua
 * code that runs into libFuzzer's extra counters, so the fuzzer is guided by
 * the Lua validation paths too, not only by the instrumented C. */
#include <stdio.h>
#include <stdlib.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "lua_env.h"

#ifndef MLAB_ROOT
#error "build with -DMLAB_ROOT=\"/path/to/checkout\""
#endif

int luaopen_modelslab_core(lua_State *L);

/* libFuzzer (Linux) reads every byte in this section as coverage. */
__attribute__((section("__libfuzzer_extra_counters"), used))
static uint8_t mlab_fuzz_counters[1 << 16];

static lua_State *mlab_fuzz_L = NULL;
static int mlab_fuzz_checker = LUA_NOREF;
static uintptr_t mlab_fuzz_prev = 0;

/* One counter per (previous line, this line) pair, like an edge in C code.
 * The source pointer is the chunk's interned name, stable for the process. */
static void mlab_fuzz_hook(lua_State *L, lua_Debug *ar)
{
    if (!lua_getinfo(L, "S", ar))
        return;
    uintptr_t here = ((uintptr_t)ar->source * 2654435761u) ^ (uintptr_t)ar->currentline * 40503u;
    uint8_t *counter = &mlab_fuzz_counters[(here ^ mlab_fuzz_prev) & (sizeof mlab_fuzz_counters - 1)];
    if (*counter < 255) /* saturate: a wrap to 0 would read as "not reached" */
        (*counter)++;
    mlab_fuzz_prev = here >> 1;
}

static int mlab_fuzz_traceback(lua_State *L)
{
    luaL_traceback(L, L, lua_tostring(L, 1), 1);
    return 1;
}

static void mlab_fuzz_close(void)
{
    if (mlab_fuzz_L != NULL)
        lua_close(mlab_fuzz_L);
    mlab_fuzz_L = NULL;
}

static void mlab_fuzz_die(lua_State *L, const char *what)
{
    fprintf(stderr, "fuzz: %s: %s\n", what, lua_tostring(L, -1));
    abort();
}

void mlab_fuzz_setup(const char *script, const char *arg)
{
    if (mlab_fuzz_L != NULL)
        return;
    lua_State *L = luaL_newstate();
    if (L == NULL)
        abort();
    mlab_fuzz_L = L;
    atexit(mlab_fuzz_close);
    luaL_openlibs(L);

    lua_getglobal(L, "package");
    lua_pushliteral(L, MLAB_ROOT "/lua/?.lua;" MLAB_ROOT "/lua/?/init.lua;" MLAB_ROOT "/fuzz/?.lua");
    lua_setfield(L, -2, "path");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, luaopen_modelslab_core);
    lua_setfield(L, -2, "modelslab.core");
    lua_pop(L, 2);

    lua_pushcfunction(L, mlab_fuzz_traceback);
    char path[4096];
    snprintf(path, sizeof path, "%s/fuzz/%s", MLAB_ROOT, script);
    if (luaL_loadfile(L, path) != 0)
        mlab_fuzz_die(L, "loading the checker");
    if (lua_pcall(L, 0, 1, 1) != 0)
        mlab_fuzz_die(L, "running the checker script");
    lua_pushstring(L, arg);
    if (lua_pcall(L, 1, 1, 1) != 0)
        mlab_fuzz_die(L, "setting the checker up");
    if (!lua_isfunction(L, -1)) {
        lua_pushliteral(L, "the setup did not return a function");
        mlab_fuzz_die(L, "setting the checker up");
    }
    mlab_fuzz_checker = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1); /* the traceback function */
    lua_sethook(L, mlab_fuzz_hook, LUA_MASKLINE, 0);
}

void mlab_fuzz_check(const uint8_t *data, size_t size)
{
    lua_State *L = mlab_fuzz_L;
    lua_pushcfunction(L, mlab_fuzz_traceback);
    lua_rawgeti(L, LUA_REGISTRYINDEX, mlab_fuzz_checker);
    lua_pushlstring(L, (const char *)data, size);
    if (lua_pcall(L, 1, 0, -3) != 0)
        mlab_fuzz_die(L, "property broken");
    lua_pop(L, 1);
    /* Whatever the input allocated is garbage now: collecting it keeps
     * mallocs and frees balanced, so libFuzzer's per-input leak check only
     * fires for memory that really leaked. */
    lua_gc(L, LUA_GCCOLLECT, 0);
}
