/* The answers every API handler shares: unknown series, period and database failures. */
#include "api.h"
#include "housekeeping.h"
#include "notify.h"
#include "series_store.h"
#include "db.h"
#include "json_parse.h"
#include "log.h"
#include "util.h"
#include "xmltext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* 500 workbook_invalid: a built or kept workbook failed the well-formedness check; logs err
 * (frees it). Nothing was stored or sent. */
void api_workbook_invalid(struct http_response *rs, const char *what, char *err)
{
	log_error("api", "%s: %s", what, err ? err : "the workbook is not well-formed");
	free(err);
	http_error(rs, 500, "workbook_invalid",
		   "Tệp báo cáo tổng hợp lập ra không hợp lệ (có phần không đọc được) nên chưa "
		   "được lưu, phê duyệt hay gửi đi. Hãy báo quản trị viên: chi tiết ghi trong nhật "
		   "ký của baocaod; sau khi sửa, hãy thử lại.");
}

/* Logs a database failure of a request and answers 503 (connection) or 500; frees err. */
void api_db_failed(struct http_response *rs, struct db *db, const char *what, char *err)
{
	db_check_failure(db, NULL);
	log_error("api", "%s: %s", what, err ? err : db_last_error(db));
	free(err);
	if (db_connection_lost(db))
		api_db_unavailable(rs);
	else
		api_internal_error(rs);
}

/* Answers a periods_resolve() or periods_lookup() failure; frees err. */
void api_period_failed(struct http_response *rs, struct db *db, const char *what,
		       enum periods_result rc, char *err)
{
	switch (rc) {
	case PERIODS_BAD_REQUEST:
		log_info("api", "%s: %s", what, err);
		free(err);
		http_error(rs, 400, "invalid_period",
			   "Mã kỳ báo cáo không hợp lệ. Hãy dùng dạng 2026-W47 (tuần), 2026-11 "
			   "(tháng), 2026-Q4 (quý), 2026-H2 (6 tháng), 2026 (năm) hoặc current.");
		return;
	case PERIODS_OUT_OF_RANGE:
		http_error(rs, 404, "unknown_period", err);
		free(err);
		return;
	case PERIODS_NOT_FOUND:
		free(err);
		http_error(rs, 404, "unknown_period",
			   "Kỳ báo cáo này chưa được tạo. Điều phối viên cần ấn định hạn nộp cho kỳ "
			   "báo cáo đột xuất trước.");
		return;
	case PERIODS_UNSYNCED:
		log_warn("api", "%s: %s", what, err);
		free(err);
		http_error(rs, 503, "series_not_ready",
			   "Loại báo cáo này chưa được nạp vào cơ sở dữ liệu. Quản trị viên cần "
			   "chạy lệnh baocaoctl series sync.");
		return;
	default:
		api_db_failed(rs, db, what, err);
	}
}

/* The series named in the path, or NULL after answering 404. */
const struct series_def *api_series(struct http_request *rq, struct http_response *rs)
{
	const struct series_def *s = series_current_find(route_param(&rq->params, "series"));
	if (s == NULL)
		http_error(rs, 404, "unknown_series",
			   "Không có loại báo cáo này. Hãy kiểm tra lại tên loại báo cáo trong "
			   "đường dẫn.");
	return s;
}

/* Plans the jobs again here and in every other daemon. */
void api_changed(PGconn *conn)
{
	housekeeping_request();
	char *err = NULL;
	if (notify_announce(conn, &err) != 0) {
		log_warn("api", "other daemons were not told of the change (%s); they plan again "
			 "within a minute", err);
		free(err);
	}
}

/* The period of the path, looked up on the request's connection. */
bool api_period_of(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx,
		   const char *what, struct period_info *pi)
{
	memset(pi, 0, sizeof *pi);
	const char *id = route_param(&rq->params, "period");
	char *err = NULL;
	enum periods_result rc = periods_lookup(cx->conn, cx->series, id, rq->received_at, pi,
						&err);
	if (rc != PERIODS_OK) {
		char *label = xasprintf("%s %s/%s", what, cx->series->name, id);
		api_period_failed(rs, cx->db, label, rc, err);
		free(label);
		return false;
	}
	return true;
}

/* As api_period_of, for a period that has opened (it is stored). */
bool api_stored_period_of(struct http_request *rq, struct http_response *rs,
			  const struct api_ctx *cx, const char *what, struct period_info *pi)
{
	if (!api_period_of(rq, rs, cx, what, pi))
		return false;
	if (pi->db_id != 0)
		return true;
	period_info_free(pi);
	http_error(rs, 404, "period_not_open", "Kỳ báo cáo này chưa mở nên chưa có số liệu. Hãy "
		   "chọn kỳ hiện tại hoặc một kỳ đã qua.");
	return false;
}

/* Whether reminders make sense for the period: stored, begun, not skipped. */
bool api_period_remindable(const struct http_request *rq, struct http_response *rs,
			   struct period_info *pi)
{
	if (pi->db_id != 0 && !pi->skipped && !(pi->has_span && rq->received_at < pi->starts))
		return true;
	period_info_free(pi);
	http_error(rs, 409, "nothing_to_remind", "Kỳ này chưa bắt đầu hoặc không yêu cầu báo cáo, "
		   "nên không có gì để nhắc.");
	return false;
}

/* The first string of v outside the text rule, its path written into path; NULL if none. */
static const struct jv *text_find(const struct jv *v, char *path, size_t size, size_t used)
{
	if (v->type == JV_STRING)
		return xmltext_valid(v->string, v->len) ? NULL : v;
	if (v->type != JV_ARRAY && v->type != JV_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->len; i++) {
		int n = v->type == JV_OBJECT
			? snprintf(path + used, size - used, "%s%.60s", used ? "." : "", v->keys[i])
			: snprintf(path + used, size - used, "[%zu]", i);
		size_t next = n < 0 ? used : used + (size_t)n < size ? used + (size_t)n : size - 1;
		const struct jv *bad = text_find(&v->items[i], path, size, next);
		if (bad != NULL)
			return bad;
		path[used] = '\0';
	}
	return NULL;
}

/* What people call the members of the requests' JSON, by their last key. */
static const struct {
	const char *key, *label;
} text_labels[] = {
	{ "comment", "Nhận xét" },
	{ "text", "Nội dung đánh giá" },
	{ "name", "Tên" },
	{ "note", "Ghi chú" },
	{ "email", "Thư điện tử" },
	{ "emails", "Thư điện tử" },
	{ "login", "Tên đăng nhập" },
	{ "password", "Mật khẩu" },
	{ "group", "Nhóm" },
};

/* Answers 422 invalid_text naming the first string of a request's JSON outside the text rule
 * (xmltext.h); false when every string follows it. */
bool api_text_refused(struct http_response *rs, const struct jv *doc)
{
	char path[256] = "";
	const struct jv *bad = doc != NULL ? text_find(doc, path, sizeof path, 0) : NULL;
	if (bad == NULL)
		return false;
	/* The last key of the path: "emails" of "emails[1]", "name" of "unit.name". */
	const char *dot = strrchr(path, '.');
	const char *last = dot != NULL ? dot + 1 : path;
	size_t keylen = strcspn(last, "[");
	const char *label = NULL;
	for (size_t i = 0; i < sizeof text_labels / sizeof text_labels[0]; i++)
		if (strlen(text_labels[i].key) == keylen &&
		    strncmp(text_labels[i].key, last, keylen) == 0)
			label = text_labels[i].label;
	char *where = label != NULL ? xasprintf("%s (trường “%s”)", label, path)
				    : xasprintf("Trường “%s”", path);
	char *msg = xmltext_refusal(where, bad->string, bad->len);
	http_error(rs, 422, "invalid_text", msg != NULL ? msg : where);
	free(msg);
	free(where);
	return true;
}

/* The version number of ?n=: digits only, strictly, so that "+1", " 1" or "01" name nothing. */
int api_version_param(struct http_request *rq, struct http_response *rs, const char *message)
{
	char *text = http_query_param(rq, "n");
	int v = 0;
	size_t len = text != NULL ? strlen(text) : 0;
	bool ok = len >= 1 && len <= 9 && text[0] != '0';
	for (size_t i = 0; ok && i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			ok = false;
		else
			v = v * 10 + (text[i] - '0');
	}
	free(text);
	if (!ok) {
		http_error(rs, 400, "bad_version", message);
		return 0;
	}
	return v;
}

/* A recipient asking for a version other than the one in force: 403. */
bool api_recipient_superseded(const struct api_ctx *cx, const PGresult *r, int col,
			      struct http_response *rs)
{
	if (cx->who.role != ROLE_RECIPIENT || PQntuples(r) == 0 || PQgetlength(r, 0, col) != 1 ||
	    PQgetvalue(r, 0, col)[0] != 1)
		return false;
	http_error(rs, 403, "not_in_force", "Đơn vị nhận báo cáo chỉ xem được báo cáo đang dùng "
		   "của đơn vị; các phiên bản trước do đơn vị tổng hợp quản lý.");
	return true;
}
