/* Authentication of API requests: who is calling, or the JSON error that says why not. */
#include "api.h"
#include "auth.h"
#include "db.h"
#include "log.h"

#include <stdlib.h>

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
	switch (auth_bearer(conn, http_header(rq, "Authorization"), who, &err)) {
	case AUTH_OK:
		return true;
	case AUTH_NONE:
		http_error(rs, 401, "unauthenticated",
			   "Bạn chưa đăng nhập. Hãy đăng nhập, hoặc gửi kèm mã truy cập (API token) "
			   "trong tiêu đề Authorization: Bearer.");
		http_add_header(rs, "WWW-Authenticate", "Bearer realm=\"baocao\"");
		return false;
	case AUTH_INVALID:
		log_info("api", "%s %s: invalid or revoked token from %s", rq->method, rq->path,
			 rq->remote_addr);
		http_error(rs, 401, "invalid_token",
			   "Mã truy cập không hợp lệ hoặc đã bị thu hồi. Hãy xin quản trị viên cấp "
			   "mã mới.");
		http_add_header(rs, "WWW-Authenticate", "Bearer realm=\"baocao\", error=\"invalid_token\"");
		return false;
	default:
		db_check_failure(db, NULL);
		log_error("api", "%s %s: %s", rq->method, rq->path, err);
		free(err);
		if (db_connection_lost(db))
			api_db_unavailable(rs);
		else
			api_internal_error(rs);
		return false;
	}
}

/* 503: the database cannot be reached. */
void api_db_unavailable(struct http_response *rs)
{
	http_error(rs, 503, "database_unavailable",
		   "Hệ thống tạm thời không truy cập được cơ sở dữ liệu. Vui lòng thử lại sau ít "
		   "phút.");
	http_add_header(rs, "Retry-After", "30");
}

/* 500: something failed that the user cannot fix. */
void api_internal_error(struct http_response *rs)
{
	http_error(rs, 500, "internal_error",
		   "Hệ thống gặp lỗi khi xử lý yêu cầu. Quản trị viên có thể xem chi tiết trong "
		   "nhật ký của baocaod.");
}
