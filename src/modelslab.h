/* Declarations shared by the core's files. Everything here is hidden from the
 * shared object's exports by -fvisibility=hidden; only luaopen_modelslab_core is
 * public. */
#ifndef MLAB_MODELSLAB_H
#define MLAB_MODELSLAB_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "compat.h"

#define MLAB_CORE_VERSION "0.1.0"
#define MLAB_HANDLE_MT "modelslab.core.handle"
#define MLAB_POLLER_MT "modelslab.core.poller"

/* config.c: a client's settings, applied to every easy handle it makes. */
typedef struct {
    struct curl_slist *get_headers;   /* key, Accept */
    struct curl_slist *post_headers;  /* the same plus Content-Type */
    char *user_agent;
    char *ca_file;
    long timeout_ms;
    long connect_timeout_ms;
    long low_speed_time;
    size_t max_body;
} mlab_config;

void mlab_config_read(lua_State *L, int t, mlab_config *c);
int mlab_config_copy(mlab_config *dst, const mlab_config *src);
void mlab_config_free(mlab_config *c);
const char *mlab_config_apply(const mlab_config *c, CURL *curl);

/* sink.c: one transfer's response, gathered in C (no Lua while libcurl runs). */
typedef struct {
    char *body;
    size_t len, cap, max_body;
    int too_large;
    char retry_after[64];
    char errbuf[CURL_ERROR_SIZE];
} mlab_sink;

const char *mlab_sink_attach(mlab_sink *s, CURL *curl);
void mlab_sink_reset(mlab_sink *s, size_t max_body);
void mlab_sink_free(mlab_sink *s);
const char *mlab_set_request(lua_State *L, CURL *curl, const mlab_config *c, int method_i);
int mlab_push_result(lua_State *L, mlab_sink *s, CURL *curl, CURLcode rc);
long mlab_result_status(mlab_sink *s, CURL *curl, CURLcode rc);

/* transport.c: the multi and the shared caches every client and poller of a
 * Lua state uses; finished transfers go back to the record of their starter. */
enum { MLAB_XFER_IDLE, MLAB_XFER_RUNNING, MLAB_XFER_DONE };
typedef struct {
    int state;
    CURLcode rc; /* when DONE */
} mlab_xfer;

typedef struct {
    CURLM *multi;
    CURLSH *share;
    pid_t pid;        /* the process they belong to */
    long maxconnects; /* idle connections kept */
    uint64_t random;  /* core.random's state */
} mlab_transport;

void mlab_transport_register(lua_State *L);
void mlab_transport_funcs(lua_State *L);
mlab_transport *mlab_transport_get(lua_State *L);
mlab_transport *mlab_transport_check(lua_State *L, mlab_transport *t);
void mlab_transport_keep(mlab_transport *t, long n);
const char *mlab_transport_attach(mlab_transport *t, CURL *curl, mlab_xfer *x);
int mlab_transport_add(mlab_transport *t, CURL *curl, mlab_xfer *x);
void mlab_transport_remove(mlab_transport *t, CURL *curl, mlab_xfer *x);
CURLMcode mlab_transport_perform(mlab_transport *t);
CURLcode mlab_transport_run(mlab_transport *t, CURL *curl, mlab_xfer *x);

/* core.c: registers a userdata type; close serves close(), __gc and __close. */
void mlab_new_type(lua_State *L, const char *name, const luaL_Reg *methods,
                   lua_CFunction close, lua_CFunction tostring);

/* handle.c and poller.c: the userdata types. */
void mlab_handle_register(lua_State *L);
int mlab_handle_new(lua_State *L);
void mlab_poller_register(lua_State *L);
int mlab_poller_new(lua_State *L, const mlab_config *c, int max_transfers);

/* document.c: core.check_status, the status document's validation. */
void mlab_document_register(lua_State *L);

/* json.c: the private lua-cjson instance. */
void mlab_json_register(lua_State *L);
int mlab_json_decode_object(lua_State *L, const char *text, size_t len);

/* decode.c: JSON text to Lua values; NULL and the value pushed, or the reason
 * pushed and returned. */
const char *mlab_decode(lua_State *L, const char *text, size_t len);

/* curlcodes.c: libcurl error codes by stable name. */
const char *mlab_curlcode_name(int code);

#endif
