/* The guard on each client connection: reads request heads as they arrive, before evhttp,
 * so that a head readers could read differently, a body over its route's limit or a large
 * body from an unknown caller is refused before any of it is read; caps connections overall
 * and per address, and closes those whose head or body comes too slowly. */
#ifndef BAOCAO_HTTP_GUARD_H
#define BAOCAO_HTTP_GUARD_H

#include "http_head.h"

#include <event2/http.h>

struct http_app;
struct http_response;
#include <stddef.h>

/* Puts the guard on every new connection of the server, with the routes and authentication of
 * app (kept, not copied). Returns 0 or -1. */
int http_guard_install(struct event_base *base, struct evhttp *server,
		       const struct http_app *app);
/* Frees the guards left once the server (and so every connection) is freed. */
void http_guard_free(void);
/* The guard's limits (reloadable). */
struct http_guard_limits {
	long long max_upload;		/* the body of an upload route (ROUTE_UPLOAD) */
	long long max_document;		/* the body of a document route (ROUTE_DOCUMENT) */
	long long max_connections;	/* open at once */
	long long max_per_address;	/* open at once from one address (or /64) */
	long long head_timeout_ms;	/* for a head to arrive whole */
	long long min_body_rate;	/* bytes per second; 0: none */
	long long body_grace_ms;	/* before min_body_rate applies */
};

/* Sets the limits (reloadable). */
void http_guard_set_limits(const struct http_guard_limits *limits);
/* The answer the credentials check gave a request the guard refused on its connection, or
 * NULL; the caller owns it (free its body, headers and itself). */
struct http_response *http_guard_take_refusal(struct evhttp_request *req);
/* The secret that marks the guard's own headers. */
const char *http_guard_nonce(void);
/* Connections open now. */
size_t http_guard_connections(void);

#endif
