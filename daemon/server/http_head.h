/* One strict reading of an HTTP/1.x request head, and the head written again for evhttp. */
#ifndef BAOCAO_HTTP_HEAD_H
#define BAOCAO_HTTP_HEAD_H

#include <event2/buffer.h>
#include <stdbool.h>
#include <stddef.h>

/* The header the guard puts in a request it refuses: "<nonce> <status>": 400 an ambiguous
 * head, 401 an upload without credentials, 411 a body without Content-Length, 413 a body over
 * its route's limit, 503 over max_connections; or the status of the credentials check, whose
 * answer http_guard_take_refusal gives. The body is announced as empty and the rest of the
 * connection's input dropped; the dispatcher answers with that status and closes. */
#define HTTP_GUARD_HEADER "X-Baocao-Guard"

struct http_request;

#define HTTP_HEAD_MAX_LINES 100	/* header lines of one request; browsers send about 20 */

/* What a complete head says, as far as the guard judges it. */
struct http_head {
	char method[16];
	char path[256];
	int content_lengths;		/* Content-Length headers */
	long long length;		/* its value */
	int headers;			/* header lines */
	bool bad;			/* a byte or a line that readers could read differently */
	bool transfer_encoding, credentials;
};

/* Reads a complete head (n bytes, line ends kept) into h; with rq, its headers as evhttp
 * keeps them too. h->bad says whether any byte or line could be read another way. */
void http_head_read(const char *text, size_t n, struct http_head *h, struct http_request *rq);
/* Writes a head in place of a refused one: its body announced as empty and the guard's
 * header carrying mark and the status, so that evhttp hands the request on at once and the
 * dispatcher answers it with that status. */
void http_head_refused(struct evbuffer *out, const struct http_head *h, const char *text,
		       size_t n, int status, const char *mark);
/* Writes the head as it came, less any header of the guard's name a client sent. */
void http_head_passed(struct evbuffer *out, const char *text, size_t len);

#endif
