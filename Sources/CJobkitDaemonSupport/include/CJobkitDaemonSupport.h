#ifndef CJOBKITDAEMONSUPPORT_H
#define CJOBKITDAEMONSUPPORT_H

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec from the start (glibc declares pipe2 only under
/// _GNU_SOURCE).
int jds_pipe_cloexec(int fds[2]);

/// Makes `signo` write its number as one byte to `fd` from a handler, on whichever thread the kernel
/// delivers it to; the handler keeps errno and leaves interrupted calls restarting (SA_RESTART). `fd`
/// should be a non-blocking pipe's write end. Unlike a signal ignored for a signalfd, which is lost when
/// a thread that does not block it takes it, every signal reaches the pipe. Returns 0 or -errno.
int jds_signal_to_pipe(int signo, int fd);

#include <stddef.h>

/// Bytes malloc holds free in its arenas (mallinfo2's fordblks): memory the process owns but does not use.
size_t jds_heap_free_bytes(void);

/// mallopt(M_ARENA_MAX, count): at most `count` malloc arenas (glibc's default is 8 per core). Returns 1 on
/// success.
int jds_heap_limit_arenas(int count);

/// malloc_trim(0): gives every free page of every arena back to the system. Returns 1 when it released any.
int jds_heap_trim(void);

#endif
