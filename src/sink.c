/* One transfer's request and response, handled the same way by the blocking
 * handle and the poller: the request is set from Lua arguments, the response
 * gathered in C buffers (a Lua allocation error inside a libcurl callback
 * would longjmp through libcurl), then pushed to Lua in one shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "modelslab.h"

static size_t mlab_on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    mlab_sink *s = ud;
    size_t n = size * nmemb;
    if (n > s->max_body - s->len) {
        s->too_large = 1;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n)
            cap *= 2;
        char *p = realloc(s->body, cap);
        if (p == NULL)
            return 0;
        s->body = p;
        s->cap = cap;
    }
    memcpy(s->body + s->len, data, n);
    s->len += n;
    return n;
}

/* Keeps only Retry-After, from the final response (a new status line resets it). */
static size_t mlab_on_header(char *line, size_t size, size_t nitems, void *ud)
{
    mlab_sink *s = ud;
    size_t n = size * nitems;
    static const char name[] = "retry-after:";
    if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        s->retry_after[0] = '\0';
    } else if (n > sizeof name - 1 && strncasecmp(line, name, sizeof name - 1) == 0) {
        size_t i = sizeof name - 1, j = 0;
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        while (i < n && j < sizeof s->retry_after - 1 && line[i] >= 0x20 && line[i] < 0x7f)
            s->retry_after[j++] = line[i++];
        s->retry_after[j] = '\0';
    }
    return n;
}

/* Points curl's callbacks and error buffer at s; returns a refused option or NULL. */
const char *mlab_sink_attach(mlab_sink *s, CURL *curl)
{
    if (curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, s->errbuf) != CURLE_OK)
        return "CURLOPT_ERRORBUFFER";
    if (curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, mlab_on_body) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_WRITEDATA, (void *)s) != CURLE_OK)
        return "CURLOPT_WRITEFUNCTION";
    if (curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, mlab_on_header) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_HEADERDATA, (void *)s) != CURLE_OK)
        return "CURLOPT_HEADERFUNCTION";
    return NULL;
}

void mlab_sink_reset(mlab_sink *s, size_t max_body)
{
    s->len = 0;
    s->max_body = max_body;
    s->too_large = 0;
    s->retry_after[0] = '\0';
    s->errbuf[0] = '\0';
}

void mlab_sink_free(mlab_sink *s)
{
    free(s->body);
    s->body = NULL;
    s->len = s->cap = 0;
}

/* Sets method, URL and body from the Lua arguments (method, url [, body]) at
 * index i. Raises on bad arguments; returns a refused option or NULL. */
const char *mlab_set_request(lua_State *L, CURL *curl, const mlab_config *c, int i)
{
    const char *method = luaL_checkstring(L, i);
    size_t ulen, blen = 0;
    const char *url = luaL_checklstring(L, i + 1, &ulen);
    const char *body = luaL_optlstring(L, i + 2, "", &blen);
    int post = strcmp(method, "POST") == 0;
    if (!post && strcmp(method, "GET") != 0)
        luaL_argerror(L, i, "method must be GET or POST");
    for (size_t k = 0; k < ulen; k++)
        if (url[k] == '\r' || url[k] == '\n' || url[k] == '\0')
            luaL_argerror(L, i + 1, "url contains CR, LF or NUL");
    if (curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK)
        return "CURLOPT_URL";
    if (post) {
        /* COPYPOSTFIELDS: the body must outlive this call for the poller. */
        if (curl_easy_setopt(curl, CURLOPT_HTTPHEADER, c->post_headers) != CURLE_OK
            || curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen) != CURLE_OK
            || curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, body) != CURLE_OK)
            return "CURLOPT_COPYPOSTFIELDS";
    } else if (curl_easy_setopt(curl, CURLOPT_HTTPHEADER, c->get_headers) != CURLE_OK
               || curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L) != CURLE_OK) {
        return "CURLOPT_HTTPGET";
    }
    return NULL;
}

/* The HTTP status of a finished transfer, or 0 when no usable answer came.
 * libcurl reads "HTTP/200 OK" as status 0, "HTTP/204 x" as 4 and "HTTP/2 4444"
 * as 4444: an HTTP status has three digits, and anything else is no HTTP
 * answer at all. */
static long mlab_status_of(mlab_sink *s, CURL *curl, CURLcode *rc)
{
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 100 || status > 999) {
        if (*rc == CURLE_OK) {
            *rc = CURLE_WEIRD_SERVER_REPLY;
            snprintf(s->errbuf, sizeof s->errbuf, "invalid HTTP status code %ld", status);
        }
        status = 0;
    }
    return status;
}

/* The status of a complete HTTP answer, or 0 for a failed transfer. */
long mlab_result_status(mlab_sink *s, CURL *curl, CURLcode rc)
{
    long status = mlab_status_of(s, curl, &rc);
    return rc == CURLE_OK ? status : 0;
}

static void mlab_set_string(lua_State *L, const char *field, const char *value, size_t len)
{
    lua_pushlstring(L, value, len);
    lua_setfield(L, -2, field);
}

/* Pushes the outcome of a finished transfer as one table (contracts.md):
 *   { status =, body =, retry_after = |nil }   on any HTTP answer
 *   { code =, message =, status = |nil }       when no usable answer came */
int mlab_push_result(lua_State *L, mlab_sink *s, CURL *curl, CURLcode rc)
{
    long status = mlab_status_of(s, curl, &rc);
    lua_createtable(L, 0, 4);
    if (status > 0) {
        mlab_pushint(L, status);
        lua_setfield(L, -2, "status");
    }
    if (rc != CURLE_OK) {
        int too_large = s->too_large || rc == CURLE_FILESIZE_EXCEEDED;
        const char *code = too_large ? "TOO_LARGE" : mlab_curlcode_name(rc);
        mlab_set_string(L, "code", code, strlen(code));
        if (too_large)
            lua_pushfstring(L, "response body larger than max_body (%d bytes)", (int)s->max_body);
        else
            lua_pushstring(L, s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
        lua_setfield(L, -2, "message");
        return 1;
    }
    mlab_set_string(L, "body", s->body ? s->body : "", s->len);
    if (s->retry_after[0])
        mlab_set_string(L, "retry_after", s->retry_after, strlen(s->retry_after));
    return 1;
}
