/* Authentication of API requests: who is calling, or the JSON error that says why not. */
#include "api.h"
#include "auth.h"
#include "db.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

/* Identifies the caller; on failure writes the error response and returns false. */
bool api_authenticate(struct http_request *rq, struct http_response *rs, struct db *db,
		      struct principal *who)
{
	PGconn *conn = db_conn(db);
	if (conn == NULL) {
		api_db_unavailable(rs);
		return false;
	}
	char *err = NULL;
	enum auth_result rc = auth_bearer(conn, http_header(rq, "Authorization"), who, &err);
	char *csrf = NULL;
	bool by_session = false;
	if (rc == AUTH_NONE) {
		rc = auth_session(conn, http_header(rq, "Cookie"), who, &csrf, &err);
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
	free(csrf);
	return true;
}
