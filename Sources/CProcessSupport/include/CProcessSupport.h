#ifndef CPROCESSSUPPORT_H
#define CPROCESSSUPPORT_H

#include <spawn.h>

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec from the start, so a child spawned by another thread
/// at the same moment cannot inherit them (glibc declares pipe2 only under _GNU_SOURCE).
int cps_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addchdir_np, also a GNU extension.
int cps_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34): the child closes every descriptor from `from` up,
/// so a job inherits nothing of the daemon's (sockets, database, log) beyond stdin, stdout and stderr.
int cps_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

#endif
