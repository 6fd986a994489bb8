#ifndef CMICROHTTPD_H
#define CMICROHTTPD_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <microhttpd.h>

/// libmicrohttpd is loaded with dlopen when a server first starts, not linked: a process that never
/// serves (every client command of memoryd) then does not load it, nor GnuTLS and the eight libraries
/// that Debian's build of it brings, which cost a client call about 2 ms of start-up. Every function
/// below except `cmhd_load` needs a successful `cmhd_load` first.

/// The library's file name, with its ABI version (Debian's libmicrohttpd12).
#define CMHD_LIBRARY_NAME "libmicrohttpd.so.12"

/// Loads libmicrohttpd once (later calls return the first call's result): 0, or -1 with the reason in
/// `error` (at most `error_size` bytes, NUL-terminated).
int cmhd_load(char *error, size_t error_size);

/// MHD_start_daemon is variadic, which Swift cannot call: this fixes its options.
///
/// The daemon serves a listening socket the caller created (TCP or Unix), so binding, permissions and
/// the chosen port stay in Swift. With `thread_pool_size` above 1 (and an internal polling thread in
/// `flags`), that many threads serve the listener's connections. `accept_policy` sees each new connection's address before it is taken
/// on; `notify_connection` hears each connection start and end.
struct MHD_Daemon *cmhd_start_on_socket(
    unsigned int flags,
    int listen_fd,
    MHD_AcceptPolicyCallback accept_policy,
    void *accept_policy_cls,
    MHD_AccessHandlerCallback handler,
    void *handler_cls,
    MHD_RequestCompletedCallback completed,
    void *completed_cls,
    MHD_NotifyConnectionCallback notify_connection,
    void *notify_connection_cls,
    unsigned int connection_limit,
    unsigned int connection_timeout_seconds,
    size_t connection_memory_limit,
    size_t thread_stack_size,
    unsigned int thread_pool_size);

/// The socket of a connection (MHD_get_connection_info is variadic too).
int cmhd_connection_fd(struct MHD_Connection *connection);

/// What the connection notification stored for this connection.
void *cmhd_connection_socket_context(struct MHD_Connection *connection);

/// The peer address of a connection, or NULL.
const struct sockaddr *cmhd_connection_client_address(struct MHD_Connection *connection);

/// The library's functions of the same names without `c` in front.
void cmhd_stop_daemon(struct MHD_Daemon *daemon);
int cmhd_get_connection_values(
    struct MHD_Connection *connection, enum MHD_ValueKind kind, MHD_KeyValueIterator iterator, void *iterator_cls);
struct MHD_Response *cmhd_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode);
struct MHD_Response *cmhd_create_response_from_callback(
    uint64_t size, size_t block_size, MHD_ContentReaderCallback crc, void *crc_cls, MHD_ContentReaderFreeCallback crfc);
void cmhd_destroy_response(struct MHD_Response *response);
enum MHD_Result cmhd_add_response_header(struct MHD_Response *response, const char *header, const char *content);
enum MHD_Result cmhd_queue_response(
    struct MHD_Connection *connection, unsigned int status_code, struct MHD_Response *response);
void cmhd_suspend_connection(struct MHD_Connection *connection);
void cmhd_resume_connection(struct MHD_Connection *connection);

#endif
