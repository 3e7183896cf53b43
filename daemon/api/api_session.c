/* Web sessions: log in (a cookie and a CSRF token), who am I, log out. */
#include "api.h"
#include "audit.h"
#include "calendar.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "json_parse.h"
#include "log.h"
#include "loginlimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOGIN_BODY_MAX 4096	/* a login and a password in JSON */

/* Writes who the principal is, as the session answers do. */
static void principal_json(struct json *j, const struct principal *p)
{
	json_kv_string(j, "login", p->login);
	json_kv_string(j, "unit", p->unit_code);
	json_kv_string(j, "role", auth_role_name(p->role));
}

/* Sets the session cookie (or clears it when token is NULL). */
static void set_cookie(struct http_response *rs, const char *token, long long max_age)
{
	const struct config *cfg = config_current();
	char *cookie = xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
				 cfg->cookie_secure ? AUTH_COOKIE_SECURE : AUTH_COOKIE,
				 token ? token : "", token ? max_age : 0,
				 cfg->cookie_secure ? "; Secure" : "");
	http_add_header(rs, "Set-Cookie", cookie);
	free(cookie);
}

/* Whether a request comes from another site (a form or script on a foreign page). */
static bool cross_site(const struct http_request *rq)
{
	const char *site = http_header(rq, "Sec-Fetch-Site");
	if (site && strcmp(site, "cross-site") == 0)
		return true;
	const char *origin = http_header(rq, "Origin"), *host = http_header(rq, "Host");
	if (origin == NULL)
		return false;
	const char *o = strstr(origin, "://");
	return host == NULL || o == NULL || strcmp(o + 3, host) != 0;
}

/* Answers 429: this address, or this login from it, failed too often; wait_s to wait. */
static void too_many(struct http_response *rs, long long wait_s)
{
	char after[24], *msg;
	snprintf(after, sizeof after, "%lld", wait_s > 0 ? wait_s : 1);
	msg = xasprintf("Có nhiều lần đăng nhập sai từ địa chỉ mạng này. Hãy đợi %lld giây rồi "
			"đăng nhập lại; nếu quên mật khẩu, hãy liên hệ quản trị viên.",
			wait_s > 0 ? wait_s : 1);
	http_error(rs, 429, "too_many_logins", msg);
	free(msg);
	http_add_header(rs, "Retry-After", after);
}

/* POST /api/v1/session {"login":"...","password":"..."}: logs in. */
void api_session_create(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	const char *ct = http_header(rq, "Content-Type");
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0) {
		http_error(rs, 415, "unsupported_media_type", "Hãy gửi tên đăng nhập và mật khẩu "
			   "dưới dạng JSON (Content-Type: application/json).");
		return;
	}
	if (cross_site(rq)) {
		log_warn("auth", "cross-site login attempt from %s", rq->remote_addr);
		http_error(rs, 403, "cross_site", "Chỉ đăng nhập được từ trang của hệ thống.");
		return;
	}
	if (rq->body_len > LOGIN_BODY_MAX) {
		http_error(rs, 413, "body_too_large", "Yêu cầu đăng nhập quá lớn. Hãy gửi đúng tên "
			   "đăng nhập và mật khẩu.");
		return;
	}
	char *err = NULL;
	struct jv *doc = jv_parse((const char *)rq->body, rq->body_len, &err);
	const char *login = jv_get_string(doc, "login"), *password = jv_get_string(doc, "password");
	if (doc == NULL || login == NULL || password == NULL || strlen(login) > 64 ||
	    strlen(password) > 1024) {
		free(err);
		jv_free(doc);
		http_error(rs, 400, "bad_login_request", "Hãy gửi tên đăng nhập và mật khẩu: "
			   "{\"login\":\"...\",\"password\":\"...\"}.");
		return;
	}
	PGconn *conn = cx->conn;
	struct loginlimit_keys keys;
	loginlimit_keys(login, rq->remote_addr, &keys);
	long long wait_s = 0;
	if (loginlimit_check(conn, &keys, rq->received_at, &wait_s, &err) != 0) {
		jv_free(doc);
		api_db_failed(rs, cx->db, "login limit", err);
		return;
	}
	if (wait_s > 0) {
		jv_free(doc);
		too_many(rs, wait_s);
		return;
	}
	const struct config *cfg = config_current();
	struct principal who;
	char *token = NULL, *csrf = NULL;
	time_t expires = 0;
	enum auth_result rc = auth_login(conn, login, password, cfg->session_lifetime / 1000,
					 rq->received_at, rq->remote_addr, &who, &token, &csrf,
					 &expires, &err);
	char *tried = xstrdup(login);
	jv_free(doc);
	if (rc == AUTH_INVALID) {
		/* Counted from now, after the slow password check, so the wait is whole. */
		if (loginlimit_failed(conn, &keys, clock_now(), &err) != 0) {
			free(tried);
			api_db_failed(rs, cx->db, "login limit", err);
			return;
		}
		log_info("auth", "failed login for '%.64s' from %s", tried, rq->remote_addr);
		free(tried);
		http_error(rs, 401, "bad_credentials", "Tên đăng nhập hoặc mật khẩu không đúng. Hãy "
			   "kiểm tra lại; nếu quên mật khẩu, hãy liên hệ quản trị viên.");
		return;
	}
	free(tried);
	if (rc != AUTH_OK) {
		api_db_failed(rs, cx->db, "login", err);
		return;
	}
	if (loginlimit_succeeded(conn, &keys, &err) != 0) {
		log_warn("auth", "%s: %s", who.login, err);	/* bookkeeping: the login stands */
		free(err);
		err = NULL;
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

/* GET /api/v1/session: who is signed in (with the CSRF token the pages send back, when by
 * the session cookie). */
void api_session_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	principal_json(&j, &cx->who);
	json_kv_string(&j, "csrf_token", cx->by_session ? cx->csrf : NULL);
	json_object_end(&j);
}

/* DELETE /api/v1/session: logs out; a session that is already gone just loses its cookie. */
void api_session_delete(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	PGconn *conn = cx->conn;
	struct principal who;
	char *csrf = NULL, *err = NULL;
	const struct config *cfg = config_current();
	struct auth_session_rules rules = { rq->received_at, cfg->session_idle_timeout / 1000,
					    cfg->cookie_secure };
	enum auth_result rc = auth_session(conn, http_header(rq, "Cookie"), &rules, &who, &csrf,
					   &err);
	if (rc == AUTH_DB) {
		api_db_failed(rs, cx->db, "logout", err);
		return;
	}
	if (rc == AUTH_OK) {
		const char *sent = http_header(rq, "X-CSRF-Token");
		bool ok = sent && auth_equal(sent, csrf);
		free(csrf);
		if (!ok) {
			http_error(rs, 403, "csrf", "Yêu cầu thiếu mã chống giả mạo (CSRF). Hãy tải lại "
				   "trang rồi thử lại.");
			return;
		}
		if (auth_logout(conn, http_header(rq, "Cookie"), &err) != AUTH_OK) {
			api_db_failed(rs, cx->db, "logout", err);
			return;
		}
		log_info("auth", "%s logged out", who.login);
	}
	set_cookie(rs, NULL, 0);
	rs->status = 204;
}
