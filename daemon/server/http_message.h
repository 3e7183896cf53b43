/* Requests and responses as handlers see them, the helpers that read and write them, and what
 * the application hands the server (its routes, gate and authentication). */
#ifndef BAOCAO_HTTP_MESSAGE_H
#define BAOCAO_HTTP_MESSAGE_H

#include "auth.h"
#include "route.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct db;

struct http_header {
	char *name;
	char *value;
};

/* A request as handlers see it: plain copies, safe to use on a worker thread. */
struct http_request {
	const char *method;
	char *path;
	char *query;		/* raw query string, or NULL */
	struct route_params params;
	struct http_header *headers;
	size_t nheaders;
	char *remote_addr;
	bool forwarded_untrusted;	/* X-Forwarded-For from a peer not in trusted_proxies */
	unsigned char *body;	/* NUL-terminated copy of the body */
	size_t body_len;
	time_t received_at;	/* when the request arrived (clock_now on the loop thread) */
};

struct http_response {
	int status;
	const char *content_type;
	struct strbuf body;
	struct http_header *headers;
	size_t nheaders;
};

/* Case-insensitive request header lookup; NULL if absent. */
const char *http_header(const struct http_request *rq, const char *name);
/* A decoded query parameter, newly allocated; NULL if absent. */
char *http_query_param(const struct http_request *rq, const char *name);
/* Adds a response header. */
void http_add_header(struct http_response *rs, const char *name, const char *value);
/* Sets a JSON error body {"error":{"code":...,"message":...}}; the message is for users. */
void http_error(struct http_response *rs, int status, const char *code, const char *message);
/* Sets status and the JSON content type; the caller writes rs->body. */
void http_json(struct http_response *rs, int status);

/* What the application hands the server (main.c composes it from api/). */
struct http_app {
	/* The routes, ending with a zeroed entry; the server matches them and hands the route
	 * to run, whose handler type it does not know. */
	const struct route *routes;
	/* Runs a matched route: on a worker thread with its database holder, or on the loop
	 * thread with db NULL for ROUTE_INLINE routes. The application identifies the caller,
	 * checks the access table and calls the route's handler; it writes rs in every case. */
	void (*run)(struct http_request *rq, struct http_response *rs, struct db *db,
		    const struct route *route);
	/* Worker thread, for the guard before a large body is read: identifies the caller (*who),
	 * or writes the 401/503 answer and returns false. */
	bool (*authenticate)(struct http_request *rq, struct http_response *rs, struct db *db,
			     struct principal *who);
};

/* Adds a header to a list (grown in powers of two). */
void http_header_push(struct http_header **list, size_t *n, const char *name, const char *value);
/* Frees a header list. */
void http_headers_free(struct http_header *list, size_t n);

#endif
