/* The Lua side of the fuzz harnesses: one lua_State per process with the core
 * compiled in, the project's Lua modules, and a checker script whose function
 * raises when a property is broken. */
#ifndef MLAB_FUZZ_LUA_ENV_H
#define MLAB_FUZZ_LUA_ENV_H

#include <stddef.h>
#include <stdint.h>

/* Opens the state (once; closed at exit), runs MLAB_ROOT/fuzz/<script>, calls
 * the function it returns with `arg`, and keeps the function that call
 * returns as the per-input checker. */
void mlab_fuzz_setup(const char *script, const char *arg);

/* Calls the checker with the input as a Lua string; abort()s (a crash for
 * libFuzzer) with the Lua traceback when it raises. */
void mlab_fuzz_check(const uint8_t *data, size_t size);

#endif
