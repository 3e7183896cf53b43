/* Web sessions: log in (a cookie and a CSRF token), who am I, log out. */
#include "api.h"
#include "audit.h"
#include "calendar.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "json_parse.h"
#include "log.h"
#include "ratelimit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGINS_PER_MINUTE 10	/* per client address */

/* Writes who the principal is, as the session answers do. */
static void principal_json(struct json *j, const struct principal *p)
{
	json_kv_string(j, "login", p->login);
	json_kv_string(j, "unit", p->unit_code);
	json_kv_string(j, "role", auth_role_name(p->role));
}

/* A number standing for a client address in the rate limiter (negative: not an account). */
static long long address_key(const char *addr)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = addr; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return -(long long)(h >> 2) - 1;
}

/* Sets the session cookie (or clears it when token is NULL). */
static void set_cookie(struct http_response *rs, const char *token, long long max_age)
{
	const struct config *cfg = config_current();
	char *cookie = xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
				 AUTH_COOKIE, token ? token : "", token ? max_age : 0,
				 cfg->cookie_secure ? "; Secure" : "");
	http_add_header(rs, "Set-Cookie", cookie);
	free(cookie);
}

/* POST /api/v1/session {"login":"...","password":"..."}: logs in. */
void api_session_create(struct http_request *rq, struct http_response *rs, struct db *db)
{
	int retry = 60;
	if (!ratelimit_allow(address_key(rq->remote_addr), LOGINS_PER_MINUTE, rq->received_at,
			     &retry)) {
		char after[16];
		snprintf(after, sizeof after, "%d", retry > 0 ? retry : 1);
		http_error(rs, 429, "too_many_logins", "Đăng nhập sai quá nhiều lần. Hãy đợi một phút "
			   "rồi thử lại.");
		http_add_header(rs, "Retry-After", after);
		return;
	}
	char *err = NULL;
	struct jv *doc = jv_parse((const char *)rq->body, rq->body_len, &err);
	const char *login = jv_get_string(doc, "login"), *password = jv_get_string(doc, "password");
	if (doc == NULL || login == NULL || password == NULL) {
		free(err);
		jv_free(doc);
		http_error(rs, 400, "bad_login_request", "Hãy gửi tên đăng nhập và mật khẩu: "
			   "{\"login\":\"...\",\"password\":\"...\"}.");
		return;
	}
	PGconn *conn = db_conn(db);
	if (conn == NULL) {
		jv_free(doc);
		api_db_unavailable(rs);
		return;
	}
	const struct config *cfg = config_current();
	struct principal who;
	char *token = NULL, *csrf = NULL;
	time_t expires = 0;
	enum auth_result rc = auth_login(conn, login, password, cfg->session_lifetime / 1000,
					 rq->remote_addr, &who, &token, &csrf, &expires, &err);
	char *tried = xstrdup(login);
	jv_free(doc);
	if (rc == AUTH_INVALID) {
		log_info("auth", "failed login for '%s' from %s", tried, rq->remote_addr);
		free(tried);
		http_error(rs, 401, "bad_credentials", "Tên đăng nhập hoặc mật khẩu không đúng. Hãy "
			   "kiểm tra lại; nếu quên mật khẩu, hãy liên hệ quản trị viên.");
		return;
	}
	free(tried);
	if (rc != AUTH_OK) {
		api_db_failed(rs, db, "login", err);
		return;
	}
	struct audit_entry e = { who.account_id, who.login, "login", "account", who.login, NULL,
				 rq->remote_addr };
	if (audit_write(conn, &e, &err) != 0) {
		log_warn("auth", "login of %s not audited: %s", who.login, err);
		free(err);
	}
	log_info("auth", "%s logged in from %s", who.login, rq->remote_addr);
	set_cookie(rs, token, (long long)(expires - rq->received_at));
	http_json(rs, 201);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	principal_json(&j, &who);
	json_kv_string(&j, "csrf_token", csrf);
	char when[40];
	json_key(&j, "expires_at");
	if (cal_format_rfc3339(expires, when, sizeof when) == 0)
		json_string(&j, when);
	else
		json_null(&j);
	json_object_end(&j);
	free(token);
	free(csrf);
}

/* GET /api/v1/session: who is logged in (with the CSRF token the pages send back). */
void api_session_get(struct http_request *rq, struct http_response *rs, struct db *db)
{
	PGconn *conn = db_conn(db);
	if (conn == NULL) {
		api_db_unavailable(rs);
		return;
	}
	struct principal who;
	char *csrf = NULL, *err = NULL;
	enum auth_result rc = auth_session(conn, http_header(rq, "Cookie"), &who, &csrf, &err);
	if (rc == AUTH_NONE || rc == AUTH_INVALID) {
		http_error(rs, 401, "unauthenticated", "Bạn chưa đăng nhập. Hãy đăng nhập.");
		return;
	}
	if (rc != AUTH_OK) {
		api_db_failed(rs, db, "session", err);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	principal_json(&j, &who);
	json_kv_string(&j, "csrf_token", csrf);
	json_object_end(&j);
	free(csrf);
}

/* DELETE /api/v1/session: logs out. */
void api_session_delete(struct http_request *rq, struct http_response *rs, struct db *db)
{
	struct principal who;
	if (!api_authenticate(rq, rs, db, &who))
		return;
	char *err = NULL;
	if (auth_logout(db_conn(db), http_header(rq, "Cookie"), &err) != AUTH_OK) {
		api_db_failed(rs, db, "logout", err);
		return;
	}
	set_cookie(rs, NULL, 0);
	rs->status = 204;
}
