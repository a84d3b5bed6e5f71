/* Declarations shared by the core's files. Everything here is hidden from the
 * shared object's exports by -fvisibility=hidden; only luaopen_modelslab_core is
 * public. */
#ifndef MLAB_MODELSLAB_H
#define MLAB_MODELSLAB_H

#include "compat.h"

#define MLAB_CORE_VERSION "0.1.0"
#define MLAB_HANDLE_MT "modelslab.core.handle"

/* handle.c: the userdata owning one libcurl easy handle. */
void mlab_handle_register(lua_State *L);
int mlab_handle_new(lua_State *L);

/* json.c: the private lua-cjson instance. */
void mlab_json_register(lua_State *L);

/* curlcodes.c: libcurl error codes by stable name. */
const char *mlab_curlcode_name(int code);

#endif
