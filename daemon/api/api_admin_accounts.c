/* /api/v1/admin/accounts: the administrators' list of accounts, creating one, turning one off
 * and on, setting its password (as baocaoctl account does, audited with the admin's login). */
#include "accounts.h"
#include "api_admin.h"
#include "auth.h"
#include "clock.h"
#include "db.h"
#include "db_json.h"
#include "json.h"
#include "log.h"
#include "units.h"
#include "utf8.h"
#include "util.h"
#include "xmltext.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSWORD_MIN 10		/* characters, as baocaoctl and the password page */
#define PASSWORD_MAX 256

/* GET /api/v1/admin/accounts */
void api_admin_accounts_get(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx)
{
	PGconn *conn = cx->conn;
	char *err = NULL;
	PGresult *r = accounts_list(conn, &err);
	if (r == NULL) {
		api_db_failed(rs, cx->db, "admin accounts", err);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	static const struct db_json_col cols[] = {
		{ "login", DBJ_TEXT }, { "name", DBJ_TEXT }, { "email", DBJ_TEXT },
		{ "unit", DBJ_TEXT }, { "unit_name", DBJ_TEXT }, { "role", DBJ_TEXT },
		{ "disabled", DBJ_BOOL }, { "has_password", DBJ_BOOL }, { "sessions", DBJ_INT },
	};
	json_key(&j, "accounts");
	db_json_rows(&j, r, cols, nitems(cols));
	json_object_end(&j);
	PQclear(r);
}

/* The password a request sets: {"password":"..."} typed, or {"generate":true}. NULL with
 * *problem (for the person) when neither will do; *none when allow_none and neither is
 * given. A generated one is marked in *generated. */
static char *wanted_password(const struct jv *doc, const char *login, bool allow_none,
			     bool *generated, bool *none, const char **problem)
{
	*generated = *none = false;
	const struct jv *gen = jv_get(doc, "generate");
	const char *pw = jv_get_string(doc, "password");
	if (gen && gen->type == JV_BOOL && gen->boolean) {
		*generated = true;
		return auth_password_generate();
	}
	if (pw == NULL || pw[0] == '\0') {
		if (allow_none) {
			*none = true;
			return NULL;
		}
		*problem = "Hãy nhập mật khẩu mới (ít nhất 10 ký tự) hoặc chọn \"Tạo mật khẩu "
			   "ngẫu nhiên\".";
		return NULL;
	}
	size_t chars = xmltext_valid(pw, strlen(pw)) ? utf8_length(pw) : 0;
	if (chars < PASSWORD_MIN)
		*problem = "Mật khẩu phải có ít nhất 10 ký tự. Hãy chọn mật khẩu dài hơn, hoặc "
			   "chọn \"Tạo mật khẩu ngẫu nhiên\".";
	else if (chars > PASSWORD_MAX)
		*problem = "Mật khẩu dài quá 256 ký tự. Hãy chọn mật khẩu ngắn hơn.";
	else if (strcmp(pw, login) == 0)
		*problem = "Mật khẩu không được trùng tên đăng nhập. Hãy chọn mật khẩu khác.";
	else
		return xstrdup(pw);
	return NULL;
}

/* Hashes a password, or answers 500; NULL password gives NULL without error. */
static bool hash_password(struct http_response *rs, const char *pw, char **hash)
{
	*hash = NULL;
	if (pw == NULL)
		return true;
	*hash = auth_password_hash(pw);
	if (*hash == NULL) {
		log_error("admin", "cannot hash a password");
		api_internal_error(rs);
		return false;
	}
	return true;
}

/* Wipes and frees a secret. */
static void secret_free(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

/* Answers a password set or generated: the message, and a generated password once. */
static void password_answer(struct http_response *rs, int status, const char *message,
			    const char *login, const char *generated, long long ended,
			    long long revoked)
{
	http_json(rs, status);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "login", login);
	json_kv_string(&j, "message", message);
	if (generated)
		json_kv_string(&j, "password", generated);
	if (ended >= 0)
		json_kv_int(&j, "sessions_ended", ended);
	if (revoked >= 0)
		json_kv_int(&j, "tokens_revoked", revoked);
	json_object_end(&j);
}

/* Checks the fields of a new account; the problem for the person, or NULL. */
static const char *account_problem(const char *login, const char *name, const char *email,
				   const char *unit, const char *role)
{
	enum auth_role r;
	if (login == NULL || !accounts_login_valid(login))
		return "Tên đăng nhập chỉ gồm chữ thường không dấu, chữ số, dấu chấm, gạch dưới "
		       "hoặc gạch ngang, dài 2 đến 64 ký tự, bắt đầu bằng chữ hoặc số (ví dụ "
		       "stc.baocao).";
	if (name == NULL)
		return "Họ tên dài tối đa 200 ký tự, không có ký tự điều khiển. Hãy sửa họ tên.";
	if (email == NULL || !units_email_valid(email))
		return "Địa chỉ thư điện tử không hợp lệ. Hãy nhập dạng ten@donvi.gov.vn.";
	if (unit == NULL || !units_code_valid(unit))
		return "Hãy chọn đơn vị của tài khoản trong danh sách.";
	if (role == NULL || auth_role_parse(role, &r) != 0)
		return "Hãy chọn vai trò: báo cáo, điều phối, nhận báo cáo hoặc quản trị.";
	return NULL;
}

/* POST /api/v1/admin/accounts {"login","name","email","unit","role","password"|"generate"} */
void api_admin_accounts_post(struct http_request *rq, struct http_response *rs,
			     const struct api_ctx *cx)
{
	struct jv *doc = api_admin_json(rq, rs, "{\"login\":\"stc.baocao\",\"name\":\"Nguyễn "
					"Văn A\",\"email\":\"a@stc.hatinh.gov.vn\",\"unit\":\"STC\","
					"\"role\":\"reporter\",\"generate\":true}");
	if (doc == NULL)
		return;
	const char *login = api_admin_text(doc, "login", 64);
	const char *name = jv_get(doc, "name") ? api_admin_text(doc, "name", 200) : "";
	const char *email = api_admin_text(doc, "email", 254);
	const char *unit = api_admin_text(doc, "unit", 32);
	const char *role = api_admin_text(doc, "role", 16);
	const char *problem = account_problem(login, name, email, unit, role);
	bool generated = false, none = false;
	char *pw = problem ? NULL : wanted_password(doc, login, true, &generated, &none, &problem);
	if (problem) {
		jv_free(doc);
		http_error(rs, 422, "invalid_account", problem);
		return;
	}
	PGconn *conn = cx->conn;
	char *hash = NULL;
	if (!hash_password(rs, pw, &hash))
		goto out;
	struct accounts_new a = { login, name, email, unit, role, hash };
	struct audit_who who;
	api_admin_who(rq, cx, &who);
	char *err = NULL;
	switch (accounts_create(conn, &a, &who, &err)) {
	case ACCOUNTS_OK:
		log_info("admin", "%s created the account %s (%s of %s)", cx->who.login, login, role,
			 unit);
		password_answer(rs, 201, generated ? "Đã tạo tài khoản. Mật khẩu chỉ hiện một lần "
				"này: hãy ghi lại và trao tận tay người dùng."
				: none ? "Đã tạo tài khoản, chưa có mật khẩu: hãy đặt mật khẩu trước "
				"khi người dùng đăng nhập." : "Đã tạo tài khoản với mật khẩu đã nhập.",
				login, generated ? pw : NULL, -1, -1);
		break;
	case ACCOUNTS_NO_UNIT:
		http_error(rs, 422, "unknown_unit", "Không có đơn vị với mã này. Hãy chọn đơn vị "
			   "trong danh sách, hoặc thêm đơn vị ở mục Đơn vị trước.");
		break;
	case ACCOUNTS_EXISTS:
		http_error(rs, 409, "login_taken", "Đã có tài khoản với tên đăng nhập này. Hãy chọn "
			   "tên khác, hoặc đặt lại mật khẩu của tài khoản đó.");
		break;
	default:
		api_db_failed(rs, cx->db, "admin: create account", err);
		err = NULL;
	}
	free(err);
out:
	jv_free(doc);
	secret_free(pw);
	secret_free(hash);
}

/* The {login} of the path if it has the form of one, or NULL after answering 404. */
static const char *path_login(struct http_request *rq, struct http_response *rs)
{
	const char *login = route_param(&rq->params, "login");
	if (login == NULL || !accounts_login_valid(login)) {
		http_error(rs, 404, "unknown_account", "Không có tài khoản này. Hãy tải lại danh "
			   "sách tài khoản rồi chọn lại.");
		return NULL;
	}
	return login;
}

/* Answers "no such account". */
static void no_account(struct http_response *rs)
{
	http_error(rs, 404, "unknown_account", "Không có tài khoản này. Hãy tải lại danh sách "
		   "tài khoản rồi chọn lại.");
}

/* PUT /api/v1/admin/accounts/{login}/password {"password":"..."} or {"generate":true} */
void api_admin_account_password_put(struct http_request *rq, struct http_response *rs,
				    const struct api_ctx *cx)
{
	const char *login = path_login(rq, rs);
	if (login == NULL)
		return;
	struct jv *doc = api_admin_json(rq, rs, "{\"generate\":true} hoặc {\"password\":\"...\"}");
	if (doc == NULL)
		return;
	bool generated, none;
	const char *problem = NULL;
	char *pw = wanted_password(doc, login, false, &generated, &none, &problem);
	jv_free(doc);
	if (pw == NULL) {
		http_error(rs, 422, "weak_password", problem);
		return;
	}
	PGconn *conn = cx->conn;
	char *hash = NULL;
	if (!hash_password(rs, pw, &hash))
		goto out;
	struct audit_who who;
	api_admin_who(rq, cx, &who);
	/* An admin setting their own password keeps the session they do it from. */
	const char *keep = cx->by_session && strcmp(login, cx->who.login) == 0 ?
			   http_header(rq, "Cookie") : NULL;
	struct accounts_reset reset;
	char *err = NULL;
	switch (accounts_set_password(conn, login, hash, keep, &who, true, &reset, &err)) {
	case ACCOUNTS_OK:
		log_info("admin", "%s set the password of %s; %lld sessions ended, %lld API tokens "
			 "revoked", cx->who.login, login, reset.ended, reset.revoked);
		password_answer(rs, 200, generated ? "Đã đặt mật khẩu mới. Mật khẩu chỉ hiện một "
				"lần này: hãy ghi lại và trao tận tay người dùng; các phiên đăng nhập "
				"của tài khoản đã được đăng xuất và các mã truy cập (API token) đã bị thu "
				"hồi." : "Đã đặt mật khẩu mới; các phiên đăng nhập của tài khoản đã được "
				"đăng xuất và các mã truy cập (API token) đã bị thu hồi.", login,
				generated ? pw : NULL, reset.ended, reset.revoked);
		break;
	case ACCOUNTS_NOT_FOUND:
		no_account(rs);
		break;
	case ACCOUNTS_ADMIN_GUARDED:
		log_warn("admin", "%s may not set the password of the administrator %s over HTTP",
			 cx->who.login, login);
		http_error(rs, 403, "admin_password", "Không thể đặt lại mật khẩu của một quản trị "
			   "viên khác qua trang quản trị. Hãy dùng lệnh baocaoctl account passwd "
			   "--login TÊN trên máy chủ, hoặc nhờ người đó tự đổi mật khẩu.");
		break;
	default:
		api_db_failed(rs, cx->db, "admin: set password", err);
		err = NULL;
	}
	free(err);
out:
	secret_free(pw);
	secret_free(hash);
}

/* PUT /api/v1/admin/accounts/{login}/disabled {"disabled":true|false} */
void api_admin_account_disabled_put(struct http_request *rq, struct http_response *rs,
				    const struct api_ctx *cx)
{
	const char *login = path_login(rq, rs);
	if (login == NULL)
		return;
	struct jv *doc = api_admin_json(rq, rs, "{\"disabled\":true}");
	if (doc == NULL)
		return;
	const struct jv *v = jv_get(doc, "disabled");
	bool ok = v && v->type == JV_BOOL, disable = ok && v->boolean;
	jv_free(doc);
	if (!ok) {
		http_error(rs, 400, "bad_request", "Hãy gửi {\"disabled\":true} để khóa hoặc "
			   "{\"disabled\":false} để mở lại tài khoản.");
		return;
	}
	if (disable && strcmp(login, cx->who.login) == 0) {
		http_error(rs, 409, "self_disable", "Bạn không thể tự khóa tài khoản đang dùng. Hãy "
			   "nhờ một quản trị viên khác, hoặc dùng lệnh baocaoctl account disable.");
		return;
	}
	PGconn *conn = cx->conn;
	struct audit_who who;
	api_admin_who(rq, cx, &who);
	struct accounts_switch sw;
	char *err = NULL;
	enum accounts_result ar = accounts_set_disabled(conn, login, disable, clock_now(), &who,
							true, &sw, &err);
	if (ar == ACCOUNTS_NOT_FOUND) {
		no_account(rs);
		return;
	}
	if (ar == ACCOUNTS_LAST_ADMIN) {
		log_warn("admin", "%s may not disable %s, the last enabled administrator",
			 cx->who.login, login);
		http_error(rs, 409, "last_admin", "Đây là quản trị viên cuối cùng đang hoạt động: "
			   "khóa tài khoản này thì không ai quản trị được hệ thống. Hãy tạo hoặc mở "
			   "lại một tài khoản quản trị khác trước, hoặc dùng lệnh baocaoctl account "
			   "disable trên máy chủ.");
		return;
	}
	if (ar != ACCOUNTS_OK) {
		api_db_failed(rs, cx->db, "admin: disable account", err);
		return;
	}
	if (sw.changed)
		log_info("admin", "%s %s the account %s", cx->who.login,
			 disable ? "disabled" : "enabled", login);
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "login", login);
	json_kv_bool(&j, "disabled", disable);
	json_kv_bool(&j, "changed", sw.changed);
	json_kv_int(&j, "sessions_ended", sw.ended);
	json_kv_int(&j, "live_api_tokens", sw.tokens);
	json_kv_string(&j, "message", !sw.changed ? (disable ? "Tài khoản đã bị khóa từ trước."
					: "Tài khoản vẫn đang hoạt động.")
				      : disable ? "Đã khóa tài khoản: người dùng bị đăng xuất và "
					"không đăng nhập hay dùng mã truy cập được nữa."
				      : "Đã mở lại tài khoản: người dùng đăng nhập lại được.");
	json_object_end(&j);
}
