/* The HTTP server: evhttp, the routing table, limits, and the hand-off of requests to workers. */
#include "http.h"
#include "http_guard.h"
#include "http_message.h"
#include "http_forwarded.h"
#include "authz.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "netaddr.h"
#include "worker.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

struct http_job {
	struct evhttp_request *req;
	const struct route *route;
	struct http_request rq;
	struct http_response rs;
	long long started;	/* monotonic ms */
	long long started_us;	/* monotonic microseconds, for the duration histogram */
	bool login_share;	/* holds a place of its address in the login pool */
};

/* Password checks one client address may have waiting or running at once: beyond them, one
 * address could hold the whole login queue while its tries are cheap to answer. */
#define LOGIN_SHARE 4

/* The places an address holds in the login pool (loop thread only). */
struct login_share {
	char key[NETADDR_KEY_MAX];
	unsigned n;
};
static struct login_share *login_shares;	/* one per address with a check in flight */
static size_t login_shares_n, login_shares_cap;

static const struct http_app *app;	/* what is served: routes, run (http_bind) */
static struct evhttp *server;
static struct evhttp_bound_socket *listener;
static bool stopping;
static size_t unsent;	/* replies handed to evhttp and not yet written out */

/* Follows one reply until it is written or its connection closes, whichever comes first. */
struct reply_tracker {
	struct evhttp_connection *con;
};

/* The reply was written: stop following it. */
static void reply_written(struct evhttp_request *req, void *arg)
{
	struct reply_tracker *t = arg;
	if (t->con)
		evhttp_connection_set_closecb(t->con, NULL, NULL);
	unsent--;
	free(t);
}

/* The connection closed before the reply was written. */
static void reply_connection_closed(struct evhttp_connection *con, void *arg)
{
	struct reply_tracker *t = arg;
	evhttp_connection_set_closecb(con, NULL, NULL);
	unsent--;
	free(t);
}

/* Starts following a reply about to be sent. */
static void reply_track(struct evhttp_request *req)
{
	struct evhttp_connection *con = evhttp_request_get_connection(req);
	if (con == NULL)
		return;	/* the client has gone; evhttp frees the request when we reply */
	struct reply_tracker *t = xmalloc(sizeof *t);
	t->con = con;
	unsent++;
	evhttp_request_set_on_complete_cb(req, reply_written, t);
	evhttp_connection_set_closecb(con, reply_connection_closed, t);
}

/* Replies handed to evhttp that are not yet written out. */
size_t http_unsent(void)
{
	return unsent;
}

/* The reason phrase of a status code. */
static const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

/* The text name of an evhttp method. */
static const char *http_method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "OTHER";
	}
}

/* Frees a job and everything it holds. */
static void job_free(struct http_job *job)
{
	free(job->rq.path);
	free(job->rq.query);
	route_params_free(&job->rq.params);
	http_headers_free(job->rq.headers, job->rq.nheaders);
	free(job->rq.remote_addr);
	free(job->rq.body);
	strbuf_free(&job->rs.body);
	http_headers_free(job->rs.headers, job->rs.nheaders);
	free(job);
}

/* The policy of every response: the pages run only their own scripts and styles, load
 * nothing from elsewhere, post only to the daemon and are never framed. */
#define HTTP_CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " \
		 "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; " \
		 "form-action 'self'; base-uri 'none'"

/* Whether the handler set a response header of this name. */
static bool response_has(const struct http_response *rs, const char *name)
{
	for (size_t i = 0; i < rs->nheaders; i++)
		if (strcasecmp(rs->headers[i].name, name) == 0)
			return true;
	return false;
}

/* The monotonic clock in microseconds. */
static long long mono_us(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Loop thread: sends the job's response and frees the job. */
static void job_reply(struct http_job *job)
{
	struct evhttp_request *req = job->req;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	int failed = 0;
	if (job->rs.content_type)
		failed |= evhttp_add_header(out, "Content-Type", job->rs.content_type);
	if (!response_has(&job->rs, "Cache-Control"))	/* API answers: never kept */
		failed |= evhttp_add_header(out, "Cache-Control", "no-store");
	failed |= evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	failed |= evhttp_add_header(out, "Content-Security-Policy", HTTP_CSP);
	failed |= evhttp_add_header(out, "Referrer-Policy", "same-origin");
	for (size_t i = 0; i < job->rs.nheaders; i++)
		failed |= evhttp_add_header(out, job->rs.headers[i].name, job->rs.headers[i].value);
	if (stopping)
		failed |= evhttp_add_header(out, "Connection", "close");
	if (failed)
		log_warn("http", "%s %s: cannot set a response header", job->rq.method, job->rq.path);

	reply_track(req);
	struct evbuffer *body = evbuffer_new();
	if (body == NULL || evbuffer_add(body, job->rs.body.data ? job->rs.body.data : "",
					 job->rs.body.len) != 0) {
		log_error("http", "%s %s: out of memory for the response", job->rq.method,
			  job->rq.path);
		evhttp_send_error(req, 500, NULL);
	} else {
		evhttp_send_reply(req, job->rs.status, http_reason(job->rs.status), body);
	}
	if (body)
		evbuffer_free(body);
	log_info("http", "%s %s %s %d %lldms", job->rq.remote_addr, job->rq.method, job->rq.path,
		 job->rs.status, clock_mono_ms() - job->started);
	metrics_http_request(job->route ? (int)(job->route - app->routes) : METRICS_ROUTE_NONE,
			     job->rs.status, mono_us() - job->started_us);
	job_free(job);
}

/* Forgets what a handler wrote, for a second run. */
static void response_reset(struct http_response *rs)
{
	http_headers_free(rs->headers, rs->nheaders);
	rs->headers = NULL;
	rs->nheaders = 0;
	strbuf_reset(&rs->body);
	rs->content_type = NULL;
	rs->status = 500;
}

/* Worker thread: runs the handler; once more on a new connection when the first run found
 * its connection broken before anything succeeded (the database restarted meanwhile). */
static void job_run(struct db *db, void *arg)
{
	struct http_job *job = arg;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (attempt > 0) {
			log_info("http", "%s %s: the database connection was broken; trying once "
				 "more on a new one", job->rq.method, job->rq.path);
			db_check_failure(db, NULL);
			response_reset(&job->rs);
		}
		db_request_start();
		app->run(&job->rq, &job->rs, db, job->route);
		if (!db_request_retryable())
			return;
	}
}

/* Takes a place in the login pool for the job's client address; false if the address holds
 * LOGIN_SHARE already. */
static bool login_share_take(struct http_job *job)
{
	char key[NETADDR_KEY_MAX];
	netaddr_key(job->rq.remote_addr, key);
	size_t i = 0;
	while (i < login_shares_n && strcmp(login_shares[i].key, key) != 0)
		i++;
	if (i < login_shares_n && login_shares[i].n >= LOGIN_SHARE)
		return false;
	if (i == login_shares_n) {
		if (login_shares_n == login_shares_cap) {
			login_shares_cap = login_shares_cap ? 2 * login_shares_cap : 16;
			login_shares = xrealloc(login_shares, login_shares_cap * sizeof *login_shares);
		}
		memcpy(login_shares[i].key, key, sizeof key);
		login_shares[i].n = 0;
		login_shares_n++;
	}
	login_shares[i].n++;
	job->login_share = true;
	return true;
}

/* Gives the job's place in the login pool back. */
static void login_share_give(struct http_job *job)
{
	if (!job->login_share)
		return;
	job->login_share = false;
	char key[NETADDR_KEY_MAX];
	netaddr_key(job->rq.remote_addr, key);
	for (size_t i = 0; i < login_shares_n; i++) {
		if (strcmp(login_shares[i].key, key) != 0)
			continue;
		if (--login_shares[i].n == 0)
			login_shares[i] = login_shares[--login_shares_n];
		return;
	}
}

/* Loop thread: the worker is done (or the job expired in the queue). */
static void job_done(void *arg, bool ran)
{
	struct http_job *job = arg;
	login_share_give(job);
	if (!ran) {
		http_error(&job->rs, 503, "overloaded",
			   "Máy chủ đang quá tải. Vui lòng thử lại sau ít phút.");
		http_add_header(&job->rs, "Retry-After", "5");
	}
	job_reply(job);
}

/* Whether addr is one of the configured reverse proxies. */
static bool trusted_proxy(const char *addr, size_t len)
{
	return netaddr_listed(config_current()->trusted_proxies, addr, len);
}

/* The client's address: the peer's, or behind trusted proxies the last X-Forwarded-For entry
 * that is not one of them. A new string. */
static char *client_address(const char *peer, const char *forwarded)
{
	if (forwarded == NULL || !trusted_proxy(peer, strlen(peer)))
		return xstrdup(peer);
	const char *end = forwarded + strlen(forwarded);
	while (end > forwarded) {
		const char *start = end;
		while (start > forwarded && start[-1] != ',')
			start--;
		const char *a = start, *b = end;
		while (a < b && *a == ' ')
			a++;
		while (b > a && b[-1] == ' ')
			b--;
		if (b > a && b - a < 64 && !trusted_proxy(a, (size_t)(b - a)))
			return xstrndup(a, (size_t)(b - a));
		end = start > forwarded ? start - 1 : forwarded;
	}
	return xstrdup(peer);
}

/* Copies what handlers need out of the evhttp request. */
static struct http_job *job_new(struct evhttp_request *req, const char *path, const char *query)
{
	struct http_job *job = xcalloc(1, sizeof *job);
	job->req = req;
	job->started = clock_mono_ms();
	job->started_us = mono_us();
	job->rq.received_at = clock_now();
	job->rq.method = http_method_name(evhttp_request_get_command(req));
	job->rq.path = xstrdup(path);
	job->rq.query = query ? xstrdup(query) : NULL;
	job->rs.status = 500;

	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	for (struct evkeyval *kv = in->tqh_first; kv; kv = kv->next.tqe_next)
		http_header_push(&job->rq.headers, &job->rq.nheaders, kv->key, kv->value);

	struct evhttp_connection *con = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port = 0;
	if (con)
		evhttp_connection_get_peer(con, &addr, &port);
	/* Every X-Forwarded-For header, in order: a proxy may add its own rather than append to
	 * the client's, and the client's own must not be the one believed. */
	struct strbuf xff = STRBUF_INIT;
	for (size_t i = 0; i < job->rq.nheaders; i++)
		if (strcasecmp(job->rq.headers[i].name, "X-Forwarded-For") == 0)
			strbuf_addf(&xff, "%s%s", xff.len ? ", " : "", job->rq.headers[i].value);
	job->rq.remote_addr = client_address(addr ? addr : "-", xff.len ? xff.data : NULL);
	if (xff.len && (addr == NULL || !trusted_proxy(addr, strlen(addr)))) {
		job->rq.forwarded_untrusted = true;
		if (addr)
			http_forwarded_untrusted(addr);
	}
	strbuf_free(&xff);

	struct evbuffer *buf = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(buf);
	job->rq.body = xmalloc(len + 1);
	if (len && evbuffer_remove(buf, job->rq.body, len) != (ev_ssize_t)len)
		len = 0;
	job->rq.body[len] = '\0';
	job->rq.body_len = len;
	return job;
}

/* Answers a request the guard refused from its head; false if the mark is not the guard's. */
static bool guard_refusal(struct http_job *job, const char *mark)
{
	const char *nonce = http_guard_nonce();
	size_t n = strlen(nonce);
	if (strncmp(mark, nonce, n) != 0 || mark[n] != ' ')
		return false;	/* a client's own header of that name: ignored */
	int status = atoi(mark + n + 1);
	struct http_response *checked = http_guard_take_refusal(job->req);
	if (checked) {	/* the credentials check's own answer */
		strbuf_free(&job->rs.body);
		http_headers_free(job->rs.headers, job->rs.nheaders);
		job->rs = *checked;
		free(checked);
	} else if (status == 413 && str_has_suffix(job->rq.path, "/submission/document")) {
		char *msg = xasprintf("Tệp văn bản vượt quá giới hạn: văn bản PDF tối đa %lld KiB. "
				      "Hãy xuất lại văn bản ra PDF với kích thước nhỏ hơn (ví dụ "
				      "giảm độ phân giải ảnh quét) rồi gửi lại.",
				      config_current()->max_document_size / 1024);
		http_error(&job->rs, 413, "body_too_large", msg);
		free(msg);
	} else if (status == 413) {
		char *msg = xasprintf("Nội dung gửi lên vượt quá giới hạn của địa chỉ này. Tệp báo "
				      "cáo tối đa %lld KiB; hãy kiểm tra lại tệp rồi gửi lại.",
				      config_current()->max_upload_size / 1024);
		http_error(&job->rs, 413, "body_too_large", msg);
		free(msg);
	} else if (status == 401) {
		http_error(&job->rs, 401, "unauthenticated",
			   "Bạn chưa đăng nhập. Hãy đăng nhập, hoặc gửi kèm mã truy cập (API token) "
			   "trong tiêu đề Authorization: Bearer.");
		http_add_header(&job->rs, "WWW-Authenticate", "Bearer realm=\"baocao\"");
	} else if (status == 411) {
		http_error(&job->rs, 411, "length_required",
			   "Hãy gửi nội dung kèm độ dài (Content-Length), không dùng "
			   "Transfer-Encoding.");
	} else if (status == 400) {
		http_error(&job->rs, 400, "bad_request",
			   "Yêu cầu không hợp lệ (tiêu đề mơ hồ hoặc sai dạng). Hãy gửi lại bằng "
			   "trình duyệt hoặc chương trình khác.");
	} else {
		http_error(&job->rs, 503, "too_many_connections",
			   "Máy chủ đang có quá nhiều kết nối. Vui lòng thử lại sau ít phút.");
		http_add_header(&job->rs, "Retry-After", "10");
	}
	http_add_header(&job->rs, "Connection", "close");
	job_reply(job);
	return true;
}


/* Refusals of one kind while overloaded: under a flood they would be a log line each. */
struct refusals {
	const char *what;
	long long logged_ms;	/* monotonic ms of the last line; 0: never */
	unsigned long count;	/* refused since that line */
};

/* Counts a refusal; logs the first and then at most a line a minute, with the count (loop
 * thread only). */
static void refusal_note(struct refusals *r, const struct http_request *rq)
{
	long long now = clock_mono_ms();
	r->count++;
	if (r->logged_ms != 0 && now - r->logged_ms < 60000)
		return;
	log_warn("http", "%s, refusing %s %s from %s (%lu refused since the last such line; "
		 "logged at most once a minute)", r->what, rq->method, rq->path, rq->remote_addr,
		 r->count);
	r->logged_ms = now;
	r->count = 0;
}

/* Loop thread: every request starts here. */
static void http_dispatch(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	struct http_job *job = job_new(req, path && *path ? path : "/", query);

	const char *mark = http_header(&job->rq, HTTP_GUARD_HEADER);
	if (mark && guard_refusal(job, mark))
		return;
	if (stopping) {
		http_error(&job->rs, 503, "shutting_down",
			   "Máy chủ đang khởi động lại. Vui lòng thử lại sau ít phút.");
		http_add_header(&job->rs, "Retry-After", "10");
		job_reply(job);
		return;
	}
	int status = 404;
	job->route = route_match(app->routes, job->rq.method, job->rq.path, &job->rq.params,
				 &status);
	if (job->route == NULL) {
		if (status == 405)
			http_error(&job->rs, 405, "method_not_allowed",
				   "Phương thức này không được hỗ trợ cho địa chỉ này.");
		else
			http_error(&job->rs, 404, "not_found",
				   "Không tìm thấy địa chỉ này. Hãy kiểm tra lại đường dẫn.");
		job_reply(job);
		return;
	}
	if (job->route->flags & ROUTE_INLINE) {
		app->run(&job->rq, &job->rs, NULL, job->route);
		job_reply(job);
		return;
	}
	if (job->route->flags & ROUTE_PASSWORD) {
		if (!login_share_take(job)) {
			static struct refusals address_full = { "login checks of one address", 0, 0 };
			refusal_note(&address_full, &job->rq);
			http_error(&job->rs, 429, "login_busy",
				   "Địa chỉ của bạn đang có nhiều lượt đăng nhập chờ kiểm tra. Vui lòng "
				   "đợi vài giây rồi thử lại.");
			http_add_header(&job->rs, "Retry-After", "5");
			job_reply(job);
			return;
		}
		if (!worker_login_submit(job_run, job_done, job)) {
			login_share_give(job);
			/* Only password work waits for the login pool: other routes never see it. */
			static struct refusals login_full = { "login queue full", 0, 0 };
			refusal_note(&login_full, &job->rq);
			http_error(&job->rs, 503, "login_overloaded",
				   "Máy chủ đang bận kiểm tra nhiều lượt đăng nhập. Vui lòng đợi vài "
				   "giây rồi thử lại.");
			http_add_header(&job->rs, "Retry-After", "5");
			job_reply(job);
		}
		return;
	}
	if (!worker_submit(job_run, job_done, job)) {
		static struct refusals queue_full = { "queue full", 0, 0 };
		refusal_note(&queue_full, &job->rq);
		http_error(&job->rs, 503, "overloaded",
			   "Máy chủ đang quá tải. Vui lòng thử lại sau ít phút.");
		http_add_header(&job->rs, "Retry-After", "5");
		job_reply(job);
	}
}

/* Creates the server and binds its socket. */
int http_bind(struct event_base *base, const struct config *cfg, const struct http_app *served)
{
	app = served;
	size_t nroutes = 0;
	while (app->routes[nroutes].pattern)
		nroutes++;
	if (nroutes >= METRICS_ROUTE_NONE)
		fatal("http", "%zu routes: raise METRICS_ROUTES_MAX", nroutes);
	for (const struct route *r = app->routes; r->pattern; r++)
		if ((r->flags & ROUTE_INLINE) && r->action != ACT_PUBLIC)
			fatal("http", "route %s %s runs on the loop thread but is not public",
			      r->method, r->pattern);
	server = evhttp_new(base);
	if (server == NULL) {
		log_error("http", "cannot create the HTTP server");
		return -1;
	}
	evhttp_set_allowed_methods(server, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
				   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
				   EVHTTP_REQ_OPTIONS);
	evhttp_set_max_headers_size(server, 64 * 1024);
	evhttp_set_gencb(server, http_dispatch, NULL);
	if (http_guard_install(base, server, app) != 0) {
		log_error("http", "cannot install the request guard");
		return -1;
	}
	http_apply_config(cfg);
	listener = evhttp_bind_socket_with_handle(server, cfg->listen, (ev_uint16_t)cfg->port);
	if (listener == NULL) {
		log_error("http", "cannot listen on %s port %lld: %s", cfg->listen, cfg->port,
			  evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		return -1;
	}
	return 0;
}

/* Applies reloadable limits. */
void http_apply_config(const struct config *cfg)
{
	if (server == NULL)
		return;
	/* The guard refuses over-large bodies per route before they are read; this is
	 * evhttp's own ceiling for what the guard lets through (chunked bodies). */
	long long largest = cfg->max_upload_size > cfg->max_document_size ?
			    cfg->max_upload_size : cfg->max_document_size;
	evhttp_set_max_body_size(server, (ev_ssize_t)largest);
	struct http_guard_limits limits = {
		cfg->max_upload_size, cfg->max_document_size, cfg->max_connections,
		cfg->max_connections_per_address,
		cfg->head_timeout, cfg->min_body_rate, cfg->min_body_rate_grace,
	};
	http_guard_set_limits(&limits);
	evhttp_set_timeout(server, (int)((cfg->request_timeout + 999) / 1000));
}

/* Stops accepting connections. */
void http_stop_accepting(void)
{
	stopping = true;
	if (server && listener) {
		evhttp_del_accept_socket(server, listener);
		listener = NULL;
	}
}

/* Frees the server and its connections. */
void http_free(void)
{
	if (server) {
		evhttp_free(server);
		server = NULL;
	}
	http_guard_free();
	free(login_shares);
	login_shares = NULL;
	login_shares_n = login_shares_cap = 0;
}
