/* libFuzzer harness for the decoding and validation path: every input goes to
 * modelslab.decode_status, modelslab.decode_webhook and modelslab.parse_time
 * (see decode_check.lua for the properties checked). The core's C is compiled
 * in with the sanitizers; the process keeps one Lua state and closes it at exit. */
#include <stddef.h>
#include <stdint.h>

#include "lua_env.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    mlab_fuzz_setup("decode_check.lua", "");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mlab_fuzz_check(data, size);
    return 0;
}
