/* The guard on each client connection: reads request heads as they arrive, before evhttp,
 * so that a body over its route's limit is refused from its Content-Length before any of
 * it is read, and counts open connections against max_connections. */
#include "http_guard.h"
#include "http.h"
#include "log.h"
#include "route.h"
#include "util.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEAD_MAX (64 * 1024)	/* evhttp's own limit on a head */
#define SMALL_BODY (4 * 1024)	/* a login, a logout, a request that sends nothing */
#define LINE_PEEK 1100		/* the part of a head line read to judge it */
#define SWEEP_MS 2000

/* Where a connection's input stands. */
enum guard_state {
	GUARD_HEAD,		/* within a request head */
	GUARD_BODY,		/* within a body of known length */
	GUARD_PASS,		/* a chunked body or something evhttp refuses: not followed */
	GUARD_DISCARD,		/* after a refused request: the rest of the input is dropped */
};

/* One connection. The guard holds a reference on its bufferevent, so it can tell when evhttp
 * has let go of it (its callbacks are cleared) and free both. */
struct guard {
	struct guard *next;
	struct bufferevent *bev;
	enum guard_state state;
	size_t body_left;
	size_t partial;		/* bytes at the buffer's end of a line not yet complete */
	size_t head_bytes;
	bool line_one;		/* the request line of the current head was seen */
	bool chunked, refused, over_cap, busy;
	long long length;	/* Content-Length of the current head, -1 if none */
	char method[16];
	char path[256];
};

static struct guard *guards;
static size_t open_connections;
static size_t max_connections = 1024;
static long long upload_max = 10 * 1024 * 1024;
static char nonce[33];		/* marks the guard's own header; unknown to clients */
static struct event *sweeper;

/* The secret that marks the guard's header. */
const char *http_guard_nonce(void)
{
	return nonce;
}

/* The most body bytes a request may send: max_upload_size on upload routes, 4 KiB elsewhere. */
static long long body_limit(const char *method, const char *path)
{
	struct route_params params;
	int status = 0;
	const struct route *r = route_match(http_routes, method, path, &params, &status);
	if (r == NULL)
		return SMALL_BODY;
	route_params_free(&params);
	return (r->flags & ROUTE_UPLOAD) ? upload_max : SMALL_BODY;
}

/* Replaces bytes [from, to) of buf with text (nothing before `from` has been read by evhttp
 * yet, nor anything after). */
static void splice(struct evbuffer *buf, size_t from, size_t to, const char *text)
{
	struct evbuffer *tail = evbuffer_new();
	if (tail == NULL)
		fatal("http", "out of memory");
	if (evbuffer_add_buffer(tail, buf) != 0 ||
	    evbuffer_remove_buffer(tail, buf, from) != (int)from ||
	    evbuffer_add(buf, text, strlen(text)) != 0 || evbuffer_drain(tail, to - from) != 0 ||
	    evbuffer_add_buffer(buf, tail) != 0)
		fatal("http", "guard: cannot edit a request head");
	evbuffer_free(tail);
}

/* Drops bytes [from, end) of buf. */
static void cut(struct evbuffer *buf, size_t from)
{
	size_t len = evbuffer_get_length(buf);
	splice(buf, from, len, "");
}

/* Reads the method and path of a request line ("GET /x?y HTTP/1.1"). */
static void request_line(struct guard *g, const char *line)
{
	size_t m = strcspn(line, " ");
	g->method[0] = g->path[0] = '\0';
	if (m == 0 || m >= sizeof g->method || line[m] != ' ')
		return;
	memcpy(g->method, line, m);
	g->method[m] = '\0';
	const char *t = line + m + 1;
	const char *scheme = strstr(t, "://");
	if (scheme && scheme < t + strcspn(t, " ")) {	/* absolute form: from the path on */
		t = strchr(scheme + 3, '/');
		if (t == NULL)
			return;
	}
	size_t pl = strcspn(t, "? ");
	if (pl < sizeof g->path) {
		memcpy(g->path, t, pl);
		g->path[pl] = '\0';
	}
}

/* Judges one complete line [at, at + n) of the head; may edit buf. Returns how many bytes the
 * line occupies afterwards. */
static size_t head_line(struct guard *g, struct evbuffer *buf, size_t at, size_t n)
{
	char line[LINE_PEEK + 1];
	struct evbuffer_ptr p;
	if (evbuffer_ptr_set(buf, &p, at, EVBUFFER_PTR_SET) != 0)
		return n;
	size_t k = n < LINE_PEEK ? n : LINE_PEEK;
	ev_ssize_t got = evbuffer_copyout_from(buf, &p, line, k);
	if (got < 0)
		return n;
	line[got] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (!g->line_one) {
		g->line_one = true;
		request_line(g, line);
		if (!g->over_cap)
			return n;
		char *mark = xasprintf("%s\r\n%s: %s 503\r\n", line, HTTP_GUARD_HEADER, nonce);
		splice(buf, at, at + n, mark);
		size_t m = strlen(mark);
		free(mark);
		return m;
	}
	if (strncasecmp(line, "transfer-encoding:", 18) == 0) {
		g->chunked = strcasestr(line + 18, "chunked") != NULL;
		return n;
	}
	if (strncasecmp(line, "content-length:", 15) != 0)
		return n;
	char *end = NULL;
	long long v = strtoll(line + 15, &end, 10);
	while (end && (*end == ' ' || *end == '\t'))
		end++;
	if (end == line + 15 || end == NULL || *end != '\0' || v < 0)
		return n;	/* evhttp refuses a malformed length itself */
	g->length = v;
	long long limit = body_limit(g->method, g->path);
	if (v <= limit)
		return n;
	log_info("http", "%s %s: a body of %lld bytes refused from its head (limit %lld)",
		 g->method, g->path, v, limit);
	g->refused = true;
	g->length = 0;
	char *mark = xasprintf("Content-Length: 0\r\n%s: %s 413\r\n", HTTP_GUARD_HEADER, nonce);
	splice(buf, at, at + n, mark);
	size_t m = strlen(mark);
	free(mark);
	return m;
}

/* Follows newly added input from `pos` on: heads are judged line by line, bodies skipped. */
static void guard_scan(struct guard *g, struct evbuffer *buf, size_t pos)
{
	for (;;) {
		size_t len = evbuffer_get_length(buf);
		if (pos >= len)
			return;
		switch (g->state) {
		case GUARD_PASS:
			return;
		case GUARD_DISCARD:
			cut(buf, pos);
			return;
		case GUARD_BODY: {
			size_t n = len - pos < g->body_left ? len - pos : g->body_left;
			pos += n;
			g->body_left -= n;
			if (g->body_left == 0)
				g->state = GUARD_HEAD;
			continue;
		}
		case GUARD_HEAD:
			break;
		}
		struct evbuffer_ptr p, nl;
		if (evbuffer_ptr_set(buf, &p, pos, EVBUFFER_PTR_SET) != 0)
			return;
		nl = evbuffer_search(buf, "\n", 1, &p);
		if (nl.pos < 0) {
			g->partial = len - pos;
			if (g->head_bytes + g->partial > HEAD_MAX)
				g->state = GUARD_PASS;	/* evhttp refuses an over-long head */
			return;
		}
		size_t n = (size_t)nl.pos + 1 - pos;
		g->partial = 0;
		g->head_bytes += n;
		bool blank = n <= 2;
		if (blank && !g->line_one) {	/* stray blank lines before a request */
			pos += n;
			continue;
		}
		if (!blank) {
			pos += head_line(g, buf, pos, n);
			continue;
		}
		/* The end of a head. */
		pos += n;
		enum guard_state next = GUARD_HEAD;
		if (g->refused)
			next = GUARD_DISCARD;
		else if (g->chunked)
			next = GUARD_PASS;
		else if (g->length > 0)
			next = GUARD_BODY;
		g->body_left = g->length > 0 ? (size_t)g->length : 0;
		g->line_one = g->chunked = g->refused = false;
		g->length = -1;
		g->head_bytes = 0;
		g->state = next;
	}
}

/* The input buffer's callback: runs on the loop thread as data arrives, before evhttp reads it. */
static void guard_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct guard *g = arg;
	if (g->busy || info->n_added == 0)
		return;	/* our own edits, or evhttp consuming what it has read */
	g->busy = true;
	size_t len = evbuffer_get_length(buf);
	size_t fresh = info->n_added < len ? info->n_added : len;
	size_t start = len - fresh;
	guard_scan(g, buf, start >= g->partial ? start - g->partial : 0);
	g->busy = false;
}

/* Frees the guards of connections evhttp has closed. */
static void guard_sweep(void)
{
	for (struct guard **pp = &guards; *pp;) {
		struct guard *g = *pp;
		bufferevent_event_cb eventcb = NULL;
		bufferevent_getcb(g->bev, NULL, NULL, &eventcb, NULL);
		if (eventcb != NULL) {
			pp = &g->next;
			continue;
		}
		*pp = g->next;
		if (evbuffer_remove_cb(bufferevent_get_input(g->bev), guard_input, g) != 0)
			log_warn("http", "guard: cannot remove a connection's callback");
		bufferevent_decref(g->bev);
		free(g);
		open_connections--;
	}
}

/* Timer: sweeps now and then, so memory goes with the connections. */
static void guard_tick(evutil_socket_t fd, short what, void *arg)
{
	guard_sweep();
}

/* evhttp's hook for each new connection: its bufferevent, with the guard on its input. */
static struct bufferevent *guard_new(struct event_base *base, void *arg)
{
	guard_sweep();
	/* evhttp closes the socket itself, so the bufferevent must not. */
	struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
	if (bev == NULL)
		return NULL;	/* evhttp makes one itself: unguarded, but the server goes on */
	struct guard *g = xcalloc(1, sizeof *g);
	g->bev = bev;
	g->length = -1;
	g->over_cap = open_connections >= max_connections;
	if (g->over_cap)
		log_warn("http", "%zu connections open (max_connections): refusing a new one",
			 open_connections);
	if (evbuffer_add_cb(bufferevent_get_input(bev), guard_input, g) == NULL) {
		free(g);
		return bev;
	}
	bufferevent_incref(bev);
	g->next = guards;
	guards = g;
	open_connections++;
	return bev;
}

/* Installs the guard on a server. */
int http_guard_install(struct event_base *base, struct evhttp *server)
{
	unsigned char raw[16];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(nonce, sizeof nonce, raw, sizeof raw);
	sweeper = event_new(base, -1, EV_PERSIST, guard_tick, NULL);
	struct timeval tv = { SWEEP_MS / 1000, (SWEEP_MS % 1000) * 1000 };
	if (sweeper == NULL || event_add(sweeper, &tv) != 0)
		return -1;
	evhttp_set_bevcb(server, guard_new, NULL);
	return 0;
}

/* Sets the limits (reloadable). */
void http_guard_set_limits(long long max_upload, long long max_conns)
{
	upload_max = max_upload;
	max_connections = (size_t)max_conns;
}

/* Open connections right now. */
size_t http_guard_connections(void)
{
	return open_connections;
}

/* Frees what is left, once the server is freed. */
void http_guard_free(void)
{
	guard_sweep();
	if (sweeper) {
		event_free(sweeper);
		sweeper = NULL;
	}
}
