/* The client's connection: one userdata owning one libcurl easy handle, kept
 * between requests so the connection and TLS session are reused. It only moves
 * bytes: URLs, headers and bodies come from Lua, and the response goes back as
 * (status, body, retry_after) for Lua to judge. No Lua code runs while libcurl
 * is on the C stack. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "modelslab.h"

typedef struct {
    CURL *curl;
    struct curl_slist *get_headers;
    struct curl_slist *post_headers;
    char *user_agent;
    char *ca_file;
    long timeout_ms;
    long connect_timeout_ms;
    long low_speed_time;
    pid_t pid;              /* process that made curl: a forked child reconnects */
    char *body;             /* response body, reused between requests */
    size_t len, cap, max_body;
    int too_large;
    char retry_after[64];   /* raw Retry-After value of the last response */
    char errbuf[CURL_ERROR_SIZE];
} mlab_handle;

static mlab_handle *mlab_check_open(lua_State *L)
{
    mlab_handle *h = luaL_checkudata(L, 1, MLAB_HANDLE_MT);
    if (h->curl == NULL)
        luaL_error(L, "modelslab: the client is closed");
    return h;
}

/* Growing the body ourselves (not with luaL_Buffer) because a Lua allocation
 * error here would longjmp through libcurl. */
static size_t mlab_on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    mlab_handle *h = ud;
    size_t n = size * nmemb;
    if (n > h->max_body - h->len) {
        h->too_large = 1;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    if (h->len + n > h->cap) {
        size_t cap = h->cap ? h->cap : 4096;
        while (cap < h->len + n)
            cap *= 2;
        char *p = realloc(h->body, cap);
        if (p == NULL)
            return 0;
        h->body = p;
        h->cap = cap;
    }
    memcpy(h->body + h->len, data, n);
    h->len += n;
    return n;
}

/* Keeps only Retry-After, from the final response (a new status line resets it). */
static size_t mlab_on_header(char *line, size_t size, size_t nitems, void *ud)
{
    mlab_handle *h = ud;
    size_t n = size * nitems;
    static const char name[] = "retry-after:";
    if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        h->retry_after[0] = '\0';
    } else if (n > sizeof name - 1 && strncasecmp(line, name, sizeof name - 1) == 0) {
        size_t i = sizeof name - 1, j = 0;
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        while (i < n && j < sizeof h->retry_after - 1 && line[i] >= 0x20 && line[i] < 0x7f)
            h->retry_after[j++] = line[i++];
        h->retry_after[j] = '\0';
    }
    return n;
}

#define MLAB_SETOPT(h, opt, val) \
    do { if (curl_easy_setopt((h)->curl, (opt), (val)) != CURLE_OK) return #opt; } while (0)

/* Applies the client's settings to a fresh easy handle; returns the name of the
 * option libcurl refused, or NULL. */
static const char *mlab_configure(mlab_handle *h)
{
    MLAB_SETOPT(h, CURLOPT_NOSIGNAL, 1L);
    MLAB_SETOPT(h, CURLOPT_ERRORBUFFER, h->errbuf);
    MLAB_SETOPT(h, CURLOPT_WRITEFUNCTION, mlab_on_body);
    MLAB_SETOPT(h, CURLOPT_WRITEDATA, (void *)h);
    MLAB_SETOPT(h, CURLOPT_HEADERFUNCTION, mlab_on_header);
    MLAB_SETOPT(h, CURLOPT_HEADERDATA, (void *)h);
    MLAB_SETOPT(h, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    MLAB_SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
    /* A server dripping bytes fails after low_speed_time, not the whole timeout. */
    MLAB_SETOPT(h, CURLOPT_LOW_SPEED_LIMIT, 10L);
    MLAB_SETOPT(h, CURLOPT_LOW_SPEED_TIME, h->low_speed_time);
    MLAB_SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_body);
    MLAB_SETOPT(h, CURLOPT_ACCEPT_ENCODING, "");
    MLAB_SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L);
    /* Redirects are never followed: libcurl would send the key header along. */
    MLAB_SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    MLAB_SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    MLAB_SETOPT(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    MLAB_SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
    MLAB_SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
    MLAB_SETOPT(h, CURLOPT_USERAGENT, h->user_agent);
    if (h->ca_file != NULL) {
        MLAB_SETOPT(h, CURLOPT_CAINFO, h->ca_file);
        /* Without this, OpenSSL also scans the CA directory on every new
         * connection, which costs tens of milliseconds of CPU. */
        MLAB_SETOPT(h, CURLOPT_CAPATH, (char *)NULL);
    }
    return NULL;
}

static char *mlab_strdup_opt(lua_State *L, int t, const char *field)
{
    char *copy = NULL;
    lua_getfield(L, t, field);
    if (!lua_isnil(L, -1)) {
        size_t n;
        const char *s = luaL_checklstring(L, -1, &n);
        if (strlen(s) != n)
            luaL_error(L, "modelslab: %s contains a NUL byte", field);
        copy = malloc(n + 1);
        if (copy != NULL)
            memcpy(copy, s, n + 1);
    }
    lua_pop(L, 1);
    return copy;
}

static long mlab_long_opt(lua_State *L, int t, const char *field, double scale)
{
    lua_getfield(L, t, field);
    double v = luaL_checknumber(L, -1) * scale;
    lua_pop(L, 1);
    if (!(v >= 1 && v <= 1e9))
        luaL_error(L, "modelslab: %s out of range", field);
    return (long)v;
}

/* Rejects what could split a header line; Lua checks first, this is the floor. */
static int mlab_header_safe(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
            return 0;
    return 1;
}

static const char *mlab_make_curl(mlab_handle *h)
{
    h->curl = curl_easy_init();
    if (h->curl == NULL)
        return "curl_easy_init";
    h->pid = getpid();
    return mlab_configure(h);
}

/* core.new{ key=, user_agent=, ca_file=, timeout=, connect_timeout=,
 *           low_speed_time=, max_body= } -> handle. Lua validated the values. */
int mlab_handle_new(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    /* The userdata exists (with its __gc) before anything is allocated, so a
     * raise below frees what was made so far. */
    mlab_handle *h = lua_newuserdata(L, sizeof *h);
    memset(h, 0, sizeof *h);
    luaL_getmetatable(L, MLAB_HANDLE_MT);
    lua_setmetatable(L, -2);

    h->timeout_ms = mlab_long_opt(L, 1, "timeout", 1000);
    h->connect_timeout_ms = mlab_long_opt(L, 1, "connect_timeout", 1000);
    h->low_speed_time = mlab_long_opt(L, 1, "low_speed_time", 1);
    lua_getfield(L, 1, "max_body");
    double max_body = luaL_checknumber(L, -1);
    lua_pop(L, 1);
    if (!(max_body >= 1 && max_body <= 1e9))
        return luaL_error(L, "modelslab: max_body out of range");
    h->max_body = (size_t)max_body;

    lua_getfield(L, 1, "key");
    size_t klen;
    const char *key = luaL_checklstring(L, -1, &klen);
    if (klen == 0 || klen > 4096 || !mlab_header_safe(key, klen))
        return luaL_error(L, "modelslab: api_key is empty, too long or contains CR, LF or NUL");
    char *line = malloc(klen + 6);
    if (line == NULL)
        return luaL_error(L, "modelslab: out of memory");
    memcpy(line, "key: ", 5);
    memcpy(line + 5, key, klen + 1);
    lua_pop(L, 1);

    const char *common[] = { line, "Accept: application/json", NULL };
    int ok = 1;
    for (int i = 0; common[i] != NULL && ok; i++) {
        struct curl_slist *g = curl_slist_append(h->get_headers, common[i]);
        struct curl_slist *p = g ? curl_slist_append(h->post_headers, common[i]) : NULL;
        if (g) h->get_headers = g;
        if (p) h->post_headers = p;
        ok = g && p;
    }
    memset(line, 0, klen + 5); /* the key lives on only inside the header list */
    free(line);
    if (ok) {
        /* "Expect:" stops libcurl from waiting on 100-continue for large bodies. */
        struct curl_slist *p = curl_slist_append(h->post_headers, "Content-Type: application/json");
        if (p) h->post_headers = p;
        p = p ? curl_slist_append(h->post_headers, "Expect:") : NULL;
        if (p) h->post_headers = p;
        ok = p != NULL;
    }
    if (!ok)
        return luaL_error(L, "modelslab: out of memory");

    h->user_agent = mlab_strdup_opt(L, 1, "user_agent");
    h->ca_file = mlab_strdup_opt(L, 1, "ca_file");
    if (h->user_agent == NULL || !mlab_header_safe(h->user_agent, strlen(h->user_agent)))
        return luaL_error(L, "modelslab: user_agent missing or contains CR or LF");

    const char *failed = mlab_make_curl(h);
    if (failed != NULL)
        return luaL_error(L, "modelslab: libcurl refused %s", failed);
    return 1;
}

/* After fork() the parent's connections must not be touched: cleaning them up
 * could write a TLS close_notify into the parent's stream. The old easy handle
 * is dropped (a one-time leak in the child) and a new one made. */
static void mlab_after_fork(lua_State *L, mlab_handle *h)
{
    const char *failed = mlab_make_curl(h);
    if (failed != NULL) {
        if (h->curl != NULL)
            curl_easy_cleanup(h->curl);
        h->curl = NULL;
        luaL_error(L, "modelslab: libcurl refused %s after fork", failed);
    }
}

/* handle:request(method, url [, body]) ->
 *   status, body, retry_after|nil        on any HTTP response
 *   nil, code_name, message, status|nil   when no usable response came */
static int mlab_handle_request(lua_State *L)
{
    mlab_handle *h = mlab_check_open(L);
    const char *method = luaL_checkstring(L, 2);
    size_t ulen, blen = 0;
    const char *url = luaL_checklstring(L, 3, &ulen);
    const char *body = luaL_optlstring(L, 4, NULL, &blen);
    if (strlen(url) != ulen || !mlab_header_safe(url, ulen))
        return luaL_argerror(L, 3, "url contains CR, LF or NUL");
    int post = strcmp(method, "POST") == 0;
    if (!post && strcmp(method, "GET") != 0)
        return luaL_argerror(L, 2, "method must be GET or POST");
    if (getpid() != h->pid)
        mlab_after_fork(L, h);

    h->len = 0;
    h->too_large = 0;
    h->retry_after[0] = '\0';
    h->errbuf[0] = '\0';
    CURLcode rc = curl_easy_setopt(h->curl, CURLOPT_URL, url);
    if (rc == CURLE_OK && post) {
        rc = curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->post_headers);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
        /* The body string stays anchored on the Lua stack during perform. */
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body ? body : "");
    } else if (rc == CURLE_OK) {
        rc = curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->get_headers);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
    }
    if (rc == CURLE_OK)
        rc = curl_easy_perform(h->curl);
    if (post) /* forget the pointer into the Lua string */
        curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);

    long status = 0;
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK) {
        int too_large = h->too_large || rc == CURLE_FILESIZE_EXCEEDED;
        lua_pushnil(L);
        lua_pushstring(L, too_large ? "TOO_LARGE" : mlab_curlcode_name(rc));
        if (too_large)
            lua_pushfstring(L, "response body larger than max_body (%d bytes)", (int)h->max_body);
        else
            lua_pushstring(L, h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
        if (status > 0)
            mlab_pushint(L, status);
        else
            lua_pushnil(L);
        return 4;
    }
    mlab_pushint(L, status);
    lua_pushlstring(L, h->body ? h->body : "", h->len);
    if (h->retry_after[0])
        lua_pushstring(L, h->retry_after);
    else
        lua_pushnil(L);
    return 3;
}

/* One idempotent close for close(), __gc and __close. */
static int mlab_handle_close(lua_State *L)
{
    mlab_handle *h = luaL_checkudata(L, 1, MLAB_HANDLE_MT);
    if (h->curl != NULL && getpid() == h->pid)
        curl_easy_cleanup(h->curl);
    h->curl = NULL;
    curl_slist_free_all(h->get_headers);
    curl_slist_free_all(h->post_headers);
    h->get_headers = h->post_headers = NULL;
    free(h->user_agent);
    free(h->ca_file);
    free(h->body);
    h->user_agent = h->ca_file = h->body = NULL;
    h->len = h->cap = 0;
    return 0;
}

static int mlab_handle_tostring(lua_State *L)
{
    mlab_handle *h = luaL_checkudata(L, 1, MLAB_HANDLE_MT);
    lua_pushfstring(L, "modelslab.core.handle (%s)", h->curl ? "open" : "closed");
    return 1;
}

static int mlab_handle_is_open(lua_State *L)
{
    mlab_handle *h = luaL_checkudata(L, 1, MLAB_HANDLE_MT);
    lua_pushboolean(L, h->curl != NULL);
    return 1;
}

void mlab_handle_register(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "request", mlab_handle_request },
        { "close", mlab_handle_close },
        { "is_open", mlab_handle_is_open },
        { NULL, NULL },
    };
    luaL_newmetatable(L, MLAB_HANDLE_MT);
    lua_newtable(L);
    mlab_setfuncs(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, mlab_handle_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, mlab_handle_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, mlab_handle_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "modelslab.core.handle");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
}
