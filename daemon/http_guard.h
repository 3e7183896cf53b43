/* The guard on each client connection: reads request heads as they arrive, before evhttp,
 * so that a body over its route's limit is refused from its Content-Length before any of
 * it is read, and counts open connections against max_connections. */
#ifndef BAOCAO_HTTP_GUARD_H
#define BAOCAO_HTTP_GUARD_H

#include <event2/http.h>
#include <stddef.h>

/* The header the guard puts in a request it refuses: "<nonce> <status>": 400 an ambiguous
 * head, 401 an upload without credentials, 411 a body without Content-Length, 413 a body over
 * its route's limit, 503 over max_connections. The body is announced as empty and the rest of
 * the connection's input dropped; the dispatcher answers with that status and closes. */
#define HTTP_GUARD_HEADER "X-Baocao-Guard"

/* Puts the guard on every new connection of the server. Returns 0 or -1. */
int http_guard_install(struct event_base *base, struct evhttp *server);
/* Frees the guards left once the server (and so every connection) is freed. */
void http_guard_free(void);
/* The largest body of an upload route (ROUTE_UPLOAD; other routes take 4 KiB) and the most
 * connections open at once (reloadable). */
void http_guard_set_limits(long long max_upload, long long max_connections);
/* The secret that marks the guard's own headers. */
const char *http_guard_nonce(void);
/* Connections open now. */
size_t http_guard_connections(void);

#endif
