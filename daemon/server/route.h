/* The routing table: matching a method and path to a handler, with {name} parameters. */
#ifndef BAOCAO_ROUTE_H
#define BAOCAO_ROUTE_H

#include <stddef.h>

#define ROUTE_MAX_PARAMS 8

/* Route flags. */
enum {
	ROUTE_INLINE = 1 << 0,	/* cheap and never blocks: answered on the loop thread */
	ROUTE_UPLOAD = 1 << 1,	/* takes a report as its body (max_upload_size); others 4 KiB */
	ROUTE_TEXT = 1 << 2,	/* takes a long text (an assessment): up to 64 KiB */
	ROUTE_PASSWORD = 1 << 3,	/* checks or hashes a password (Argon2id): the login pool */
	ROUTE_NO_DATABASE = 1 << 4,	/* answers without the database too (INLINE implies it) */
	ROUTE_DOCUMENT = 1 << 5,	/* takes a PDF document as its body (max_document_size) */
};

/* Casts a handler of any signature for the table; the caller casts it back. */
#define ROUTE_FN(f) ((void (*)(void))(f))

struct route {
	const char *method;	/* "GET", "PUT", ... */
	const char *pattern;	/* "/api/v1/series/{series}/periods/{period}" */
	void (*handler)(void);	/* the caller's handler type, cast with ROUTE_FN */
	int action;		/* what it does, for the access table (enum authz_action) */
	int flags;
};

struct route_params {
	int n;
	const char *names[ROUTE_MAX_PARAMS];	/* point into the pattern (not terminated at '}') */
	size_t name_lens[ROUTE_MAX_PARAMS];
	char *values[ROUTE_MAX_PARAMS];		/* percent-decoded, owned */
};

/*
 * Finds the route for method and path in a table ending with a zeroed entry. On success
 * fills params (free with route_params_free) and returns the route. Otherwise returns NULL
 * and sets *status to 404 (no such path) or 405 (path exists, not with this method).
 * HEAD matches GET routes.
 */
const struct route *route_match(const struct route *table, const char *method, const char *path,
				struct route_params *params, int *status);
/* The value of a named parameter, or NULL. */
const char *route_param(const struct route_params *params, const char *name);
void route_params_free(struct route_params *params);
/* Decodes %XX escapes of one path segment; NULL if malformed or decoding to '/' or NUL. */
char *route_decode_segment(const char *s, size_t n);

#endif
