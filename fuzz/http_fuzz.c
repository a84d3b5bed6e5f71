/* libFuzzer harness for whole HTTP answers: a listener thread on 127.0.0.1
 * plays each input, byte for byte, as the server's answer to the requests the
 * client makes (client:status, then client:wait when a document came back;
 * see http_check.lua for the properties). The server writes the input, shuts
 * its side down and waits for the client to hang up, so no input can leave
 * the client waiting. Nothing leaves loopback. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lua_env.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int mlab_listen_fd = -1;
static pthread_t mlab_server;
static pthread_mutex_t mlab_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *mlab_answer = NULL; /* the input being played, owned here */
static size_t mlab_answer_len = 0;

/* Reads the request head (the client only sends GETs) so that closing later
 * does not turn into a reset for unread bytes. */
static void mlab_read_head(int fd)
{
    char buf[8192];
    size_t have = 0;
    while (have < sizeof buf) {
        ssize_t n = recv(fd, buf + have, sizeof buf - have, 0);
        if (n <= 0)
            return;
        have += (size_t)n;
        if (have >= 4 && memcmp(buf + have - 4, "\r\n\r\n", 4) == 0)
            return;
    }
}

static void mlab_serve(int fd)
{
    struct timeval tv = { 3, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    mlab_read_head(fd);
    pthread_mutex_lock(&mlab_lock);
    size_t off = 0;
    while (off < mlab_answer_len) {
        ssize_t n = send(fd, mlab_answer + off, mlab_answer_len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    pthread_mutex_unlock(&mlab_lock);
    shutdown(fd, SHUT_WR);
    char sink[4096];
    while (recv(fd, sink, sizeof sink, 0) > 0)
        ; /* until the client hangs up (or 3 s pass) */
    close(fd);
}

static void *mlab_server_main(void *unused)
{
    (void)unused;
    for (;;) {
        int fd = accept(mlab_listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL; /* the listener was shut down at exit */
        mlab_serve(fd);
    }
}

static void mlab_server_stop(void)
{
    shutdown(mlab_listen_fd, SHUT_RDWR);
    pthread_join(mlab_server, NULL);
    close(mlab_listen_fd);
    free(mlab_answer);
    mlab_answer = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    mlab_listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (mlab_listen_fd < 0 || bind(mlab_listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0
        || listen(mlab_listen_fd, 16) != 0 || getsockname(mlab_listen_fd, (struct sockaddr *)&addr, &len) != 0) {
        perror("http_fuzz: listen on 127.0.0.1");
        abort();
    }
    if (pthread_create(&mlab_server, NULL, mlab_server_main, NULL) != 0)
        abort();
    atexit(mlab_server_stop); /* runs after the Lua state is closed (registered first) */
    char base_url[64];
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d/api/v1", ntohs(addr.sin_port));
    mlab_fuzz_setup("http_check.lua", base_url);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pthread_mutex_lock(&mlab_lock);
    uint8_t *copy = realloc(mlab_answer, size ? size : 1);
    if (copy == NULL)
        abort();
    memcpy(copy, data, size);
    mlab_answer = copy;
    mlab_answer_len = size;
    pthread_mutex_unlock(&mlab_lock);
    mlab_fuzz_check(data, size);
    return 0;
}
