/* The guard on each client connection: holds each request head back from evhttp until it is
 * complete, judges it whole (read one strict way by http_head.c; body limits per route, the
 * caller's credentials before a large body), caps connections per address and overall, and
 * closes connections whose head or body comes too slowly. */
#include "http_guard.h"
#include "http_guard_log.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "http_message.h"
#include "http_head.h"
#include "log.h"
#include "metrics.h"
#include "netaddr.h"
#include "route.h"
#include "util.h"
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* A head held back may be this long, line ends included. evhttp refuses heads of more than
 * 64 KiB without line ends, so a longer one is evhttp's to refuse: it is passed on as it is. */
#define HEAD_MAX (160 * 1024)
#define SMALL_BODY (4 * 1024)	/* a login, a logout, a request that sends nothing */
#define TEXT_BODY (64 * 1024)	/* a long text: an assessment */
#define INPUT_MAX (256 * 1024)	/* input read from a socket and not yet taken by evhttp */
#define TICK_MS 250		/* how often slow connections are looked for */

/* Where a connection's input stands. */
enum guard_state {
	GUARD_HEAD,		/* a head is being held back until it is complete */
	GUARD_CHECK,		/* a complete head waits for its credentials to be checked */
	GUARD_BODY,		/* a body of known length is passing */
	GUARD_PASS,		/* a head too long: evhttp refuses it and closes */
	GUARD_DISCARD,		/* after a refused request: the rest of the input is dropped */
	GUARD_CLOSED,		/* closed by the guard: evhttp sees the end of the input */
};

struct check;

/* One connection. The guard holds a reference on its bufferevent, so it can tell when evhttp
 * has let go of it (its callbacks are cleared) and free both. The socket is the bufferevent's
 * to close (BEV_OPT_CLOSE_ON_FREE, which evhttp respects): it stays open until the guard frees
 * the bufferevent, after its events are taken off. Were it closed first, by evhttp, its number
 * could meanwhile be another thread's socket (libpq's), which taking the events off would then
 * touch. */
struct guard {
	struct guard *next;
	struct bufferevent *bev;
	struct event *learn;	/* runs once evhttp has given the bufferevent its socket */
	struct evbuffer *held;	/* the head so far, not yet given to evhttp */
	enum guard_state state;
	size_t body_left, body_size;
	size_t searched;	/* bytes of held already searched for the head's end */
	long long head_since;	/* monotonic ms the awaited head started at; 0: none awaited */
	long long body_since;	/* monotonic ms the passing body started at */
	bool learned;		/* the peer's address is known (or cannot be) */
	bool open;		/* counted in open_connections */
	bool capped;		/* counted against its address's cap */
	bool over_cap, busy;
	bool ahead_stopped;	/* reading stopped: INPUT_MAX waits while evhttp writes */
	unsigned key_hash;
	char peer[INET6_ADDRSTRLEN];
	char key[NETADDR_KEY_MAX];
	struct check *check;		/* the credentials check in flight */
	struct http_response *refusal;	/* the check's answer, until the dispatcher takes it */
};

/* A credentials check: the head held back, and the request as the gate would see it. */
struct check {
	struct guard *g;
	char *head;
	size_t head_len;
	long long body;
	struct http_request rq;
	struct http_response rs;
	bool ok;
};


static const struct http_app *guarded_app;	/* routes and authentication (install) */
static struct guard *guards;
static size_t open_connections;
static size_t max_connections = 1024;
static size_t max_per_address = 64;
static long long upload_max = 10 * 1024 * 1024;
static long long document_max = 20 * 1024 * 1024;
static long long head_timeout_ms = 10000;
static long long min_body_rate = 1024;
static long long body_grace_ms = 5000;
static char nonce[33];		/* marks the guard's own header; unknown to clients */
static struct event *ticker;
static struct ev_token_bucket_cfg *stopped_reading;	/* a bucket that never fills */

/* The secret that marks the guard's header. */
const char *http_guard_nonce(void)
{
	return nonce;
}

/* The most body bytes a request may send: max_upload_size on upload routes,
 * max_document_size on document routes, 64 KiB on long text routes, 4 KiB elsewhere. */
static long long body_limit(const struct http_head *h)
{
	struct route_params params;
	int status = 0;
	const struct route *r = route_match(guarded_app->routes, h->method, h->path, &params, &status);
	if (r == NULL)
		return SMALL_BODY;
	route_params_free(&params);
	if (r->flags & ROUTE_DOCUMENT)
		return document_max;
	return (r->flags & ROUTE_UPLOAD) ? upload_max : (r->flags & ROUTE_TEXT) ? TEXT_BODY :
								     SMALL_BODY;
}

/* What to do with a complete head. */
enum verdict { PASS, CHECK_FIRST, REFUSE };

/* Judges a complete head: the status to refuse it with, a credentials check, or passing. */
static enum verdict head_judge(const struct guard *g, const struct http_head *h, int *status)
{
	*status = 0;
	if (g->over_cap)
		*status = 503;
	else if (h->bad || h->headers > HTTP_HEAD_MAX_LINES)
		*status = 400;	/* ambiguous: another reader could see another request */
	else if (h->transfer_encoding)
		*status = 411;	/* bodies come with their length */
	else if ((strcmp(h->method, "HEAD") == 0 || strcmp(h->method, "TRACE") == 0) &&
		 h->length > 0)
		*status = 400;
	if (*status)
		return REFUSE;
	long long limit = body_limit(h);
	if (h->length > limit) {
		log_info("http", "%s %s: a body of %lld bytes refused from its head (limit %lld)",
			 h->method, h->path, h->length, limit);
		*status = 413;
		return REFUSE;
	}
	if (h->length > SMALL_BODY) {
		if (!h->credentials) {
			*status = 401;	/* nobody uploads without saying who they are */
			return REFUSE;
		}
		return CHECK_FIRST;	/* who they are is checked before the body is read */
	}
	return PASS;
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

/* Stops reading the connection's socket, whatever evhttp enables, until reading_resume. */
static void reading_stop(struct guard *g)
{
	if (bufferevent_set_rate_limit(g->bev, stopped_reading) != 0 ||
	    bufferevent_decrement_read_limit(g->bev, 2) != 0)
		log_warn("http", "guard: cannot stop reading a connection");
}

/* Reads the connection's socket again (when evhttp has reading enabled). */
static void reading_resume(struct guard *g)
{
	if (bufferevent_set_rate_limit(g->bev, NULL) != 0)
		log_warn("http", "guard: cannot read a connection again");
}

/* Whether evhttp still holds the connection (a freed one has its callbacks cleared; its socket
 * is shut down for writing and waits for guard_sweep to close it). */
static bool evhttp_holds(const struct guard *g)
{
	bufferevent_event_cb eventcb = NULL;
	bufferevent_getcb(g->bev, NULL, NULL, &eventcb, NULL);
	return eventcb != NULL;
}

/* After evhttp has let go of a connection: nothing more is read or written on its socket
 * (still open: closed when the bufferevent is freed), and what the guard held is dropped. */
static void guard_let_go(struct guard *g)
{
	g->state = GUARD_CLOSED;
	evbuffer_drain(g->held, evbuffer_get_length(g->held));
	if (bufferevent_disable(g->bev, EV_READ | EV_WRITE) != 0)
		log_warn("http", "guard: cannot detach a closed connection's events");
}

/* Whether evhttp is writing a reply: it then reads only to notice a close (its read callback
 * is cleared) and takes nothing of the input. */
static bool evhttp_writing(const struct guard *g)
{
	bufferevent_data_cb readcb = NULL;
	bufferevent_getcb(g->bev, &readcb, NULL, NULL, NULL);
	return readcb == NULL;
}

/* While evhttp writes a reply, input it does not take stays bounded: past INPUT_MAX the
 * socket is left alone until evhttp reads again (a client pipelining requests without reading
 * the answers). */
static void read_ahead_bound(struct guard *g)
{
	if (g->ahead_stopped || g->state == GUARD_CHECK || !evhttp_holds(g) || !evhttp_writing(g) ||
	    evbuffer_get_length(bufferevent_get_input(g->bev)) <= INPUT_MAX)
		return;
	g->ahead_stopped = true;
	reading_stop(g);
}

/* Reads again once evhttp takes the input or it is back under INPUT_MAX (from the timer). */
static void read_ahead_release(struct guard *g)
{
	if (!g->ahead_stopped || (evhttp_holds(g) && evhttp_writing(g) &&
	    evbuffer_get_length(bufferevent_get_input(g->bev)) > INPUT_MAX))
		return;
	g->ahead_stopped = false;
	if (g->state != GUARD_CHECK && evhttp_holds(g))
		reading_resume(g);	/* a check in flight resumes reading itself */
}

/* Whether evhttp has reading enabled: it is reading a request, not handling one. */
static bool evhttp_reading(const struct guard *g)
{
	return (bufferevent_get_enabled(g->bev) & EV_READ) != 0;
}

static void check_run(struct db *db, void *arg);
static void check_done(void *arg, bool ran);
static void check_free(struct check *c);

/* Starts the credentials check of a held head (text is taken); false if the workers' queue
 * is full. */
static bool check_start(struct guard *g, char *text, size_t n, long long body)
{
	struct check *c = xcalloc(1, sizeof *c);
	c->g = g;
	c->head = text;
	c->head_len = n;
	c->body = body;
	struct http_head h;
	http_head_read(text, n, &h, &c->rq);
	c->rq.method = strcmp(h.method, "PUT") == 0 ? "PUT" : strcmp(h.method, "POST") == 0 ? "POST" :
		       strcmp(h.method, "PATCH") == 0 ? "PATCH" : strcmp(h.method, "DELETE") == 0 ?
		       "DELETE" : "OTHER";
	c->rq.path = xstrdup(h.path);
	c->rq.remote_addr = xstrdup(g->peer[0] ? g->peer : "-");
	c->rq.received_at = clock_now();
	c->rs.status = 500;
	if (!worker_submit(check_run, check_done, c)) {
		c->head = NULL;	/* the caller keeps it */
		check_free(c);
		return false;
	}
	g->check = c;
	g->state = GUARD_CHECK;
	reading_stop(g);
	return true;
}

/* Follows newly added input from `pos` on: heads are held back and judged whole, bodies
 * counted through. */
static void guard_scan(struct guard *g, struct evbuffer *buf, size_t pos)
{
	for (;;) {
		size_t len = evbuffer_get_length(buf);
		if (g->state == GUARD_PASS)
			return;
		if (g->state == GUARD_DISCARD || g->state == GUARD_CLOSED ||
		    g->state == GUARD_CHECK) {
			if (pos < len) {
				if (g->state == GUARD_CHECK) {	/* kept for after the check */
					hold(buf, pos, g->held);
					reading_stop(g);
					return;
				}
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
			g->head_since = 0;
		}
		if (pos >= len)
			return;
		/* GUARD_HEAD: what follows pos is held back until the blank line. */
		if (g->head_since == 0)
			g->head_since = clock_mono_ms();
		hold(buf, pos, g->held);
		/* Only the new bytes are searched (and the two before them), so that a head sent a
		 * byte at a time costs no more than one sent whole. */
		struct evbuffer_ptr from;
		if (evbuffer_ptr_set(g->held, &from, g->searched > 2 ? g->searched - 2 : 0,
				     EVBUFFER_PTR_SET) != 0)
			fatal("http", "guard: cannot search a held head");
		struct evbuffer_ptr end = evbuffer_search(g->held, "\n\r\n", 3, &from);
		struct evbuffer_ptr end2 = evbuffer_search(g->held, "\n\n", 2, &from);
		ev_ssize_t at = end.pos >= 0 && (end2.pos < 0 || end.pos < end2.pos) ? end.pos + 3 :
				end2.pos >= 0 ? end2.pos + 2 : -1;
		g->searched = at < 0 ? evbuffer_get_length(g->held) : 0;
		if (at < 0) {
			if (evbuffer_get_length(g->held) > HEAD_MAX) {	/* evhttp's to refuse: give it all */
				if (evbuffer_add_buffer(buf, g->held) != 0)
					fatal("http", "guard: cannot give input back");
				g->state = GUARD_PASS;
			}
			return;
		}
		size_t n = (size_t)at;
		char *text = xmalloc(n + 1);
		if (evbuffer_remove(g->held, text, n) != (int)n)
			fatal("http", "guard: cannot read a held head");
		text[n] = '\0';
		struct http_head h;
		http_head_read(text, n, &h, NULL);
		int status = 0;
		enum verdict v = head_judge(g, &h, &status);
		if (v == CHECK_FIRST && check_start(g, text, n, h.length))
			return;	/* the rest waits in held; check_done goes on from there */
		if (v == CHECK_FIRST)
			status = 503;	/* no worker to check it: refused, unread */
		if (status) {
			http_head_refused(buf, &h, text, n, status, nonce);
			evbuffer_drain(g->held, evbuffer_get_length(g->held));
			g->state = GUARD_DISCARD;
		} else {
			http_head_passed(buf, text, n);
			g->body_left = g->body_size = (size_t)h.length;
			g->body_since = clock_mono_ms();
			g->state = h.length > 0 ? GUARD_BODY : GUARD_HEAD;
			g->head_since = 0;
		}
		free(text);
		/* What came after the head goes on through the same steps. */
		pos = evbuffer_get_length(buf);
		if (evbuffer_add_buffer(buf, g->held) != 0)
			fatal("http", "guard: cannot give input back");
	}
}

/* Frees a check and what it holds. */
static void check_free(struct check *c)
{
	free(c->head);
	free(c->rq.path);
	free(c->rq.remote_addr);
	http_headers_free(c->rq.headers, c->rq.nheaders);
	strbuf_free(&c->rs.body);
	http_headers_free(c->rs.headers, c->rs.nheaders);
	free(c);
}

/* Worker: identifies the caller of a held head as the gate will (credentials and, for a
 * session, the CSRF token); once more on a new connection if the first found it broken. */
static void check_run(struct db *db, void *arg)
{
	struct check *c = arg;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (attempt > 0) {
			db_check_failure(db, NULL);
			http_headers_free(c->rs.headers, c->rs.nheaders);
			c->rs.headers = NULL;
			c->rs.nheaders = 0;
			strbuf_reset(&c->rs.body);
			c->rs.status = 500;
		}
		db_request_start();
		struct principal who;
		c->ok = guarded_app->authenticate(&c->rq, &c->rs, db, &who);
		if (!db_request_retryable())
			return;
	}
}

/* Loop thread: the check is over; the held head goes to evhttp as it came, or refused with
 * the check's answer, and reading goes on. */
static void check_done(void *arg, bool ran)
{
	struct check *c = arg;
	struct guard *g = c->g;
	g->check = NULL;
	if (!evhttp_holds(g)) {
		/* evhttp closed the connection while the check ran (it answered an earlier
		 * request with Connection: close): its socket number may be another's now, so
		 * the bufferevent must never read or write again. */
		guard_let_go(g);
		check_free(c);
		return;
	}
	if (!ran) {
		c->ok = false;
		http_error(&c->rs, 503, "overloaded",
			   "Máy chủ đang quá tải. Vui lòng thử lại sau ít phút.");
		http_add_header(&c->rs, "Retry-After", "5");
	}
	struct evbuffer *buf = bufferevent_get_input(g->bev);
	/* Outside its reads, a bufferevent keeps the end of its input frozen. */
	if (evbuffer_unfreeze(buf, 0) != 0)
		fatal("http", "guard: cannot write into a connection's input");
	g->busy = true;
	if (c->ok) {
		http_head_passed(buf, c->head, c->head_len);
		g->body_left = g->body_size = (size_t)c->body;
		g->body_since = clock_mono_ms();
		g->head_since = 0;
		g->state = GUARD_BODY;
	} else {
		struct http_head h;
		http_head_read(c->head, c->head_len, &h, NULL);
		http_head_refused(buf, &h, c->head, c->head_len, c->rs.status, nonce);
		evbuffer_drain(g->held, evbuffer_get_length(g->held));
		g->refusal = xmalloc(sizeof *g->refusal);
		*g->refusal = c->rs;	/* handed over whole */
		memset(&c->rs, 0, sizeof c->rs);
		g->state = GUARD_DISCARD;
	}
	size_t pos = evbuffer_get_length(buf);
	if (evbuffer_add_buffer(buf, g->held) != 0)
		fatal("http", "guard: cannot give input back");
	guard_scan(g, buf, pos);
	g->busy = false;
	if (evbuffer_freeze(buf, 0) != 0)
		fatal("http", "guard: cannot write into a connection's input");
	check_free(c);
	if (g->state == GUARD_CHECK)
		return;	/* the next request waits for its own check */
	reading_resume(g);
	/* evhttp reads what is now in its input on the next bytes from the socket, or, if it
	 * is handling an earlier request, once that is answered; a head that came alone is
	 * read now. */
	if (evhttp_holds(g) && evhttp_reading(g))
		bufferevent_trigger(g->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
}

/* The answer the credentials check gave a request the guard refused, or NULL. */
struct http_response *http_guard_take_refusal(struct evhttp_request *req)
{
	struct evhttp_connection *con = evhttp_request_get_connection(req);
	struct bufferevent *bev = con ? evhttp_connection_get_bufferevent(con) : NULL;
	for (struct guard *g = guards; g && bev; g = g->next) {
		if (g->bev == bev) {
			struct http_response *r = g->refusal;
			g->refusal = NULL;
			return r;
		}
	}
	return NULL;
}

/* Closes a connection from the guard's side: a short answer if there is one, then the end of
 * the input for evhttp, which frees the connection. */
static void guard_close(struct guard *g, const char *answer)
{
	if (g->state == GUARD_CLOSED)
		return;
	evutil_socket_t fd = evhttp_holds(g) ? bufferevent_getfd(g->bev) : -1;
	if (fd >= 0) {
		if (answer && send(fd, answer, strlen(answer), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("http", "guard: cannot answer %s: %s", g->peer, strerror(errno));
		if (shutdown(fd, SHUT_RDWR) != 0 && errno != ENOTCONN)
			log_warn("http", "guard: cannot close a connection of %s: %s", g->peer,
				 strerror(errno));
	}
	evbuffer_drain(g->held, evbuffer_get_length(g->held));
	g->state = GUARD_CLOSED;
	if (g->open)
		open_connections--;
	metrics_set_connections((long long)open_connections);
	g->open = g->capped = false;
}

/* A key's hash, to compare keys quickly. */
static unsigned key_hash(const char *key)
{
	unsigned h = 2166136261u;
	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

/* Connections of one address counted against its cap now. */
static size_t address_connections(const struct guard *self)
{
	size_t n = 0;
	for (const struct guard *g = guards; g; g = g->next)
		if (g != self && g->capped && g->key_hash == self->key_hash &&
		    strcmp(g->key, self->key) == 0)
			n++;
	return n;
}

/* The cap per address in force: never more than half of max_connections. */
static size_t address_cap(void)
{
	size_t half = max_connections / 2 ? max_connections / 2 : 1;
	return max_per_address < half ? max_per_address : half;
}

/* What a connection over its address's cap is told before it is closed. */
#define OVER_ADDRESS_CAP "{\"error\":{\"code\":\"too_many_connections\",\"message\":" \
	"\"Có quá nhiều kết nối từ địa chỉ này. Hãy đóng bớt các trang đang mở rồi thử lại " \
	"sau ít phút.\"}}"
static char *over_address_answer;

/* Learns the peer's address once evhttp has set the socket, and applies the caps. */
static void guard_learn(struct guard *g)
{
	if (g->learned)
		return;
	g->learned = true;
	g->head_since = clock_mono_ms();	/* the first head is timed from the start */
	if (!evhttp_holds(g))
		return;	/* gone already */
	evutil_socket_t fd = bufferevent_getfd(g->bev);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (fd >= 0 && getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		const void *a = ss.ss_family == AF_INET ?
			(const void *)&((struct sockaddr_in *)&ss)->sin_addr :
			ss.ss_family == AF_INET6 ?
			(const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr : NULL;
		if (a && inet_ntop(ss.ss_family, a, g->peer, sizeof g->peer) == NULL)
			g->peer[0] = '\0';
	}
	g->open = true;
	open_connections++;
	metrics_set_connections((long long)open_connections);
	if (g->peer[0] && !netaddr_listed(config_current()->trusted_proxies, g->peer,
					  strlen(g->peer))) {
		netaddr_key(g->peer, g->key);
		g->key_hash = key_hash(g->key);
		if (address_connections(g) >= address_cap()) {
			metrics_count(MC_CONN_REFUSED_ADDRESS);
			guard_log_refusal(g->key, "max_connections_per_address");
			guard_close(g, over_address_answer);
			return;
		}
		g->capped = true;
	}
	g->over_cap = open_connections > max_connections;
	if (g->over_cap) {
		metrics_count(MC_CONN_REFUSED_OVERALL);
		guard_log_refusal("all addresses", "max_connections");
	}
}

/* The deferred event of a new connection: its socket is set by now. */
static void guard_learn_cb(evutil_socket_t fd, short what, void *arg)
{
	guard_learn(arg);
}

/* The input buffer's callback: runs on the loop thread as data arrives, before evhttp reads it. */
static void guard_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct guard *g = arg;
	if (g->busy || info->n_added == 0)
		return;	/* our own moves, or evhttp consuming what it has read */
	if (!evhttp_holds(g)) {	/* input after evhttp let go, before guard_sweep: ignored */
		guard_let_go(g);
		return;
	}
	g->busy = true;
	guard_learn(g);
	size_t len = evbuffer_get_length(buf);
	size_t fresh = info->n_added < len ? info->n_added : len;
	guard_scan(g, buf, len - fresh);
	read_ahead_bound(g);
	g->busy = false;
}

/* Frees the guards of connections evhttp has let go of, taking their events off and closing
 * their sockets (in that order). Runs on every tick and before each new connection. */
static void guard_sweep(void)
{
	for (struct guard **pp = &guards; *pp;) {
		struct guard *g = *pp;
		if (evhttp_holds(g) || g->check != NULL) {
			pp = &g->next;
			continue;
		}
		*pp = g->next;
		guard_let_go(g);
		if (evbuffer_remove_cb(bufferevent_get_input(g->bev), guard_input, g) != 0)
			log_warn("http", "guard: cannot remove a connection's callback");
		if (g->open)
			open_connections--;
		metrics_set_connections((long long)open_connections);
		if (g->refusal) {
			strbuf_free(&g->refusal->body);
			http_headers_free(g->refusal->headers, g->refusal->nheaders);
			free(g->refusal);
		}
		event_free(g->learn);
		bufferevent_decref(g->bev);
		evbuffer_free(g->held);
		free(g);
	}
}

/* Timer: closes connections whose head or body comes too slowly, logs what was refused, and
 * frees the guards of closed connections. */
static void guard_tick(evutil_socket_t fd, short what, void *arg)
{
	long long now = clock_mono_ms();
	guard_sweep();
	for (struct guard *g = guards; g; g = g->next) {
		read_ahead_release(g);
		if (!g->learned || g->state == GUARD_CLOSED || g->state == GUARD_CHECK)
			continue;
		if (!evhttp_reading(g)) {	/* answering an earlier request: the clocks wait */
			if (g->head_since)
				g->head_since = now;
			g->body_since = now;
			continue;
		}
		if (g->state == GUARD_HEAD && g->head_since && now - g->head_since > head_timeout_ms) {
			guard_log_slow(true);
			metrics_count(MC_CONN_SLOW_HEAD);
			guard_close(g, NULL);
		} else if (g->state == GUARD_BODY && min_body_rate > 0 &&
			   now - g->body_since > body_grace_ms) {
			long long got = (long long)(g->body_size - g->body_left);
			if (got * 1000 < min_body_rate * (now - g->body_since - body_grace_ms)) {
				guard_log_slow(false);
				metrics_count(MC_CONN_SLOW_BODY);
				guard_close(g, NULL);
			}
		}
	}
	guard_log_flush(now);
}

/* evhttp's hook for each new connection: its bufferevent, with the guard on its input. */
static struct bufferevent *guard_new(struct event_base *base, void *arg)
{
	guard_sweep();
	/* The bufferevent closes the socket when freed (see struct guard); evhttp then only shuts
	 * it down. */
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;	/* evhttp makes one itself: unguarded, but the server goes on */
	struct guard *g = xcalloc(1, sizeof *g);
	g->bev = bev;
	g->held = evbuffer_new();
	/* evhttp sets the socket after this hook returns: the address is learnt just after. */
	g->learn = event_new(base, -1, 0, guard_learn_cb, g);
	if (g->held == NULL || g->learn == NULL ||
	    evbuffer_add_cb(bufferevent_get_input(bev), guard_input, g) == NULL)
		fatal("http", "out of memory");
	event_active(g->learn, EV_TIMEOUT, 1);
	bufferevent_incref(bev);
	g->next = guards;
	guards = g;
	return bev;
}

/* Installs the guard on a server. */
int http_guard_install(struct event_base *base, struct evhttp *server,
		       const struct http_app *app)
{
	guarded_app = app;
	unsigned char raw[16];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(nonce, sizeof nonce, raw, sizeof raw);
	/* One token a tick of an hour: once a connection's bucket is taken below zero, it is not
	 * read until the limit is lifted. Writing is not limited. */
	struct timeval hour = { 3600, 0 };
	stopped_reading = ev_token_bucket_cfg_new(1, 1, EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX, &hour);
	free(over_address_answer);
	over_address_answer = xasprintf("HTTP/1.1 503 Service Unavailable\r\n"
					"Content-Type: application/json; charset=utf-8\r\n"
					"Retry-After: 10\r\nConnection: close\r\n"
					"Content-Length: %zu\r\n\r\n%s",
					strlen(OVER_ADDRESS_CAP), OVER_ADDRESS_CAP);
	ticker = event_new(base, -1, EV_PERSIST, guard_tick, NULL);
	struct timeval tv = { TICK_MS / 1000, (TICK_MS % 1000) * 1000 };
	if (stopped_reading == NULL || ticker == NULL || event_add(ticker, &tv) != 0)
		return -1;
	evhttp_set_bevcb(server, guard_new, NULL);
	return 0;
}

/* Sets the limits (reloadable). */
void http_guard_set_limits(const struct http_guard_limits *l)
{
	upload_max = l->max_upload;
	document_max = l->max_document;
	max_connections = (size_t)l->max_connections;
	max_per_address = (size_t)l->max_per_address;
	head_timeout_ms = l->head_timeout_ms;
	min_body_rate = l->min_body_rate;
	body_grace_ms = l->body_grace_ms;
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
	if (ticker) {
		event_free(ticker);
		ticker = NULL;
	}
	if (stopped_reading) {
		ev_token_bucket_cfg_free(stopped_reading);
		stopped_reading = NULL;
	}
	free(over_address_answer);
	over_address_answer = NULL;
}
