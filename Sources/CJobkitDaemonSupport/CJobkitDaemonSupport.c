#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "CJobkitDaemonSupport.h"

int jds_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

/* The write end each signal's handler writes to; -1 for none. Written before the handler is installed. */
static volatile sig_atomic_t signal_pipes[NSIG];

static void write_signal_to_pipe(int signo)
{
    int saved = errno;
    unsigned char byte = (unsigned char)signo;
    if (signo > 0 && signo < NSIG && signal_pipes[signo] > 0) {
        ssize_t ignored = write(signal_pipes[signo], &byte, 1);
        (void)ignored;
    }
    errno = saved;
}

int jds_signal_to_pipe(int signo, int fd)
{
    if (signo <= 0 || signo >= NSIG || signo > 255) return -EINVAL;
    signal_pipes[signo] = fd;
    struct sigaction action = {0};
    action.sa_handler = write_signal_to_pipe;
    action.sa_flags = SA_RESTART;
    sigfillset(&action.sa_mask);
    if (sigaction(signo, &action, NULL) != 0) return -errno;
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, signo);
    /* This thread may have it blocked (a signalfd did that); the others inherit their masks from it. */
    pthread_sigmask(SIG_UNBLOCK, &only, NULL);
    return 0;
}

size_t jds_heap_free_bytes(void)
{
    struct mallinfo2 info = mallinfo2();
    return info.fordblks;
}

int jds_heap_trim(void) { return malloc_trim(0); }

int jds_heap_limit_arenas(int count) { return mallopt(M_ARENA_MAX, count); }
