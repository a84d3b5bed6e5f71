/* Declarations shared by the core's files. Everything here is hidden from the
 * shared object's exports by -fvisibility=hidden; only luaopen_modelslab_core is
 * public. */
#ifndef MLAB_MODELSLAB_H
#define MLAB_MODELSLAB_H

#include <curl/curl.h>
#include <stddef.h>
#include <sys/socket.h>
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
    char *proxy;  /* NULL: libcurl reads the environment; "": no proxy */
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
    /* The connection the last transfer used, while libcurl keeps it. */
    curl_socket_t sock;
    struct sockaddr_storage local, peer;
    socklen_t local_len, peer_len;
} mlab_sink;

const char *mlab_sink_attach(mlab_sink *s, CURL *curl);
void mlab_sink_reset(mlab_sink *s, size_t max_body);
void mlab_sink_free(mlab_sink *s);
const char *mlab_set_request(lua_State *L, CURL *curl, const mlab_config *c, int method_i);
int mlab_push_result(lua_State *L, mlab_sink *s, CURL *curl, CURLcode rc);
void mlab_sink_note_connection(mlab_sink *s, CURL *curl);
int mlab_sink_drop_connection(mlab_sink *s);

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

/* curlcodes.c: libcurl error codes by stable name. */
const char *mlab_curlcode_name(int code);

#endif
