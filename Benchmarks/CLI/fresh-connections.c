/* Requests on a new Unix-socket connection each, from several threads at once, as scripts calling curl
 * or the CLI make them; prints the requests per second.
 *
 *     fresh-connections SOCKET THREADS PER_THREAD PATH [JSON_BODY]
 *
 * With a body it POSTs it, otherwise it GETs PATH. Every answer must be 200 or 201, or it exits 1.
 * Built and run by cli-bench; C rather than Python so that the client is not what is measured. */
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
/* Room for the request line, headers and body, and for the start of an answer. */
#define REQUEST_BYTES 1024
#define ANSWER_BYTES 4096

static const char *socket_path, *path, *body;
static int per_thread;

static void *client(void *unused)
{
    (void)unused;
    char request[REQUEST_BYTES], answer[ANSWER_BYTES];
    int length = body != NULL
        ? snprintf(request, sizeof request,
              "POST %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\n"
              "Content-Length: %zu\r\n\r\n%s",
              path, strlen(body), body)
        : snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
    for (int i = 0; i < per_thread; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un address = {.sun_family = AF_UNIX};
        snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path);
        if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
            perror("fresh-connections: connect");
            exit(1);
        }
        if (write(fd, request, (size_t)length) != length) {
            perror("fresh-connections: write");
            exit(1);
        }
        ssize_t got, total = 0;
        while ((got = read(fd, total < (ssize_t)sizeof answer ? answer + total : answer,
                    total < (ssize_t)sizeof answer ? sizeof answer - (size_t)total : sizeof answer))
            > 0) {
            total += got;
        }
        close(fd);
        if (total < 12 || (strncmp(answer + 9, "200", 3) != 0 && strncmp(answer + 9, "201", 3) != 0)) {
            fprintf(stderr, "fresh-connections: unexpected answer: %.60s\n", total > 0 ? answer : "(none)");
            exit(1);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: fresh-connections SOCKET THREADS PER_THREAD PATH [JSON_BODY]\n");
        return 2;
    }
    socket_path = argv[1];
    int threads = atoi(argv[2]);
    per_thread = atoi(argv[3]);
    path = argv[4];
    body = argc > 5 ? argv[5] : NULL;
    if (threads < 1 || threads > MAX_THREADS || per_thread < 1) {
        fprintf(stderr, "fresh-connections: 1 to %d threads and at least 1 request each\n", MAX_THREADS);
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
