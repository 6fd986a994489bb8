#include "CMicroHTTPD.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

// The library's functions, resolved by cmhd_load.
static struct MHD_Daemon *(*start_daemon)(
    unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *, MHD_AccessHandlerCallback, void *, ...);
static void (*stop_daemon)(struct MHD_Daemon *);
static const union MHD_ConnectionInfo *(*get_connection_info)(
    struct MHD_Connection *, enum MHD_ConnectionInfoType, ...);
static int (*get_connection_values)(struct MHD_Connection *, enum MHD_ValueKind, MHD_KeyValueIterator, void *);
static struct MHD_Response *(*create_response_from_buffer)(size_t, void *, enum MHD_ResponseMemoryMode);
static struct MHD_Response *(*create_response_from_callback)(
    uint64_t, size_t, MHD_ContentReaderCallback, void *, MHD_ContentReaderFreeCallback);
static void (*destroy_response)(struct MHD_Response *);
static enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *, const char *);
static enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
static void (*suspend_connection)(struct MHD_Connection *);
static void (*resume_connection)(struct MHD_Connection *);

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512];
static int load_result = -1;

static int resolve(void *library, const char *name, void **slot)
{
    *slot = dlsym(library, name);
    if (*slot == NULL) {
        snprintf(load_error, sizeof load_error, "%s has no %s: %s", CMHD_LIBRARY_NAME, name, dlerror());
        return -1;
    }
    return 0;
}

static void load(void)
{
    void *library = dlopen(CMHD_LIBRARY_NAME, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(load_error, sizeof load_error, "cannot load %s (Debian: apt-get install libmicrohttpd12): %s",
            CMHD_LIBRARY_NAME, dlerror());
        return;
    }
    if (resolve(library, "MHD_start_daemon", (void **)&start_daemon) != 0
        || resolve(library, "MHD_stop_daemon", (void **)&stop_daemon) != 0
        || resolve(library, "MHD_get_connection_info", (void **)&get_connection_info) != 0
        || resolve(library, "MHD_get_connection_values", (void **)&get_connection_values) != 0
        || resolve(library, "MHD_create_response_from_buffer", (void **)&create_response_from_buffer) != 0
        || resolve(library, "MHD_create_response_from_callback", (void **)&create_response_from_callback) != 0
        || resolve(library, "MHD_destroy_response", (void **)&destroy_response) != 0
        || resolve(library, "MHD_add_response_header", (void **)&add_response_header) != 0
        || resolve(library, "MHD_queue_response", (void **)&queue_response) != 0
        || resolve(library, "MHD_suspend_connection", (void **)&suspend_connection) != 0
        || resolve(library, "MHD_resume_connection", (void **)&resume_connection) != 0) {
        return;
    }
    load_result = 0;
}

int cmhd_load(char *error, size_t error_size)
{
    pthread_once(&load_once, load);
    if (load_result != 0 && error != NULL && error_size > 0) {
        snprintf(error, error_size, "%s", load_error);
    }
    return load_result;
}

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
    unsigned int thread_pool_size)
{
    return start_daemon(
        flags, 0, accept_policy, accept_policy_cls, handler, handler_cls,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
        MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
        MHD_OPTION_NOTIFY_CONNECTION, notify_connection, notify_connection_cls,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory_limit,
        MHD_OPTION_THREAD_STACK_SIZE, thread_stack_size,
        MHD_OPTION_THREAD_POOL_SIZE, thread_pool_size,
        MHD_OPTION_END);
}

int cmhd_connection_fd(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info = get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : (int)info->connect_fd;
}

void *cmhd_connection_socket_context(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info = get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info == NULL ? NULL : info->socket_context;
}

const struct sockaddr *cmhd_connection_client_address(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info = get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info == NULL ? NULL : info->client_addr;
}

void cmhd_stop_daemon(struct MHD_Daemon *daemon) { stop_daemon(daemon); }

int cmhd_get_connection_values(
    struct MHD_Connection *connection, enum MHD_ValueKind kind, MHD_KeyValueIterator iterator, void *iterator_cls)
{
    return get_connection_values(connection, kind, iterator, iterator_cls);
}

struct MHD_Response *cmhd_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
    return create_response_from_buffer(size, buffer, mode);
}

struct MHD_Response *cmhd_create_response_from_callback(
    uint64_t size, size_t block_size, MHD_ContentReaderCallback crc, void *crc_cls, MHD_ContentReaderFreeCallback crfc)
{
    return create_response_from_callback(size, block_size, crc, crc_cls, crfc);
}

void cmhd_destroy_response(struct MHD_Response *response) { destroy_response(response); }

enum MHD_Result cmhd_add_response_header(struct MHD_Response *response, const char *header, const char *content)
{
    return add_response_header(response, header, content);
}

enum MHD_Result cmhd_queue_response(
    struct MHD_Connection *connection, unsigned int status_code, struct MHD_Response *response)
{
    return queue_response(connection, status_code, response);
}

void cmhd_suspend_connection(struct MHD_Connection *connection) { suspend_connection(connection); }

void cmhd_resume_connection(struct MHD_Connection *connection) { resume_connection(connection); }
