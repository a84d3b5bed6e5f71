/* A client's settings: read once from Lua, kept in C (the API key lives only
 * in the header lists here), and applied to each easy handle the client or
 * its pollers make. */
#include <stdlib.h>
#include <string.h>

#include "modelslab.h"

/* Rejects what could split a header line; Lua checks first, this is the floor. */
static int mlab_header_safe(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
            return 0;
    return 1;
}

static char *mlab_strdup_opt(lua_State *L, int t, const char *field)
{
    char *copy = NULL;
    lua_getfield(L, t, field);
    if (!lua_isnil(L, -1)) {
        size_t n;
        const char *s = luaL_checklstring(L, -1, &n);
        if (!mlab_header_safe(s, n))
            luaL_error(L, "modelslab: %s contains CR, LF or NUL", field);
        copy = malloc(n + 1);
        if (copy == NULL)
            luaL_error(L, "modelslab: out of memory");
        memcpy(copy, s, n + 1);
    }
    lua_pop(L, 1);
    return copy;
}

static double mlab_number_opt(lua_State *L, int t, const char *field, double min, double max)
{
    lua_getfield(L, t, field);
    double v = luaL_checknumber(L, -1);
    lua_pop(L, 1);
    if (!(v >= min && v <= max))
        luaL_error(L, "modelslab: %s out of range", field);
    return v;
}

static struct curl_slist *mlab_append(struct curl_slist **list, const char *line)
{
    struct curl_slist *l = curl_slist_append(*list, line);
    if (l != NULL)
        *list = l;
    return l;
}

/* Fills c from the options table at t: key, user_agent, ca_file, timeout,
 * connect_timeout (seconds), low_speed_time (whole seconds), max_body. c must
 * be zeroed and owned by a userdata whose __gc frees it, since this raises. */
void mlab_config_read(lua_State *L, int t, mlab_config *c)
{
    luaL_checktype(L, t, LUA_TTABLE);
    c->timeout_ms = (long)(mlab_number_opt(L, t, "timeout", 0.001, 1e6) * 1000);
    c->connect_timeout_ms = (long)(mlab_number_opt(L, t, "connect_timeout", 0.001, 1e6) * 1000);
    c->low_speed_time = (long)mlab_number_opt(L, t, "low_speed_time", 1, 1e6);
    c->max_body = (size_t)mlab_number_opt(L, t, "max_body", 1, 1e9);
    c->user_agent = mlab_strdup_opt(L, t, "user_agent");
    c->ca_file = mlab_strdup_opt(L, t, "ca_file");
    if (c->user_agent == NULL)
        luaL_error(L, "modelslab: user_agent missing");

    lua_getfield(L, t, "key");
    size_t klen;
    const char *key = luaL_checklstring(L, -1, &klen);
    if (klen == 0 || klen > 4096 || !mlab_header_safe(key, klen))
        luaL_error(L, "modelslab: api_key is empty, too long or contains CR, LF or NUL");
    char line[4096 + 6];
    memcpy(line, "key: ", 5);
    memcpy(line + 5, key, klen + 1);
    lua_pop(L, 1);
    int ok = mlab_append(&c->get_headers, line) && mlab_append(&c->post_headers, line);
    memset(line, 0, sizeof line); /* the key lives on only inside the header lists */
    /* User-Agent as a header line of our own: CURLOPT_USERAGENT would have
     * libcurl format it anew for every request (about 6 % of a poll's CPU). */
    const char *ua = lua_pushfstring(L, "User-Agent: %s", c->user_agent);
    ok = ok && mlab_append(&c->get_headers, ua) && mlab_append(&c->post_headers, ua);
    lua_pop(L, 1);
    ok = ok && mlab_append(&c->get_headers, "Accept: application/json")
        && mlab_append(&c->post_headers, "Accept: application/json")
        && mlab_append(&c->post_headers, "Content-Type: application/json")
        /* "Expect:" stops libcurl from waiting on 100-continue for large bodies. */
        && mlab_append(&c->post_headers, "Expect:");
    if (!ok)
        luaL_error(L, "modelslab: out of memory");
}

static int mlab_copy_list(struct curl_slist **dst, const struct curl_slist *src)
{
    for (; src != NULL; src = src->next)
        if (!mlab_append(dst, src->data))
            return 0;
    return 1;
}

static int mlab_copy_str(char **dst, const char *src)
{
    if (src == NULL)
        return 1;
    size_t n = strlen(src) + 1;
    *dst = malloc(n);
    if (*dst != NULL)
        memcpy(*dst, src, n);
    return *dst != NULL;
}

/* A deep copy, so a poller outlives the client that made it. 0 when out of
 * memory; dst must be zeroed and is left freeable either way. */
int mlab_config_copy(mlab_config *dst, const mlab_config *src)
{
    dst->timeout_ms = src->timeout_ms;
    dst->connect_timeout_ms = src->connect_timeout_ms;
    dst->low_speed_time = src->low_speed_time;
    dst->max_body = src->max_body;
    return mlab_copy_list(&dst->get_headers, src->get_headers)
        && mlab_copy_list(&dst->post_headers, src->post_headers)
        && mlab_copy_str(&dst->user_agent, src->user_agent)
        && mlab_copy_str(&dst->ca_file, src->ca_file);
}

void mlab_config_free(mlab_config *c)
{
    curl_slist_free_all(c->get_headers);
    curl_slist_free_all(c->post_headers);
    free(c->user_agent);
    free(c->ca_file);
    memset(c, 0, sizeof *c);
}

#define MLAB_SETOPT(curl, opt, val) \
    do { if (curl_easy_setopt((curl), (opt), (val)) != CURLE_OK) return #opt; } while (0)

/* Applies the settings to an easy handle; returns the name of the option
 * libcurl refused, or NULL. */
const char *mlab_config_apply(const mlab_config *c, CURL *curl)
{
    MLAB_SETOPT(curl, CURLOPT_NOSIGNAL, 1L);
    MLAB_SETOPT(curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    MLAB_SETOPT(curl, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    /* A server dripping bytes fails after low_speed_time, not the whole timeout. */
    MLAB_SETOPT(curl, CURLOPT_LOW_SPEED_LIMIT, 10L);
    MLAB_SETOPT(curl, CURLOPT_LOW_SPEED_TIME, c->low_speed_time);
    MLAB_SETOPT(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
    MLAB_SETOPT(curl, CURLOPT_ACCEPT_ENCODING, "");
    MLAB_SETOPT(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    /* Redirects are never followed: libcurl would send the key header along. */
    MLAB_SETOPT(curl, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    MLAB_SETOPT(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    MLAB_SETOPT(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    MLAB_SETOPT(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    MLAB_SETOPT(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    /* With a CA bundle in use, OpenSSL would also search the CA directory on
     * every new connection, which costs tens of milliseconds of CPU: the
     * bundle alone is used, ours or libcurl's built-in one (Debian's bundle
     * holds the same certificates as its directory). */
    const char *bundle = c->ca_file;
#if LIBCURL_VERSION_NUM >= 0x075400
    if (bundle == NULL)
        curl_easy_getinfo(curl, CURLINFO_CAINFO, &bundle);
#endif
    if (c->ca_file != NULL)
        MLAB_SETOPT(curl, CURLOPT_CAINFO, c->ca_file);
    if (bundle != NULL)
        MLAB_SETOPT(curl, CURLOPT_CAPATH, (char *)NULL);
    return NULL;
}
