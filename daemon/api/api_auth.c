/* The gate before every handler: who is calling, whether the access table lets them, and the
 * context the handler is handed. */
#include "api.h"
#include "auth.h"
#include "authz.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "netaddr.h"
#include "units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Identifies the caller into cx (who, by_session, csrf) on its connection, fetched here;
 * on failure writes the error response and returns false. */
static bool authenticate(struct http_request *rq, struct http_response *rs,
			 struct api_ctx *cx)
{
	struct db *db = cx->db;
	PGconn *conn = cx->conn = db_conn(db);
	if (conn == NULL) {
		api_db_unavailable(rs);
		return false;
	}
	struct principal *who = &cx->who;
	char *err = NULL;
	enum auth_result rc = auth_bearer(conn, http_header(rq, "Authorization"), rq->received_at,
					  who, &err);
	char *csrf = NULL;
	bool by_session = false;
	if (rc == AUTH_NONE) {
		const struct config *cfg = config_current();
		struct auth_session_rules rules = { rq->received_at,
						    cfg->session_idle_timeout / 1000,
						    cfg->cookie_secure };
		rc = auth_session(conn, http_header(rq, "Cookie"), &rules, who, &csrf, &err);
		by_session = rc == AUTH_OK;
	}
	switch (rc) {
	case AUTH_OK:
		break;
	case AUTH_NONE:
		http_error(rs, 401, "unauthenticated",
			   "Bạn chưa đăng nhập. Hãy đăng nhập, hoặc gửi kèm mã truy cập (API token) "
			   "trong tiêu đề Authorization: Bearer.");
		http_add_header(rs, "WWW-Authenticate", "Bearer realm=\"baocao\"");
		return false;
	case AUTH_INVALID:
		log_info("api", "%s %s: invalid, revoked or expired credentials from %s", rq->method,
			 rq->path, rq->remote_addr);
		http_error(rs, 401, "invalid_token",
			   "Phiên đăng nhập đã hết hạn hoặc mã truy cập không hợp lệ. Hãy đăng nhập "
			   "lại, hoặc xin quản trị viên cấp mã mới.");
		http_add_header(rs, "WWW-Authenticate", "Bearer realm=\"baocao\", error=\"invalid_token\"");
		return false;
	default:
		api_db_failed(rs, db, "authentication", err);
		return false;
	}
	/* A cookie rides along with any request the browser makes: changes need the CSRF token
	 * that only our own pages have. */
	bool safe = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
	if (by_session && !safe) {
		const char *sent = http_header(rq, "X-CSRF-Token");
		bool ok = sent && auth_equal(sent, csrf);
		if (!ok) {
			free(csrf);
			log_warn("api", "%s %s: session request without a valid CSRF token from %s",
				 rq->method, rq->path, rq->remote_addr);
			http_error(rs, 403, "csrf",
				   "Yêu cầu thiếu mã chống giả mạo (CSRF). Hãy tải lại trang rồi thử lại.");
			return false;
		}
	}
	cx->by_session = by_session;
	snprintf(cx->csrf, sizeof cx->csrf, "%s", by_session && csrf ? csrf : "");
	free(csrf);
	return true;
}

/* Identifies the caller (the guard, before a large body is read); on failure writes the error
 * response and returns false. */
bool api_authenticate(struct http_request *rq, struct http_response *rs, struct db *db,
		      struct principal *who)
{
	struct api_ctx cx;
	memset(&cx, 0, sizeof cx);
	cx.db = db;
	if (!authenticate(rq, rs, &cx))
		return false;
	*who = cx.who;
	return true;
}

/* Whether an action is about one unit's reports (the unit is ?unit= or the caller's own). */
static bool about_a_unit(enum authz_action a)
{
	return a == ACT_REPORT_READ || a == ACT_REPORT_VIEW || a == ACT_REPORT_WRITE ||
	       a == ACT_REPORT_FILE_FOR || a == ACT_REVIEW || a == ACT_EXTEND ||
	       a == ACT_TIMELINE_READ;
}

/* Identifies the caller and checks the route's action against the access table; fills cx
 * (with the connection, on routes that are not public). False after answering 401/403/404
 * (503 without a database). */
static bool gate(struct http_request *rq, struct http_response *rs, struct api_ctx *cx,
		 const struct route *route)
{
	enum authz_action action = (enum authz_action)route->action;
	/* The monitoring figures: open to metrics_allow addresses (one forwarded only by a
	 * trusted proxy: from any other peer, the address may be anybody's). */
	bool public = action == ACT_PUBLIC ||
		      (action == ACT_METRICS && !rq->forwarded_untrusted &&
		       netaddr_list_match(config_current()->metrics_allow, rq->remote_addr));
	if (!public && !authenticate(rq, rs, cx))
		return false;
	if (route_param(&rq->params, "series") != NULL) {
		cx->series = api_series(rq, rs);
		if (cx->series == NULL)
			return false;
	}
	if (public)
		return true;
	if (action == ACT_DELIVERED_READ) {
		/* Recipients read what was delivered; any other version is the coordinators'. */
		char *version = http_query_param(rq, "version");
		if (version != NULL && strcmp(version, "final") != 0)
			action = ACT_CONSOLIDATE;
		free(version);
	}
	const char *unit = NULL;
	if (about_a_unit(action)) {
		char *asked = http_query_param(rq, "unit");
		if (asked && *asked && !units_code_valid(asked)) {
			free(asked);
			http_error(rs, 400, "invalid_unit",
				   "Mã đơn vị không hợp lệ: chỉ gồm chữ cái không dấu, chữ số, dấu "
				   "gạch ngang hoặc gạch dưới, tối đa 32 ký tự.");
			return false;
		}
		snprintf(cx->unit, sizeof cx->unit, "%s",
			 asked && *asked ? asked : cx->who.unit_code);
		free(asked);
		unit = cx->unit;
		/* Filing for another unit is an action of its own, marked on what it stores. */
		if (action == ACT_REPORT_WRITE && strcmp(unit, cx->who.unit_code) != 0) {
			action = ACT_REPORT_FILE_FOR;
			cx->on_behalf = true;
		}
	}
	if (authz_may(&cx->who, action, cx->series, unit) == AUTHZ_ALLOW)
		return true;
	log_info("authz", "%s %s: %s (%s, %s) may not %s%s%s", rq->method, rq->path,
		 cx->who.login, auth_role_name(cx->who.role), cx->who.unit_code,
		 authz_action_name(action), unit ? " for unit " : "", unit ? unit : "");
	bool by_role = cx->who.role == ROLE_RECIPIENT || cx->who.role == ROLE_ADMIN ||
		       action == ACT_ADMIN || action == ACT_METRICS || action == ACT_REMIND ||
		       action == ACT_CONSOLIDATE || action == ACT_BOARD_READ ||
		       action == ACT_DELIVERED_READ;
	http_error(rs, 403, by_role ? "forbidden_role" : "forbidden_unit",
		   authz_refusal(&cx->who, action));
	return false;
}

/* Runs a route: the gate, the connection (once, here, for every route that needs the
 * database), then the handler with its context. */
void api_run(struct http_request *rq, struct http_response *rs, struct db *db,
	     const struct route *route)
{
	struct api_ctx cx;
	memset(&cx, 0, sizeof cx);
	cx.db = db;
	if (!gate(rq, rs, &cx, route))
		return;
	bool needs_db = !(route->flags & (ROUTE_INLINE | ROUTE_NO_DATABASE));
	if (needs_db && cx.conn == NULL) {
		cx.conn = db_conn(db);
		if (cx.conn == NULL) {
			api_db_unavailable(rs);
			return;
		}
	}
	((api_handler)route->handler)(rq, rs, &cx);
}

/* Identifies the caller of a public route without answering: true with *who when the request
 * carries a valid token or session; false without credentials, with bad ones or without a
 * database. */
bool api_identify(const struct http_request *rq, struct db *db, struct principal *who)
{
	const char *bearer = http_header(rq, "Authorization");
	const char *cookie = http_header(rq, "Cookie");
	if (bearer == NULL && cookie == NULL)
		return false;
	PGconn *conn = db_conn(db);
	if (conn == NULL)
		return false;
	char *err = NULL;
	enum auth_result rc = auth_bearer(conn, bearer, rq->received_at, who, &err);
	if (rc == AUTH_NONE) {
		const struct config *cfg = config_current();
		struct auth_session_rules rules = { rq->received_at,
						    cfg->session_idle_timeout / 1000,
						    cfg->cookie_secure };
		char *csrf = NULL;
		rc = auth_session(conn, cookie, &rules, who, &csrf, &err);
		free(csrf);
	}
	if (rc == AUTH_DB)
		log_warn("api", "%s %s: credentials not checked: %s", rq->method, rq->path,
			 err ? err : "database error");
	free(err);
	return rc == AUTH_OK;
}
