#ifndef CPROCESSSUPPORT_H
#define CPROCESSSUPPORT_H

#include <spawn.h>
#include <sys/types.h>

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec from the start, so a child spawned by another thread
/// at the same moment cannot inherit them (glibc declares pipe2 only under _GNU_SOURCE).
int cps_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addchdir_np, also a GNU extension.
int cps_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34): the child closes every descriptor from `from` up,
/// so a job inherits nothing of the daemon's (sockets, database, log) beyond stdin, stdout and stderr.
int cps_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// What `cps_spawn` starts.
struct cps_spawn_request {
    /// The program, already looked up on PATH.
    const char *path;
    char *const *argv;
    char *const *envp;
    /// Working directory, or NULL for the daemon's.
    const char *directory;
    /// Become the child's stdout and stderr; stdin is /dev/null.
    int stdout_fd;
    int stderr_fd;
    /// Sent to the child when the thread that started it exits (PR_SET_PDEATHSIG); 0 for none.
    int death_signal;
};

/// A started child waiting to exec, and what it reads meanwhile; freed by `cps_exec_error`.
struct cps_child;

/// Starts a child in a process group of its own, with default signal dispositions, an empty signal mask,
/// the death signal set, and nothing open but stdin, stdout and stderr. The child shares the daemon's
/// memory until it execs (no copy of the daemon's page tables is made) and waits before exec until
/// `cps_release(*child, 1)`, so the caller can first record its pid; `cps_release(*child, 0)` makes it exit
/// with 127 instead. Afterwards `cps_exec_error(*child)` says whether exec failed; it must be called once.
///
/// Returns the child's pid, or -errno when it could not be started.
pid_t cps_spawn(const struct cps_spawn_request *request, struct cps_child **child);

/// Lets the waiting child go on to exec (`go` non-zero) or exit (`go` zero). Returns 0 or -errno.
int cps_release(struct cps_child *child, int go);

/// Waits until the child has exec'd (0) or failed to (its errno), then frees `child`.
int cps_exec_error(struct cps_child *child);


#endif
