/* The guard on each client connection: holds each request head back from evhttp until it is
 * complete, judges it whole (body limits per route from Content-Length, ambiguous heads, the
 * connection cap), and only then lets evhttp read it, so no body over its limit is read. */
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

/* A head held back may be this long, line ends included. evhttp refuses heads of more than
 * 64 KiB without line ends, so a longer one is evhttp's to refuse: it is passed on as it is. */
#define HEAD_MAX (160 * 1024)
#define SMALL_BODY (4 * 1024)	/* a login, a logout, a request that sends nothing */
#define TEXT_BODY (64 * 1024)	/* a long text: an assessment */
#define MAX_HEADERS 100		/* header lines of one request; browsers send about 20 */
#define SWEEP_MS 2000

/* Where a connection's input stands. */
enum guard_state {
	GUARD_HEAD,		/* a head is being held back until it is complete */
	GUARD_BODY,		/* a body of known length is passing */
	GUARD_PASS,		/* a head too long: evhttp refuses it and closes */
	GUARD_DISCARD,		/* after a refused request: the rest of the input is dropped */
};

/* One connection. The guard holds a reference on its bufferevent, so it can tell when evhttp
 * has let go of it (its callbacks are cleared) and free both. */
struct guard {
	struct guard *next;
	struct bufferevent *bev;
	struct evbuffer *held;	/* the head so far, not yet given to evhttp */
	enum guard_state state;
	size_t body_left;
	bool over_cap, busy;
};

/* What a complete head says, as far as the guard judges it. */
struct head {
	char method[16];
	char path[256];
	int content_lengths;		/* Content-Length headers */
	long long length;		/* the first one's value; -1 if unreadable */
	bool length_differs;		/* a later one says otherwise */
	int headers;			/* header lines */
	bool transfer_encoding, folded, credentials;
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

/* The most body bytes a request may send: max_upload_size on upload routes, 64 KiB on long
 * text routes, 4 KiB elsewhere. */
static long long body_limit(const struct head *h)
{
	struct route_params params;
	int status = 0;
	const struct route *r = route_match(http_routes, h->method, h->path, &params, &status);
	if (r == NULL)
		return SMALL_BODY;
	route_params_free(&params);
	return (r->flags & ROUTE_UPLOAD) ? upload_max : (r->flags & ROUTE_TEXT) ? TEXT_BODY :
								     SMALL_BODY;
}

/* Reads the method and path of a request line ("GET /x?y HTTP/1.1"). */
static void request_line(struct head *h, const char *line, size_t n)
{
	size_t m = strcspn(line, " ");
	if (m == 0 || m >= sizeof h->method || m >= n)
		return;
	memcpy(h->method, line, m);
	h->method[m] = '\0';
	const char *t = line + m + 1;
	if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
		t = strchr(t + (t[4] == ':' ? 7 : 8), '/');	/* absolute form: from the path */
		if (t == NULL)
			return;
	}
	size_t pl = strcspn(t, "? ");
	if (pl < sizeof h->path) {
		memcpy(h->path, t, pl);
		h->path[pl] = '\0';
	}
}

/* A Content-Length value: digits between optional blanks; -1 if anything else. */
static long long length_value(const char *v)
{
	while (*v == ' ' || *v == '\t')
		v++;
	long long n = 0;
	const char *d = v;
	for (; *d >= '0' && *d <= '9'; d++) {
		if (n > (1LL << 50))
			return -1;
		n = n * 10 + (*d - '0');
	}
	if (d == v)
		return -1;
	while (*d == ' ' || *d == '\t')
		d++;
	return *d == '\0' ? n : -1;
}

/* Whether a header line has this name (case-insensitive), and where its value starts. */
static const char *header_value(const char *line, const char *name)
{
	size_t n = strlen(name);
	return strncasecmp(line, name, n) == 0 && line[n] == ':' ? line + n + 1 : NULL;
}

/* Reads a complete head (NUL-terminated text, line ends kept) into h. */
static void head_read(const char *text, struct head *h)
{
	memset(h, 0, sizeof *h);
	h->length = 0;
	bool first = true;
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		size_t len = n && line[n - 1] == '\r' ? n - 1 : n;
		char *l = xstrndup(line, len);
		line += n + (line[n] == '\n');
		if (len == 0) {
			free(l);
			if (first)
				continue;	/* blank lines before the request line */
			break;
		}
		const char *v;
		if (!first)
			h->headers++;
		if (first) {
			request_line(h, l, len);
			first = false;
		} else if (l[0] == ' ' || l[0] == '\t') {
			h->folded = true;
		} else if ((v = header_value(l, "Content-Length")) != NULL) {
			long long x = length_value(v);
			if (h->content_lengths++ == 0)
				h->length = x;
			else if (x != h->length)
				h->length_differs = true;
		} else if (header_value(l, "Transfer-Encoding") != NULL) {
			h->transfer_encoding = true;
		} else if (header_value(l, "Authorization") != NULL ||
			   header_value(l, "Cookie") != NULL) {
			h->credentials = true;
		}
		free(l);
	}
}

/* Writes the head with its body announced as empty and the guard's mark of a refusal, so that
 * evhttp hands the request on at once and the dispatcher answers it with that status. */
static void head_refused(struct evbuffer *out, const char *text, int status)
{
	bool first = true;
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		size_t len = n && line[n - 1] == '\r' ? n - 1 : n;
		const char *l = line;
		line += n + (line[n] == '\n');
		if (len == 0) {
			if (first)
				continue;
			break;
		}
		if (!first && (header_value(l, "Content-Length") || header_value(l, "Expect") ||
			       header_value(l, "Transfer-Encoding") ||
			       header_value(l, HTTP_GUARD_HEADER) || l[0] == ' ' || l[0] == '\t'))
			continue;
		first = false;
		if (evbuffer_add(out, l, len) != 0 || evbuffer_add(out, "\r\n", 2) != 0)
			fatal("http", "out of memory");
	}
	if (evbuffer_add_printf(out, "Content-Length: 0\r\n%s: %s %d\r\n\r\n", HTTP_GUARD_HEADER,
				nonce, status) < 0)
		fatal("http", "out of memory");
}

/* Writes the head as it came, less any header of the guard's name a client sent. */
static void head_passed(struct evbuffer *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (header_value(p, HTTP_GUARD_HEADER) == NULL && evbuffer_add(out, p, n) != 0)
			fatal("http", "out of memory");
		p += n;
	}
}

/* Judges a complete head: the status to refuse it with, or 0 to let it through. */
static int head_judge(const struct guard *g, const struct head *h, long long *body)
{
	*body = 0;
	if (g->over_cap)
		return 503;
	if (h->folded || h->length_differs || (h->content_lengths && h->length < 0))
		return 400;	/* ambiguous: another reader could see another request */
	if (h->headers > MAX_HEADERS)
		return 400;
	if (h->transfer_encoding)
		return 411;	/* bodies come with their length */
	bool bodiless = strcmp(h->method, "HEAD") == 0 || strcmp(h->method, "TRACE") == 0;
	if (bodiless && h->length > 0)
		return 400;
	long long limit = body_limit(h);
	if (!h->credentials && limit > SMALL_BODY && h->length > SMALL_BODY)
		return 401;	/* nobody uploads without saying who they are */
	if (h->length > limit) {
		log_info("http", "%s %s: a body of %lld bytes refused from its head (limit %lld)",
			 h->method, h->path, h->length, limit);
		return 413;
	}
	*body = h->length;
	return 0;
}

/* Moves the bytes of buf from `from` on to the end of held. */
static void hold(struct evbuffer *buf, size_t from, struct evbuffer *held)
{
	struct evbuffer *front = evbuffer_new();
	if (front == NULL || evbuffer_remove_buffer(buf, front, from) != (int)from ||
	    evbuffer_add_buffer(held, buf) != 0 || evbuffer_add_buffer(buf, front) != 0)
		fatal("http", "guard: cannot hold a request head back");
	evbuffer_free(front);
}

/* Follows newly added input from `pos` on: heads are held back and judged whole, bodies
 * counted through. */
static void guard_scan(struct guard *g, struct evbuffer *buf, size_t pos)
{
	for (;;) {
		size_t len = evbuffer_get_length(buf);
		if (g->state == GUARD_PASS)
			return;
		if (g->state == GUARD_DISCARD) {
			if (pos < len) {
				struct evbuffer *drop = evbuffer_new();
				if (drop == NULL)
					fatal("http", "out of memory");
				hold(buf, pos, drop);
				evbuffer_free(drop);
			}
			return;
		}
		if (g->state == GUARD_BODY) {
			size_t n = len - pos < g->body_left ? len - pos : g->body_left;
			pos += n;
			g->body_left -= n;
			if (g->body_left > 0)
				return;
			g->state = GUARD_HEAD;
		}
		if (pos >= len)
			return;
		/* GUARD_HEAD: what follows pos is held back until the blank line. */
		hold(buf, pos, g->held);
		struct evbuffer_ptr end = evbuffer_search(g->held, "\n\r\n", 3, NULL);
		struct evbuffer_ptr end2 = evbuffer_search(g->held, "\n\n", 2, NULL);
		ev_ssize_t at = end.pos >= 0 && (end2.pos < 0 || end.pos < end2.pos) ? end.pos + 3 :
				end2.pos >= 0 ? end2.pos + 2 : -1;
		if (at < 0) {
			if (evbuffer_get_length(g->held) > HEAD_MAX) {	/* evhttp's to refuse: give it all */
				evbuffer_add_buffer(buf, g->held);
				g->state = GUARD_PASS;
			}
			return;
		}
		size_t n = (size_t)at;
		char *text = xmalloc(n + 1);
		if (evbuffer_remove(g->held, text, n) != (int)n)
			fatal("http", "guard: cannot read a held head");
		text[n] = '\0';
		struct head h;
		head_read(text, &h);
		long long body = 0;
		int refuse = head_judge(g, &h, &body);
		if (refuse) {
			head_refused(buf, text, refuse);
			evbuffer_drain(g->held, evbuffer_get_length(g->held));
			g->state = GUARD_DISCARD;
		} else {
			head_passed(buf, text, n);
			g->body_left = (size_t)body;
			g->state = body > 0 ? GUARD_BODY : GUARD_HEAD;
		}
		free(text);
		/* What came after the head goes on through the same steps. */
		pos = evbuffer_get_length(buf);
		if (evbuffer_add_buffer(buf, g->held) != 0)
			fatal("http", "guard: cannot give input back");
	}
}

/* The input buffer's callback: runs on the loop thread as data arrives, before evhttp reads it. */
static void guard_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct guard *g = arg;
	if (g->busy || info->n_added == 0)
		return;	/* our own moves, or evhttp consuming what it has read */
	g->busy = true;
	size_t len = evbuffer_get_length(buf);
	size_t fresh = info->n_added < len ? info->n_added : len;
	guard_scan(g, buf, len - fresh);
	g->busy = false;
}

/* Frees the guards of connections evhttp has closed. Run before a new connection registers
 * its socket: a bufferevent the guard still holds keeps its events until freed here. */
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
		evbuffer_free(g->held);
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
	g->held = evbuffer_new();
	g->over_cap = open_connections >= max_connections;
	if (g->over_cap)
		log_warn("http", "%zu connections open (max_connections): refusing a new one",
			 open_connections);
	if (g->held == NULL || evbuffer_add_cb(bufferevent_get_input(bev), guard_input, g) == NULL)
		fatal("http", "out of memory");
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
