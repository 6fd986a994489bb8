/* Requests to a Unix socket from several threads at once, as scripts calling curl or the CLI make them
 * (a new connection each), or as a client that keeps its connection (--keep-alive); prints the
 * requests per second.
 *
 *     http-load [--keep-alive] SOCKET THREADS PER_THREAD PATH [JSON_BODY]
 *
 * With a body it POSTs it, otherwise it GETs PATH. Every answer must be 200 or 201 with a
 * Content-Length, or it exits 1. Built and run by cli-bench; C rather than Python so that the client is
 * not what is measured. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Most client threads. */
#define MAX_THREADS 64
/* Room for the request line, headers and body. */
#define REQUEST_BYTES 1024
/* Room for a whole answer, head and body (the answers measured are a few hundred bytes). */
#define ANSWER_BYTES 16384

static const char *socket_path, *path, *body;
static int per_thread, keep_alive;

static void fail(const char *what)
{
    perror(what);
    exit(1);
}

static int connect_socket(void)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) fail("http-load: connect");
    return fd;
}

/* Reads one answer from fd (its head, then Content-Length bytes of body); checks its status. */
static void read_answer(int fd)
{
    char answer[ANSWER_BYTES + 1];
    size_t total = 0, wanted = 0;
    char *head_end = NULL;
    while (head_end == NULL || total < wanted) {
        if (total == ANSWER_BYTES) {
            fprintf(stderr, "http-load: an answer over %d bytes\n", ANSWER_BYTES);
            exit(1);
        }
        ssize_t got = read(fd, answer + total, ANSWER_BYTES - total);
        if (got <= 0) {
            fprintf(stderr, "http-load: the connection closed after %zu bytes of an answer\n", total);
            exit(1);
        }
        total += (size_t)got;
        answer[total] = '\0';
        if (head_end == NULL && (head_end = strstr(answer, "\r\n\r\n")) != NULL) {
            const char *length = strcasestr(answer, "\r\nContent-Length:");
            if (length == NULL || length > head_end) {
                fprintf(stderr, "http-load: an answer without Content-Length: %.60s\n", answer);
                exit(1);
            }
            wanted = (size_t)(head_end + 4 - answer) + strtoul(length + 17, NULL, 10);
        }
    }
    if (strncmp(answer + 9, "200", 3) != 0 && strncmp(answer + 9, "201", 3) != 0) {
        fprintf(stderr, "http-load: unexpected answer: %.60s\n", answer);
        exit(1);
    }
}

static void *client(void *unused)
{
    (void)unused;
    char request[REQUEST_BYTES];
    const char *connection = keep_alive ? "keep-alive" : "close";
    int length = body != NULL
        ? snprintf(request, sizeof request,
              "POST %s HTTP/1.1\r\nHost: localhost\r\nConnection: %s\r\nContent-Type: application/json\r\n"
              "Content-Length: %zu\r\n\r\n%s",
              path, connection, strlen(body), body)
        : snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: %s\r\n\r\n", path,
              connection);
    int fd = keep_alive ? connect_socket() : -1;
    for (int i = 0; i < per_thread; i++) {
        if (!keep_alive) fd = connect_socket();
        if (write(fd, request, (size_t)length) != length) fail("http-load: write");
        read_answer(fd);
        if (!keep_alive) close(fd);
    }
    if (keep_alive) close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--keep-alive") == 0) {
        keep_alive = 1;
        argv++;
        argc--;
    }
    if (argc < 5) {
        fprintf(stderr, "usage: http-load [--keep-alive] SOCKET THREADS PER_THREAD PATH [JSON_BODY]\n");
        return 2;
    }
    socket_path = argv[1];
    int threads = atoi(argv[2]);
    per_thread = atoi(argv[3]);
    path = argv[4];
    body = argc > 5 ? argv[5] : NULL;
    if (threads < 1 || threads > MAX_THREADS || per_thread < 1) {
        fprintf(stderr, "http-load: 1 to %d threads and at least 1 request each\n", MAX_THREADS);
        return 2;
    }
    pthread_t workers[MAX_THREADS];
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < threads; i++) pthread_create(&workers[i], NULL, client, NULL);
    for (int i = 0; i < threads; i++) pthread_join(workers[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    printf("%.0f\n", threads * per_thread / seconds);
    return 0;
}
