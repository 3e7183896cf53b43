/* One's own account: changing the password (PUT /api/v1/account/password), and the API tokens
 * that may have been made with the old one (GET /api/v1/account/tokens, POST .../revoke). */
#include "accounts.h"
#include "api.h"
#include "audit.h"
#include "auth.h"
#include "calendar.h"
#include "clock.h"
#include "db.h"
#include "json.h"
#include "json_parse.h"
#include "log.h"
#include "loginlimit.h"
#include "utf8.h"
#include "util.h"
#include "xmltext.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PASSWORD_MIN 10		/* characters; as baocaoctl account passwd */
#define PASSWORD_MAX 256	/* characters; bytes at most 4 times that */

/* What the transaction needs. */
struct change {
	const struct http_request *rq;
	const struct api_ctx *cx;
	const char *hash;
	bool revoke;		/* revoke the account's API tokens too */
	long long ended, revoked;
};

/* The transaction: the new hash, the other sessions ended, the tokens revoked if asked, the
 * audit entry. */
static int change_tx(PGconn *conn, void *arg, char **err)
{
	struct change *c = arg;
	const struct http_request *rq = c->rq;
	const struct api_ctx *cx = c->cx;
	c->ended = auth_password_set(conn, cx->who.account_id, c->hash,
				     cx->by_session ? http_header(rq, "Cookie") : NULL, err);
	if (c->ended < 0)
		return -1;
	if (c->revoke && (c->revoked = accounts_revoke_tokens(conn, cx->who.account_id, err)) < 0)
		return -1;
	char detail[96];
	snprintf(detail, sizeof detail, "{\"sessions_ended\":%lld,\"tokens_revoked\":%lld}",
		 c->ended, c->revoked);
	struct audit_entry e = { cx->who.account_id, cx->who.login, "password_change", "account",
				 cx->who.login, detail, rq->remote_addr };
	return audit_write(conn, &e, err);
}

/* Writes "tokens": the account's live API tokens, oldest first; 0, or -1 with *err. */
static int tokens_json(PGconn *conn, long long account_id, time_t now, struct json *j,
		       char **err)
{
	PGresult *r = accounts_live_tokens(conn, account_id, now, err);
	if (r == NULL)
		return -1;
	static const char *const times[] = { "created_at", "last_used_at", "expires_at" };
	json_key(j, "tokens");
	json_array_begin(j);
	for (int i = 0; i < PQntuples(r); i++) {
		json_object_begin(j);
		json_kv_int(j, "id", atoll(PQgetvalue(r, i, 0)));
		json_kv_string(j, "label", PQgetvalue(r, i, 1));
		for (int c = 0; c < 3; c++) {
			char when[40];
			json_key(j, times[c]);
			if (!PQgetisnull(r, i, 2 + c) &&
			    cal_format_rfc3339((time_t)atoll(PQgetvalue(r, i, 2 + c)), when,
					       sizeof when) == 0)
				json_string(j, when);
			else
				json_null(j);
		}
		json_object_end(j);
	}
	json_array_end(j);
	PQclear(r);
	return 0;
}

/* Checks the new password; NULL when it will do, else what to do, for the person. */
static const char *new_password_problem(const char *login, const char *current, const char *pw)
{
	size_t len = strlen(pw);
	if (!xmltext_valid(pw, len))
		return "Mật khẩu mới có ký tự không hợp lệ. Hãy gõ lại mật khẩu mới.";
	size_t chars = utf8_length(pw);
	if (chars < PASSWORD_MIN)
		return "Mật khẩu mới phải có ít nhất 10 ký tự. Hãy chọn mật khẩu dài hơn, ví dụ "
		       "một câu ngắn dễ nhớ.";
	if (chars > PASSWORD_MAX)
		return "Mật khẩu mới dài quá 256 ký tự. Hãy chọn mật khẩu ngắn hơn.";
	if (strcmp(pw, current) == 0)
		return "Mật khẩu mới phải khác mật khẩu hiện tại.";
	if (strcasecmp(pw, login) == 0)
		return "Mật khẩu mới không được trùng tên đăng nhập.";
	return NULL;
}

/* PUT /api/v1/account/password {"current":"...","new":"..."} */
void api_account_password_put(struct http_request *rq, struct http_response *rs,
			      const struct api_ctx *cx)
{
	const char *ct = http_header(rq, "Content-Type");
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0) {
		http_error(rs, 415, "unsupported_media_type", "Hãy gửi mật khẩu dưới dạng JSON "
			   "(Content-Type: application/json).");
		return;
	}
	char *err = NULL;
	struct jv *doc = jv_parse((const char *)rq->body, rq->body_len, &err);
	free(err);
	err = NULL;
	const char *current = jv_get_string(doc, "current"), *pw = jv_get_string(doc, "new");
	const struct jv *revoke = jv_get(doc, "revoke_tokens");
	if (current == NULL || pw == NULL || strlen(current) > 4 * PASSWORD_MAX ||
	    strlen(pw) > 4 * PASSWORD_MAX + 4 || (revoke && revoke->type != JV_BOOL)) {
		jv_free(doc);
		http_error(rs, 400, "bad_password_request", "Hãy gửi mật khẩu hiện tại và mật khẩu "
			   "mới: {\"current\":\"...\",\"new\":\"...\"}, và \"revoke_tokens\":true "
			   "nếu muốn thu hồi mọi mã truy cập (API token).");
		return;
	}
	bool revoke_tokens = revoke && revoke->boolean;
	PGconn *conn = cx->conn;
	/* Guessing the current password from a session left open counts as failed logins. */
	struct loginlimit_keys keys;
	loginlimit_keys(cx->who.login, rq->remote_addr, &keys);
	long long wait_s = 0;
	if (loginlimit_check(conn, &keys, rq->received_at, &wait_s, &err) != 0) {
		jv_free(doc);
		api_db_failed(rs, cx->db, "password: login limit", err);
		return;
	}
	if (wait_s > 0) {
		jv_free(doc);
		char after[24], *msg = xasprintf("Đã nhập sai mật khẩu hiện tại nhiều lần. Hãy đợi "
						 "%lld giây rồi thử lại.", wait_s);
		snprintf(after, sizeof after, "%lld", wait_s);
		http_error(rs, 429, "too_many_logins", msg);
		http_add_header(rs, "Retry-After", after);
		free(msg);
		return;
	}
	int m = accounts_password_matches(conn, cx->who.account_id, current, &err);
	if (m < 0) {
		jv_free(doc);
		api_db_failed(rs, cx->db, "password check", err);
		return;
	}
	if (m == 0) {
		jv_free(doc);
		if (loginlimit_failed(conn, &keys, clock_now(), &err) != 0) {
			api_db_failed(rs, cx->db, "password: login limit", err);
			return;
		}
		log_info("auth", "%s: wrong current password on a password change from %s",
			 cx->who.login, rq->remote_addr);
		http_error(rs, 403, "wrong_password", "Mật khẩu hiện tại không đúng. Hãy gõ lại mật "
			   "khẩu đang dùng để đăng nhập; nếu quên, hãy liên hệ quản trị viên.");
		return;
	}
	const char *problem = new_password_problem(cx->who.login, current, pw);
	if (problem) {
		jv_free(doc);
		http_error(rs, 422, "weak_password", problem);
		return;
	}
	char *hash = auth_password_hash(pw);
	jv_free(doc);
	if (hash == NULL) {
		log_error("auth", "%s: cannot hash the new password", cx->who.login);
		api_internal_error(rs);
		return;
	}
	struct change c = { rq, cx, hash, revoke_tokens, 0, 0 };
	int rc = db_tx(conn, change_tx, &c, &err);
	sodium_memzero(hash, strlen(hash));
	free(hash);
	if (rc != 0) {
		api_db_failed(rs, cx->db, "password change", err);
		return;
	}
	log_info("auth", "%s changed their password from %s; %lld other sessions ended, %lld API "
		 "tokens revoked", cx->who.login, rq->remote_addr, c.ended, c.revoked);
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_int(&j, "sessions_ended", c.ended);
	json_kv_int(&j, "tokens_revoked", c.revoked);
	/* The tokens still working, which the person may revoke next (.../tokens/revoke). */
	if (tokens_json(conn, cx->who.account_id, rq->received_at, &j, &err) != 0) {
		log_warn("auth", "%s: cannot list the API tokens: %s", cx->who.login, err);
		free(err);
		json_key(&j, "tokens");
		json_null(&j);
	}
	json_kv_string(&j, "message", c.revoked > 0 ? "Đã đổi mật khẩu. Các phiên đăng nhập khác "
		       "của tài khoản đã được đăng xuất và các mã truy cập (API token) đã bị thu "
		       "hồi." : "Đã đổi mật khẩu. Các phiên đăng nhập khác của tài khoản đã được "
		       "đăng xuất.");
	json_object_end(&j);
}

/* GET /api/v1/account/tokens: one's own live API tokens. */
void api_account_tokens_get(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx)
{
	PGconn *conn = cx->conn;
	struct strbuf body = STRBUF_INIT;
	struct json j;
	json_init(&j, &body);
	json_object_begin(&j);
	char *err = NULL;
	if (tokens_json(conn, cx->who.account_id, rq->received_at, &j, &err) != 0) {
		strbuf_free(&body);
		api_db_failed(rs, cx->db, "account tokens", err);
		return;
	}
	json_object_end(&j);
	http_json(rs, 200);
	strbuf_add(&rs->body, body.data, body.len);
	strbuf_free(&body);
}

/* The revocation and its audit entry, in one transaction. */
static int revoke_tx(PGconn *conn, void *arg, char **err)
{
	struct change *c = arg;
	const struct http_request *rq = c->rq;
	const struct api_ctx *cx = c->cx;
	c->revoked = accounts_revoke_tokens(conn, cx->who.account_id, err);
	if (c->revoked < 0)
		return -1;
	if (c->revoked == 0)
		return 0;
	char detail[64];
	snprintf(detail, sizeof detail, "{\"tokens_revoked\":%lld}", c->revoked);
	struct audit_entry e = { cx->who.account_id, cx->who.login, "revoke_tokens", "account",
				 cx->who.login, detail, rq->remote_addr };
	return audit_write(conn, &e, err);
}

/* POST /api/v1/account/tokens/revoke {"all":true}: revokes every API token of one's own
 * account (the body says so, so that no stray request revokes them). */
void api_account_tokens_revoke(struct http_request *rq, struct http_response *rs,
			       const struct api_ctx *cx)
{
	char *err = NULL;
	struct jv *doc = jv_parse((const char *)rq->body, rq->body_len, &err);
	free(err);
	err = NULL;
	const struct jv *all = jv_get(doc, "all");
	bool ok = all && all->type == JV_BOOL && all->boolean;
	jv_free(doc);
	if (!ok) {
		http_error(rs, 400, "bad_revoke_request", "Hãy gửi {\"all\":true} để thu hồi mọi mã "
			   "truy cập (API token) của tài khoản.");
		return;
	}
	PGconn *conn = cx->conn;
	struct change c = { rq, cx, NULL, true, 0, 0 };
	if (db_tx(conn, revoke_tx, &c, &err) != 0) {
		api_db_failed(rs, cx->db, "revoke tokens", err);
		return;
	}
	log_info("auth", "%s revoked their %lld API tokens from %s", cx->who.login, c.revoked,
		 rq->remote_addr);
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_int(&j, "tokens_revoked", c.revoked);
	json_kv_string(&j, "message", c.revoked > 0 ? "Đã thu hồi mọi mã truy cập (API token) "
		       "của tài khoản: các chương trình dùng chúng cần mã mới do quản trị viên cấp."
		       : "Tài khoản không có mã truy cập (API token) nào đang dùng.");
	json_object_end(&j);
}
