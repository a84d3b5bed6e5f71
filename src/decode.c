/* JSON text to plain Lua tables, in one pass straight onto the Lua stack: the
 * decoder of every answer (a poll's status document included), so it is
 * written for speed. It keeps lua-cjson 2.1's results exactly (its tests
 * compare the two on many inputs): numbers as floats read by strtod, with
 * hex, leading zeros, a leading '+', inf and nan refused; strings byte for
 * byte, \u escapes as UTF-8 with surrogate pairs joined; the last of two equal
 * keys wins; a NUL byte ends the text (and one among the first two bytes
 * means UTF-16 or UTF-32, refused). Where we differ from cjson by design: null becomes an absent
 * key or a hole (cjson's sentinel is cleaned away afterwards anyway), and a
 * number that overflows to infinity is an error. Depth is capped. */
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "modelslab.h"

#define MLAB_MAX_DEPTH 32

typedef struct {
    lua_State *L;
    const char *p, *start, *end;
    int depth;
    const char *err; /* set on the first error; the stack is then abandoned */
} mlab_parser;

static int mlab_fail_at(mlab_parser *j, const char *what)
{
    if (j->err == NULL) {
        lua_pushfstring(j->L, "%s at character %d", what, (int)(j->p - j->start) + 1);
        j->err = lua_tostring(j->L, -1);
    }
    return 0;
}

static void mlab_skip_space(mlab_parser *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int mlab_hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            v |= (unsigned)((c | 0x20) - 'a' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

static void mlab_add_utf8(luaL_Buffer *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    luaL_addlstring(b, u, n);
}

/* One escape after the backslash at j->p; 0 on a bad one. */
static int mlab_escape(mlab_parser *j, luaL_Buffer *b)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (j->p + 1 >= j->end)
        return mlab_fail_at(j, "unfinished escape");
    char c = j->p[1];
    const char *k = c ? strchr(from, c) : NULL;
    if (k != NULL) {
        luaL_addchar(b, to[k - from]);
        j->p += 2;
        return 1;
    }
    unsigned cp, low;
    if (c != 'u' || j->end - j->p < 6 || !mlab_hex4(j->p + 2, &cp))
        return mlab_fail_at(j, "invalid escape code");
    j->p += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return mlab_fail_at(j, "invalid unicode escape code");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || !mlab_hex4(j->p + 2, &low)
            || low < 0xDC00 || low > 0xDFFF)
            return mlab_fail_at(j, "invalid unicode escape code");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        j->p += 6;
    }
    mlab_add_utf8(b, cp);
    return 1;
}

/* The string whose opening quote is at j->p, pushed. */
static int mlab_string(mlab_parser *j)
{
    const char *s = ++j->p;
    while (j->p < j->end && *j->p != '"' && *j->p != '\\')
        j->p++;
    if (j->p < j->end && *j->p == '"') { /* no escapes: straight from the text */
        lua_pushlstring(j->L, s, (size_t)(j->p - s));
        j->p++;
        return 1;
    }
    luaL_Buffer b;
    luaL_buffinit(j->L, &b);
    luaL_addlstring(&b, s, (size_t)(j->p - s));
    while (j->p < j->end && *j->p != '"') {
        if (*j->p == '\\') {
            if (!mlab_escape(j, &b))
                return 0;
        } else {
            s = j->p;
            while (j->p < j->end && *j->p != '"' && *j->p != '\\')
                j->p++;
            luaL_addlstring(&b, s, (size_t)(j->p - s));
        }
    }
    if (j->p >= j->end)
        return mlab_fail_at(j, "unexpected end of string");
    j->p++;
    luaL_pushresult(&b);
    return 1;
}

static int mlab_number(mlab_parser *j)
{
    const char *p = j->p;
    if (*p == '-')
        p++;
    if (p >= j->end || !((*p >= '0' && *p <= '9') || *p == '.'))
        return mlab_fail_at(j, "invalid token");
    if (*p == '0' && p + 1 < j->end && (((p[1] | 0x20) == 'x') || (p[1] >= '0' && p[1] <= '9')))
        return mlab_fail_at(j, "invalid number");
    /* strtod needs a terminated string: copy the number's characters. */
    char buf[512];
    size_t n = 0;
    for (p = j->p; p < j->end && n < sizeof buf - 1 && *p && strchr("0123456789+-.eE", *p); p++)
        /* strtod reads the locale's decimal point (os.setlocale may change it) */
        buf[n++] = *p == '.' ? localeconv()->decimal_point[0] : *p;
    if (n == sizeof buf - 1)
        return mlab_fail_at(j, "number too long");
    buf[n] = '\0';
    char *stop;
    double v = strtod(buf, &stop);
    if (stop == buf)
        return mlab_fail_at(j, "invalid number");
    if (!isfinite(v))
        return mlab_fail_at(j, "number out of range");
    j->p += stop - buf;
    lua_pushnumber(j->L, (lua_Number)v);
    return 1;
}

static int mlab_value(mlab_parser *j);

/* A new table's room before its first rehash: most objects of a status
 * document have fewer keys than this, and growing one key at a time would
 * rehash a table again and again. */
#define MLAB_OBJECT_ROOM 8
#define MLAB_ARRAY_ROOM 4

/* Pushes the object or array whose bracket is at j->p. A null value removes
 * its key (so the last of two equal keys wins) or leaves a hole. */
static int mlab_container(mlab_parser *j, int object)
{
    lua_State *L = j->L;
    if (++j->depth > MLAB_MAX_DEPTH)
        return mlab_fail_at(j, "found too many nested data structures");
    if (!lua_checkstack(L, 6))
        return mlab_fail_at(j, "out of stack");
    lua_createtable(L, object ? 0 : MLAB_ARRAY_ROOM, object ? MLAB_OBJECT_ROOM : 0);
    int t = lua_gettop(L);
    char close = object ? '}' : ']';
    j->p++;
    mlab_skip_space(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return 1;
    }
    for (int i = 1;; i++) {
        if (object) {
            if (j->p >= j->end || *j->p != '"')
                return mlab_fail_at(j, "expected object key string");
            if (!mlab_string(j))
                return 0;
            mlab_skip_space(j);
            if (j->p >= j->end || *j->p != ':')
                return mlab_fail_at(j, "expected colon");
            j->p++;
            mlab_skip_space(j);
        }
        if (!mlab_value(j))
            return 0;
        if (lua_type(L, -1) == LUA_TLIGHTUSERDATA) { /* null */
            lua_pop(L, 1);
            if (object) {
                lua_pushnil(L);
                lua_rawset(L, t);
            }
        } else if (object) {
            lua_rawset(L, t);
        } else {
            lua_rawseti(L, t, i);
        }
        mlab_skip_space(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            mlab_skip_space(j);
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            j->depth--;
            return 1;
        }
        return mlab_fail_at(j, object ? "expected comma or object end" : "expected comma or array end");
    }
}

static int mlab_literal(mlab_parser *j, const char *word, size_t n)
{
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return mlab_fail_at(j, "invalid token");
    j->p += n;
    return 1;
}

/* Pushes the value at j->p (after white space); null pushes a NULL light userdata. */
static int mlab_value(mlab_parser *j)
{
    if (j->p >= j->end)
        return mlab_fail_at(j, "unexpected end of input");
    switch (*j->p) {
    case '{':
        return mlab_container(j, 1);
    case '[':
        return mlab_container(j, 0);
    case '"':
        return mlab_string(j);
    case 't':
        return mlab_literal(j, "true", 4) && (lua_pushboolean(j->L, 1), 1);
    case 'f':
        return mlab_literal(j, "false", 5) && (lua_pushboolean(j->L, 0), 1);
    case 'n':
        return mlab_literal(j, "null", 4) && (lua_pushlightuserdata(j->L, NULL), 1);
    case '-':
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        return mlab_number(j);
    default:
        return mlab_fail_at(j, "invalid token");
    }
}

/* Leaves only the message above base (what, or the first error), and returns it. */
static const char *mlab_decode_error(mlab_parser *j, int base, const char *what)
{
    if (what != NULL)
        mlab_fail_at(j, what);
    lua_pushstring(j->L, j->err); /* a copy: j->err points into the stack being cleared */
    lua_replace(j->L, base + 1);
    lua_settop(j->L, base + 1);
    return lua_tostring(j->L, base + 1);
}

/* Decodes text: pushes the value and returns NULL, or pushes nothing and
 * returns why (a string kept alive by the caller's stack below). */
const char *mlab_decode(lua_State *L, const char *text, size_t len)
{
    /* Like cjson, the text ends at its first NUL byte. */
    const char *nul = memchr(text, '\0', len);
    mlab_parser j = { L, text, text, nul ? nul : text + len, 0, NULL };
    int base = lua_gettop(L);
    if (len >= 2 && (text[0] == '\0' || text[1] == '\0'))
        return mlab_decode_error(&j, base, "UTF-16 and UTF-32 are not supported");
    mlab_skip_space(&j);
    if (!mlab_value(&j))
        return mlab_decode_error(&j, base, NULL);
    mlab_skip_space(&j);
    if (j.p != j.end)
        return mlab_decode_error(&j, base, "expected the end");
    return NULL; /* the value is alone above base */
}
