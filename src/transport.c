/* The transport every client and poller of one Lua state shares: one libcurl
 * multi that runs every transfer, blocking or not, and one share handle
 * holding the connection cache, TLS sessions and DNS answers. So a client
 * made per request reuses the connections of the ones before it, and the
 * descriptors in use stay flat.
 *
 * It lives in a userdata in the registry, made when the module opens, before
 * any handle or poller: Lua finalizes in reverse order of creation, so at
 * lua_close every easy handle is cleaned up before the share it uses.
 *
 * One per Lua state rather than per process: each state (an nginx worker, a
 * LÖVE thread) runs on one thread, so the share needs no locks. After fork()
 * the child makes a new multi and share in the same userdata and leaves the
 * parent's alone: cleaning them up would close the parent's connections
 * (a TLS close_notify written into the parent's stream). */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "modelslab.h"

#define MLAB_TRANSPORT_KEY "modelslab.core.transport"
#define MLAB_TRANSPORT_MT "modelslab.core.transport"
#define MLAB_MIN_CONNECTS 16

static uint64_t mlab_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ ((uint64_t)getpid() << 16);
    return x ? x : 0x9e3779b97f4a7c15ull;
}

/* Makes the multi and share for this process; 0 when libcurl refused. */
static int mlab_transport_open(mlab_transport *t)
{
    t->pid = getpid();
    t->random = mlab_seed();
    t->multi = curl_multi_init();
    t->share = curl_share_init();
    if (t->multi == NULL || t->share == NULL)
        return 0;
    t->maxconnects = MLAB_MIN_CONNECTS;
    return curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) == CURLSHE_OK
        && curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) == CURLSHE_OK
        && curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) == CURLSHE_OK
        && curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, t->maxconnects) == CURLM_OK;
}

static int mlab_transport_gc(lua_State *L)
{
    mlab_transport *t = lua_touserdata(L, 1);
    if (t->pid == getpid()) {
        if (t->multi != NULL)
            curl_multi_cleanup(t->multi);
        if (t->share != NULL)
            curl_share_cleanup(t->share);
    }
    t->multi = NULL;
    t->share = NULL;
    return 0;
}

/* Makes the state's transport; called once when the module opens. */
void mlab_transport_register(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, MLAB_TRANSPORT_KEY);
    int present = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (present)
        return;
    mlab_transport *t = lua_newuserdata(L, sizeof *t);
    memset(t, 0, sizeof *t);
    luaL_newmetatable(L, MLAB_TRANSPORT_MT);
    lua_pushcfunction(L, mlab_transport_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, MLAB_TRANSPORT_KEY);
    if (!mlab_transport_open(t))
        luaL_error(L, "modelslab: libcurl refused to make the shared transport");
}

/* The state's transport, remade in a forked child. Raises if libcurl refuses. */
mlab_transport *mlab_transport_get(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, MLAB_TRANSPORT_KEY);
    mlab_transport *t = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (t == NULL)
        luaL_error(L, "modelslab: the transport is gone (the Lua state is closing)");
    return mlab_transport_check(L, t);
}

mlab_transport *mlab_transport_check(lua_State *L, mlab_transport *t)
{
    if (t->pid != getpid() && !mlab_transport_open(t)) /* the parent's are left as they are */
        luaL_error(L, "modelslab: libcurl refused to make the shared transport after fork");
    return t;
}

/* Keeps at least n idle connections (a poller of n transfers reuses them). */
void mlab_transport_keep(mlab_transport *t, long n)
{
    if (n > t->maxconnects) {
        t->maxconnects = n;
        curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, n);
    }
}

/* Prepares an easy handle for this transport: the shared caches, and x as
 * the record its outcome is routed to. */
const char *mlab_transport_attach(mlab_transport *t, CURL *curl, mlab_xfer *x)
{
    if (curl_easy_setopt(curl, CURLOPT_SHARE, t->share) != CURLE_OK)
        return "CURLOPT_SHARE";
    if (curl_easy_setopt(curl, CURLOPT_PRIVATE, (void *)x) != CURLE_OK)
        return "CURLOPT_PRIVATE";
    x->state = MLAB_XFER_IDLE;
    return NULL;
}

int mlab_transport_add(mlab_transport *t, CURL *curl, mlab_xfer *x)
{
    if (curl_multi_add_handle(t->multi, curl) != CURLM_OK)
        return 0;
    x->state = MLAB_XFER_RUNNING;
    return 1;
}

/* Takes a transfer out of the multi, finished or not. */
void mlab_transport_remove(mlab_transport *t, CURL *curl, mlab_xfer *x)
{
    if (x->state == MLAB_XFER_RUNNING)
        curl_multi_remove_handle(t->multi, curl);
    x->state = MLAB_XFER_IDLE;
}

/* Runs every transfer as far as it goes without blocking, and hands each
 * finished one to its record, whichever client or poller started it. */
CURLMcode mlab_transport_perform(mlab_transport *t)
{
    int running = 0, left = 0;
    CURLMcode mc = curl_multi_perform(t->multi, &running);
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(t->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *curl = msg->easy_handle;
        CURLcode rc = msg->data.result;
        mlab_xfer *x = NULL;
        curl_easy_getinfo(curl, CURLINFO_PRIVATE, (char **)&x);
        curl_multi_remove_handle(t->multi, curl); /* msg is invalid from here */
        if (x != NULL) {
            x->rc = rc;
            x->state = MLAB_XFER_DONE;
        }
    }
    return mc;
}

/* Runs one transfer to its end: what curl_easy_perform does, on the shared
 * multi (so on the shared connections, with no multi of its own). */
CURLcode mlab_transport_run(mlab_transport *t, CURL *curl, mlab_xfer *x)
{
    if (!mlab_transport_add(t, curl, x))
        return CURLE_FAILED_INIT;
    for (;;) {
        CURLMcode mc = mlab_transport_perform(t);
        if (x->state == MLAB_XFER_DONE)
            break;
        if (mc == CURLM_OK)
            mc = curl_multi_poll(t->multi, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK) {
            mlab_transport_remove(t, curl, x);
            return CURLE_RECV_ERROR;
        }
    }
    x->state = MLAB_XFER_IDLE;
    return x->rc;
}

/* core.random() -> a number in [0, 1) from the state's own generator
 * (xorshift64*), so jitter never moves the application's math.random. */
static int mlab_random(lua_State *L)
{
    mlab_transport *t = mlab_transport_get(L);
    uint64_t x = t->random;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    t->random = x;
    lua_pushnumber(L, (lua_Number)((x * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0);
    return 1;
}

void mlab_transport_funcs(lua_State *L)
{
    lua_pushcfunction(L, mlab_random);
    lua_setfield(L, -2, "random");
}
