#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
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

/* Everything below runs in the child between fork and exec, where only async-signal-safe calls are
 * allowed: no malloc, no locks, no stdio. */

static void report_and_exit(int status_fd, int error)
{
    ssize_t ignored = write(status_fd, &error, sizeof error);
    (void)ignored;
    _exit(127);
}

/* Closes every descriptor above `last`. */
static void close_others(int last, long limit)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)last + 1, ~0U, 0U) == 0) return;
#endif
    for (long fd = last + 1; fd < limit; fd++) close((int)fd);
}

int cps_spawn(const struct cps_spawn_request *request, int *go_fd, int *status_fd)
{
    int go[2], status[2];
    if (pipe2(go, O_CLOEXEC) != 0) return -errno;
    if (pipe2(status, O_CLOEXEC) != 0) {
        int error = errno;
        close(go[0]);
        close(go[1]);
        return -error;
    }
    struct rlimit files;
    long limit = getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY ? (long)files.rlim_cur : 65536;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(go[0]);
        close(go[1]);
        close(status[0]);
        close(status[1]);
        return -error;
    }
    if (pid == 0) {
        /* Only the parent writes on the go pipe and reads the status pipe: with these ends open here, the
         * child would never see the go pipe end if the parent gives up. */
        close(go[1]);
        close(status[0]);
        /* A group of its own, so the whole job can be signalled; gone with the daemon. */
        setpgid(0, 0);
        if (request->death_signal != 0) {
            prctl(PR_SET_PDEATHSIG, request->death_signal);
            if (getppid() != parent) _exit(127); /* the daemon died before prctl */
        }
        struct sigaction defaults = {0};
        defaults.sa_handler = SIG_DFL;
        for (int signal = 1; signal < NSIG; signal++) sigaction(signal, &defaults, NULL);
        sigset_t empty;
        sigemptyset(&empty);
        sigprocmask(SIG_SETMASK, &empty, NULL);
        /* Before waiting: stdio in place, the two pipe ends at 3 (go) and 4 (status), and nothing else of
         * the daemon's open, so no lock, socket or database of it lives on in this process meanwhile.
         * Stdio first, while the output pipes are still where the request says. */
        int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0) report_and_exit(status[1], errno);
        if (dup2(null_fd, 0) < 0 || dup2(request->stdout_fd, 1) < 0 || dup2(request->stderr_fd, 2) < 0) {
            report_and_exit(status[1], errno);
        }
        int go_fd = fcntl(go[0], F_DUPFD, 5);
        int status_fd = fcntl(status[1], F_DUPFD, 5);
        if (go_fd < 0 || status_fd < 0) report_and_exit(status[1], errno);
        if (dup2(status_fd, 4) < 0 || fcntl(4, F_SETFD, FD_CLOEXEC) < 0) report_and_exit(status_fd, errno);
        if (dup2(go_fd, 3) < 0) report_and_exit(4, errno);
        close_others(4, limit);
        /* Wait until the daemon has recorded this process group durably. */
        char go_byte = 0;
        ssize_t got;
        do {
            got = read(3, &go_byte, 1);
        } while (got < 0 && errno == EINTR);
        if (got != 1) _exit(127);
        close(3);
        if (request->directory != NULL && chdir(request->directory) != 0) report_and_exit(4, errno);
        execve(request->path, request->argv, request->envp);
        report_and_exit(4, errno);
    }
    close(go[0]);
    close(status[1]);
    *go_fd = go[1];
    *status_fd = status[0];
    return pid;
}

int cps_release(int go_fd, int go)
{
    int result = 0;
    if (go) {
        char byte = 1;
        ssize_t written;
        do {
            written = write(go_fd, &byte, 1);
        } while (written < 0 && errno == EINTR);
        result = written == 1 ? 0 : -errno;
    }
    close(go_fd);
    return result;
}

int cps_exec_error(int status_fd)
{
    int error = 0;
    ssize_t got;
    do {
        got = read(status_fd, &error, sizeof error);
    } while (got < 0 && errno == EINTR);
    close(status_fd);
    return got == (ssize_t)sizeof error ? error : 0;
}
