/* PUT /api/v1/account/password: a person changes their own password. */
#include "api.h"
#include "audit.h"
#include "auth.h"
#include "clock.h"
#include "db.h"
#include "json.h"
#include "json_parse.h"
#include "log.h"
#include "loginlimit.h"
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
	const char *hash;
	long long ended;
};

/* The transaction: the new hash, the other sessions ended, the audit entry. */
static int change_tx(PGconn *conn, void *arg, char **err)
{
	struct change *c = arg;
	const struct http_request *rq = c->rq;
	c->ended = auth_password_set(conn, rq->who.account_id, c->hash,
				     rq->by_session ? http_header(rq, "Cookie") : NULL, err);
	if (c->ended < 0)
		return -1;
	char detail[64];
	snprintf(detail, sizeof detail, "{\"sessions_ended\":%lld}", c->ended);
	struct audit_entry e = { rq->who.account_id, rq->who.login, "password_change", "account",
				 rq->who.login, detail, rq->remote_addr };
	return audit_write(conn, &e, err);
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

/* Whether the account's stored password is `password`; -1 on a database failure. */
static int current_matches(PGconn *conn, long long account_id, const char *password,
			   char **err)
{
	char account[24];
	snprintf(account, sizeof account, "%lld", account_id);
	const char *p[] = { account };
	PGresult *r = db_run(conn, "password check", "SELECT password_hash FROM account "
			     "WHERE id = $1 AND NOT disabled", 1, p, err);
	if (r == NULL)
		return -1;
	bool ok = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) &&
		  auth_password_verify(PQgetvalue(r, 0, 0), password);
	PQclear(r);
	return ok ? 1 : 0;
}

/* PUT /api/v1/account/password {"current":"...","new":"..."} */
void api_account_password_put(struct http_request *rq, struct http_response *rs, struct db *db)
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
	if (current == NULL || pw == NULL || strlen(current) > 4 * PASSWORD_MAX ||
	    strlen(pw) > 4 * PASSWORD_MAX + 4) {
		jv_free(doc);
		http_error(rs, 400, "bad_password_request", "Hãy gửi mật khẩu hiện tại và mật khẩu "
			   "mới: {\"current\":\"...\",\"new\":\"...\"}.");
		return;
	}
	PGconn *conn = db_conn(db);
	if (conn == NULL) {
		jv_free(doc);
		api_db_unavailable(rs);
		return;
	}
	/* Guessing the current password from a session left open counts as failed logins. */
	struct loginlimit_keys keys;
	loginlimit_keys(rq->who.login, rq->remote_addr, &keys);
	long long wait_s = 0;
	if (loginlimit_check(conn, &keys, rq->received_at, &wait_s, &err) != 0) {
		jv_free(doc);
		api_db_failed(rs, db, "password: login limit", err);
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
	int m = current_matches(conn, rq->who.account_id, current, &err);
	if (m < 0) {
		jv_free(doc);
		api_db_failed(rs, db, "password check", err);
		return;
	}
	if (m == 0) {
		jv_free(doc);
		if (loginlimit_failed(conn, &keys, clock_now(), &err) != 0) {
			api_db_failed(rs, db, "password: login limit", err);
			return;
		}
		log_info("auth", "%s: wrong current password on a password change from %s",
			 rq->who.login, rq->remote_addr);
		http_error(rs, 403, "wrong_password", "Mật khẩu hiện tại không đúng. Hãy gõ lại mật "
			   "khẩu đang dùng để đăng nhập; nếu quên, hãy liên hệ quản trị viên.");
		return;
	}
	const char *problem = new_password_problem(rq->who.login, current, pw);
	if (problem) {
		jv_free(doc);
		http_error(rs, 422, "weak_password", problem);
		return;
	}
	char *hash = auth_password_hash(pw);
	jv_free(doc);
	if (hash == NULL) {
		log_error("auth", "%s: cannot hash the new password", rq->who.login);
		api_internal_error(rs);
		return;
	}
	struct change c = { rq, hash, 0 };
	int rc = db_tx(conn, change_tx, &c, &err);
	sodium_memzero(hash, strlen(hash));
	free(hash);
	if (rc != 0) {
		api_db_failed(rs, db, "password change", err);
		return;
	}
	log_info("auth", "%s changed their password from %s; %lld other sessions ended",
		 rq->who.login, rq->remote_addr, c.ended);
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_int(&j, "sessions_ended", c.ended);
	json_kv_string(&j, "message", "Đã đổi mật khẩu. Các phiên đăng nhập khác của tài khoản "
		       "đã được đăng xuất.");
	json_object_end(&j);
}
