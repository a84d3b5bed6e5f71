/* The floor for bench/compare.sh: the same sequential status fetches as
 * client:status, in plain C with one reused libcurl handle and no decoding.
 * Prints the line bench/measure.lua prints.
 * usage: status_loop LABEL URL COUNT [CA_FILE] */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct sink { char buf[1 << 16]; size_t len; };

static size_t collect(char *data, size_t size, size_t nmemb, void *ud)
{
    struct sink *s = ud;
    size_t n = size * nmemb;
    if (n > sizeof s->buf - s->len)
        return 0;
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    return n;
}

static double seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s LABEL URL COUNT [CA_FILE]\n", argv[0]);
        return 64;
    }
    long count = atol(argv[3]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "key: bench-key");
    headers = curl_slist_append(headers, "Accept: application/json");
    static struct sink sink;
    curl_easy_setopt(curl, CURLOPT_URL, argv[2]);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    if (argc > 4) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, argv[4]);
        curl_easy_setopt(curl, CURLOPT_CAPATH, (char *)NULL);
    }
    struct timespec a, b;
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < count; i++) {
        sink.len = 0;
        long status = 0;
        if (curl_easy_perform(curl) != CURLE_OK ||
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
            fprintf(stderr, "request %ld failed\n", i);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    getrusage(RUSAGE_SELF, &r1);
    double wall = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    double cpu = seconds(r1.ru_utime) + seconds(r1.ru_stime) - seconds(r0.ru_utime) - seconds(r0.ru_stime);
    printf("%s\t%ld\t%.4f\t%.4f\t%ld\n", argv[1], count, wall, cpu, r1.ru_maxrss);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    return 0;
}
