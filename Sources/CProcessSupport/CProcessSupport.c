#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "CProcessSupport.h"

int cps_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int cps_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path)
{
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int cps_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from)
{
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

/* Starting a job: the child shares the daemon's memory (CLONE_VM, as posix_spawn does) instead of
 * getting a copy of it. fork() copies the page tables of every anonymous mapping and write-protects them
 * in the parent, which on a multi-threaded daemon means a TLB shoot-down on every core; exec then throws
 * the copy away. That was most of the daemon's cost of a short job (about a quarter of a worker's time
 * for `true`). Unlike posix_spawn, the calling thread is not suspended (no CLONE_VFORK): the child waits
 * for the daemon to record it before exec, and the daemon must be free to do that meanwhile.
 *
 * So the child, on a stack of its own, touches nothing but that stack and a copy of the request the
 * parent keeps until the child has exec'd or exited, and makes only raw system calls: glibc's wrappers
 * would write errno, which is the starting thread's (the child runs with its TLS). All signals are blocked
 * from before the clone until the child has reset every disposition, so no handler of the daemon ever
 * runs in it. */

/* The child's stack (64 KiB, plus a guard page below it): it runs a few frames of system calls. */
#define CHILD_STACK_BYTES (64 * 1024)

#if defined(__x86_64__)
static long raw_syscall(long number, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long result;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return result;
}
#define SHARED_MEMORY_SPAWN 1
#elif defined(__aarch64__)
static long raw_syscall(long number, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = number;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
}
#define SHARED_MEMORY_SPAWN 1
#else
/* Elsewhere the child is forked, so it has memory of its own and glibc's wrapper is safe. */
static long raw_syscall(long number, long a, long b, long c, long d, long e, long f)
{
    long result = syscall(number, a, b, c, d, e, f);
    return result == -1 ? -errno : result;
}
#define SHARED_MEMORY_SPAWN 0
#endif

#define SYS0(n) raw_syscall((n), 0, 0, 0, 0, 0, 0)
#define SYS1(n, a) raw_syscall((n), (long)(a), 0, 0, 0, 0, 0)
#define SYS2(n, a, b) raw_syscall((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(n, a, b, c) raw_syscall((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS4(n, a, b, c, d) raw_syscall((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* The kernel's signal set is 64 bits; its sigaction, all zero, is SIG_DFL with no flags and an empty mask
 * on every architecture (the layouts differ only in fields that are zero here). */
#define KERNEL_SIGSET_BYTES 8
#define KERNEL_SIGNALS 64
struct kernel_sigaction_zero {
    unsigned long fields[4];
};

/* What the parent hands the child and keeps until the child has exec'd or exited. */
struct cps_child {
    char *path;
    char **argv;
    char **envp;
    char *directory;
    int stdout_fd, stderr_fd, death_signal;
    int go[2], status[2];
    long descriptor_limit;
    pid_t parent;
    void *stack;
    size_t stack_bytes;
};

static void report_and_exit(int status_fd, long error)
{
    int value = (int)-error;
    SYS3(SYS_write, status_fd, &value, sizeof value);
    SYS1(SYS_exit_group, 127);
    __builtin_unreachable();
}

/* `from` as descriptor `to`, without close-on-exec. */
static long move_descriptor(int from, int to)
{
    if (from == to) return SYS3(SYS_fcntl, to, F_SETFD, 0);
    return SYS3(SYS_dup3, from, to, 0);
}

/* Closes every descriptor above `last`. */
static void close_others(int last, long limit)
{
#ifdef SYS_close_range
    if (SYS3(SYS_close_range, (unsigned)last + 1, ~0U, 0U) == 0) return;
#endif
    for (long fd = last + 1; fd < limit; fd++) SYS1(SYS_close, fd);
}

static int child_main(void *opaque)
{
    const struct cps_child *child = opaque;
    /* Only the parent writes on the go pipe and reads the status pipe: with these ends open here, the
     * child would never see the go pipe end if the parent gives up. */
    SYS1(SYS_close, child->go[1]);
    SYS1(SYS_close, child->status[0]);
    /* A group of its own, so the whole job can be signalled; gone with the daemon. */
    SYS2(SYS_setpgid, 0, 0);
    if (child->death_signal != 0) {
        SYS2(SYS_prctl, PR_SET_PDEATHSIG, child->death_signal);
        if (SYS0(SYS_getppid) != child->parent) SYS1(SYS_exit_group, 127); /* the daemon died before prctl */
    }
    struct kernel_sigaction_zero defaults = {{0}};
    for (int signal = 1; signal <= KERNEL_SIGNALS; signal++) {
        SYS4(SYS_rt_sigaction, signal, &defaults, NULL, KERNEL_SIGSET_BYTES);
    }
    unsigned long empty = 0;
    SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &empty, NULL, KERNEL_SIGSET_BYTES);
    /* Before waiting: stdio in place, the two pipe ends at 3 (go) and 4 (status), and nothing else of
     * the daemon's open, so no lock, socket or database of it lives on in this process meanwhile.
     * Stdio first, while the output pipes are still where the request says. */
    long null_fd = SYS4(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC, 0);
    if (null_fd < 0) report_and_exit(child->status[1], null_fd);
    long moved;
    if ((moved = move_descriptor((int)null_fd, 0)) < 0 || (moved = move_descriptor(child->stdout_fd, 1)) < 0
        || (moved = move_descriptor(child->stderr_fd, 2)) < 0) {
        report_and_exit(child->status[1], moved);
    }
    long go_fd = SYS3(SYS_fcntl, child->go[0], F_DUPFD, 5);
    long status_fd = SYS3(SYS_fcntl, child->status[1], F_DUPFD_CLOEXEC, 5);
    if (go_fd < 0) report_and_exit(child->status[1], go_fd);
    if (status_fd < 0) report_and_exit(child->status[1], status_fd);
    if ((moved = SYS3(SYS_dup3, status_fd, 4, O_CLOEXEC)) < 0) report_and_exit((int)status_fd, moved);
    if ((moved = SYS3(SYS_dup3, go_fd, 3, 0)) < 0) report_and_exit(4, moved);
    close_others(4, child->descriptor_limit);
    /* Wait until the daemon has recorded this process group durably. */
    char go_byte = 0;
    long got;
    do {
        got = SYS3(SYS_read, 3, &go_byte, 1);
    } while (got == -EINTR);
    if (got != 1) SYS1(SYS_exit_group, 127);
    SYS1(SYS_close, 3);
    long changed;
    if (child->directory != NULL && (changed = SYS1(SYS_chdir, child->directory)) < 0) report_and_exit(4, changed);
    long failed = SYS3(SYS_execve, child->path, child->argv, child->envp);
    report_and_exit(4, failed);
    return 127;
}

/* The request's strings and arrays, copied into one block owned by `child`. */
static int copy_request(struct cps_child *child, const struct cps_spawn_request *request)
{
    size_t argc = 0, envc = 0, bytes = strlen(request->path) + 1;
    for (; request->argv[argc] != NULL; argc++) bytes += strlen(request->argv[argc]) + 1;
    for (; request->envp[envc] != NULL; envc++) bytes += strlen(request->envp[envc]) + 1;
    if (request->directory != NULL) bytes += strlen(request->directory) + 1;
    size_t pointers = (argc + 1 + envc + 1) * sizeof(char *);
    char *block = malloc(pointers + bytes);
    if (block == NULL) return -ENOMEM;
    child->argv = (char **)block;
    child->envp = child->argv + argc + 1;
    char *text = block + pointers;
#define COPY(destination, source)                                                                              \
    do {                                                                                                       \
        size_t length = strlen(source) + 1;                                                                    \
        memcpy(text, (source), length);                                                                        \
        (destination) = text;                                                                                  \
        text += length;                                                                                        \
    } while (0)
    COPY(child->path, request->path);
    for (size_t i = 0; i < argc; i++) COPY(child->argv[i], request->argv[i]);
    child->argv[argc] = NULL;
    for (size_t i = 0; i < envc; i++) COPY(child->envp[i], request->envp[i]);
    child->envp[envc] = NULL;
    child->directory = NULL;
    if (request->directory != NULL) COPY(child->directory, request->directory);
#undef COPY
    return 0;
}

static void free_child(struct cps_child *child)
{
    if (child->stack != NULL) munmap(child->stack, child->stack_bytes);
    free(child->argv);
    free(child);
}

static pid_t start_child(struct cps_child *child)
{
#if SHARED_MEMORY_SPAWN
    size_t guard = (size_t)sysconf(_SC_PAGESIZE);
    child->stack_bytes = CHILD_STACK_BYTES + guard;
    child->stack = mmap(NULL, child->stack_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (child->stack == MAP_FAILED) {
        child->stack = NULL;
        return -errno;
    }
    if (mprotect(child->stack, guard, PROT_NONE) != 0) return -errno;
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t pid = clone(child_main, (char *)child->stack + child->stack_bytes, CLONE_VM | SIGCHLD, child);
    int error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return pid < 0 ? -error : pid;
#else
    pid_t pid = fork();
    if (pid == 0) child_main(child);
    return pid < 0 ? -errno : pid;
#endif
}

pid_t cps_spawn(const struct cps_spawn_request *request, struct cps_child **started)
{
    struct cps_child *child = calloc(1, sizeof *child);
    if (child == NULL) return -ENOMEM;
    int copied = copy_request(child, request);
    if (copied != 0) {
        free(child);
        return copied;
    }
    child->stdout_fd = request->stdout_fd;
    child->stderr_fd = request->stderr_fd;
    child->death_signal = request->death_signal;
    child->parent = getpid();
    struct rlimit files;
    child->descriptor_limit
        = getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY ? (long)files.rlim_cur : 65536;
    if (pipe2(child->go, O_CLOEXEC) != 0) {
        int error = errno;
        free_child(child);
        return -error;
    }
    if (pipe2(child->status, O_CLOEXEC) != 0) {
        int error = errno;
        close(child->go[0]);
        close(child->go[1]);
        free_child(child);
        return -error;
    }
    pid_t pid = start_child(child);
    close(child->go[0]);
    close(child->status[1]);
    if (pid < 0) {
        close(child->go[1]);
        close(child->status[0]);
        free_child(child);
        return pid;
    }
    *started = child;
    return pid;
}

int cps_release(struct cps_child *child, int go)
{
    int result = 0;
    if (go) {
        char byte = 1;
        ssize_t written;
        do {
            written = write(child->go[1], &byte, 1);
        } while (written < 0 && errno == EINTR);
        result = written == 1 ? 0 : -errno;
    }
    close(child->go[1]);
    return result;
}

int cps_exec_error(struct cps_child *child)
{
    int error = 0;
    ssize_t got;
    do {
        got = read(child->status[0], &error, sizeof error);
    } while (got < 0 && errno == EINTR);
    close(child->status[0]);
    /* The status pipe is closed on exec or exit: the child no longer runs on the stack or reads the copy. */
    free_child(child);
    return got == (ssize_t)sizeof error ? error : 0;
}
