/* /api/v1/admin/outbox: the messages with their state and last error, and sending a failed
 * or expired one again (as baocaoctl outbox retry, audited with the admin's login). */
#include "api_admin.h"
#include "clock.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "outbox.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GET /api/v1/admin/outbox[?failed=1] */
void api_admin_outbox_get(struct http_request *rq, struct http_response *rs,
			  const struct api_ctx *cx)
{
	char *failed = http_query_param(rq, "failed");
	bool only_failed = failed && strcmp(failed, "0") != 0 && strcmp(failed, "") != 0;
	free(failed);
	char *err = NULL;
	PGresult *r = outbox_list(cx->conn, only_failed, &err);
	if (r == NULL) {
		api_db_failed(rs, cx->db, "admin outbox", err);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_key(&j, "messages");
	json_array_begin(&j);
	for (int i = 0; i < PQntuples(r); i++) {
		json_object_begin(&j);
		json_kv_int(&j, "id", atoll(PQgetvalue(r, i, 0)));
		json_kv_string(&j, "state", PQgetvalue(r, i, 1));
		json_kv_string(&j, "recipient", PQgetvalue(r, i, 5));
		json_kv_string(&j, "subject", PQgetvalue(r, i, 6));
		json_kv_int(&j, "attempts", atoll(PQgetvalue(r, i, 2)));
		json_kv_string(&j, "created_at", PQgetvalue(r, i, 3));
		json_key(&j, "next_attempt_at");
		if (PQgetisnull(r, i, 4))
			json_null(&j);
		else
			json_string(&j, PQgetvalue(r, i, 4));
		json_kv_string(&j, "last_error", PQgetvalue(r, i, 7));
		json_kv_string(&j, "key", PQgetvalue(r, i, 8));
		json_kv_string(&j, "channel", PQgetvalue(r, i, 9));
		json_object_end(&j);
	}
	json_array_end(&j);
	json_kv_int(&j, "limit", OUTBOX_LIST_MAX);
	json_object_end(&j);
	PQclear(r);
}

/* POST /api/v1/admin/outbox/{id}/retry */
void api_admin_outbox_retry(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx)
{
	const char *id = route_param(&rq->params, "id");
	char *end = NULL;
	long long n = id ? strtoll(id, &end, 10) : 0;
	if (id == NULL || end == id || *end != '\0' || n <= 0 || strlen(id) > 18) {
		http_error(rs, 404, "unknown_message", "Không có thư này. Hãy tải lại hộp thư đi "
			   "rồi chọn lại.");
		return;
	}
	PGconn *conn = cx->conn;
	struct audit_who who;
	api_admin_who(rq, cx, &who);
	char *err = NULL;
	int done = outbox_retry(conn, n, clock_now(), true, &who, &err);
	if (done < 0) {
		api_db_failed(rs, cx->db, "admin: outbox retry", err);
		return;
	}
	if (done == 0) {
		http_error(rs, 409, "not_retryable", "Chỉ gửi lại được thư bị lỗi hoặc quá hạn; thư "
			   "này đang chờ gửi, đang gửi hoặc đã gửi xong. Hãy tải lại hộp thư đi.");
		return;
	}
	log_info("admin", "%s queued message %lld again", cx->who.login, n);
	api_admin_ok(rs, "Đã đưa thư vào hàng đợi để gửi lại; hệ thống sẽ gửi trong ít giây.");
}
