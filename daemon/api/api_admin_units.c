/* /api/v1/admin/units: the units and their contacts (and webhook), editing one, importing the
 * units file (as baocaoctl import units, audited with the admin's login). */
#include "api_admin.h"
#include "db.h"
#include "db_json.h"
#include "housekeeping.h"
#include "json.h"
#include "log.h"
#include "series.h"
#include "series_store.h"
#include "unit_webhook.h"
#include "units.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* GET /api/v1/admin/units */
void api_admin_units_get(struct http_request *rq, struct http_response *rs,
			 const struct api_ctx *cx)
{
	PGconn *conn = cx->conn;
	char *err = NULL;
	PGresult *r = units_list(conn, &err);
	if (r == NULL) {
		api_db_failed(rs, cx->db, "admin units", err);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	static const struct db_json_col cols[] = {
		{ "code", DBJ_TEXT }, { "name", DBJ_TEXT }, { "group", DBJ_TEXT },
		{ "emails", DBJ_JSON }, { "active", DBJ_BOOL }, { "accounts", DBJ_INT },
		{ "webhook", DBJ_TEXT_NULL }, { "webhook_secret_set", DBJ_BOOL },
	};
	json_key(&j, "units");
	db_json_rows(&j, r, cols, nitems(cols));
	json_object_end(&j);
	PQclear(r);
}

/* The emails of a request, as the CSV column writes them: a string, or an array of strings
 * joined with spaces; NULL when neither (or too long). */
static char *emails_of(const struct jv *doc)
{
	const struct jv *v = jv_get(doc, "emails");
	if (v && v->type == JV_STRING)
		return v->len <= 4096 ? xstrdup(v->string) : NULL;
	if (v == NULL || v->type != JV_ARRAY || v->len > 50)
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < v->len; i++) {
		if (v->items[i].type != JV_STRING || v->items[i].len > 300) {
			strbuf_free(&sb);
			return NULL;
		}
		strbuf_addf(&sb, "%s%s", i ? " " : "", v->items[i].string);
	}
	return strbuf_detach(&sb);
}

/* What a webhook that cannot be used is answered (422 invalid_webhook). */
static const char bad_webhook_text[] = "Địa chỉ webhook phải bắt đầu bằng https:// (ví dụ "
	"https://thongbao.donvi.gov.vn/baocao), không có dấu cách, tối đa 2000 ký tự. Để trống "
	"nếu đơn vị không dùng webhook.";

/* The webhook of a request: its URL, "" for none (null or ""), NULL when absent (left as it
 * is); *bad when it is neither a string nor null. */
static const char *webhook_of(const struct jv *doc, bool *bad)
{
	const struct jv *v = jv_get(doc, "webhook");
	*bad = false;
	if (v == NULL)
		return NULL;
	if (v->type == JV_NULL)
		return "";
	if (v->type != JV_STRING || v->len > UNIT_WEBHOOK_URL_MAX) {
		*bad = true;
		return NULL;
	}
	return v->string;
}

/* PUT /api/v1/admin/units/{unit} {"name":"...","group":"...","emails":["head:a@x.vn","b@y.vn"],
 * "webhook":"https://..." (optional; null or "" removes it)} */
void api_admin_unit_put(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	const char *code = route_param(&rq->params, "unit");
	if (code == NULL || !units_code_valid(code)) {
		http_error(rs, 404, "unknown_unit", "Không có đơn vị này. Hãy tải lại danh sách đơn "
			   "vị rồi chọn lại.");
		return;
	}
	struct jv *doc = api_admin_json(rq, rs, "{\"name\":\"Sở Tài chính\",\"group\":"
					"\"so-nganh\",\"emails\":[\"head:giamdoc@stc.gov.vn\"]}");
	if (doc == NULL)
		return;
	const char *name = api_admin_text(doc, "name", 300);
	const char *group = api_admin_text(doc, "group", 32);
	char *emails = emails_of(doc);
	bool bad_webhook;
	const char *webhook = webhook_of(doc, &bad_webhook);
	if (name == NULL || group == NULL || emails == NULL || bad_webhook) {
		/* Only the webhook wrong (not a string, too long): say so. */
		if (name != NULL && group != NULL && emails != NULL)
			http_error(rs, 422, "invalid_webhook", bad_webhook_text);
		else
			http_error(rs, 400, "bad_request", "Hãy gửi tên, nhóm và danh sách thư điện "
				   "tử của đơn vị: {\"name\":\"...\",\"group\":\"...\",\"emails\":"
				   "[\"...\"]}.");
		jv_free(doc);
		free(emails);
		return;
	}
	PGconn *conn = cx->conn;
	struct audit_who who;
	api_admin_who(rq, cx, &who);
	char *err = NULL, *msg;
	switch (units_update(conn, code, name, group, emails, webhook, &who, &err)) {
	case UNITS_OK:
		log_info("admin", "%s changed the unit %s", cx->who.login, code);
		api_admin_ok(rs, "Đã lưu thông tin đơn vị.");
		/* Series name groups: a unit that changed group may change series. */
		api_changed(conn);
		break;
	case UNITS_NOT_FOUND:
		http_error(rs, 404, "unknown_unit", "Không có đơn vị này. Hãy tải lại danh sách đơn "
			   "vị rồi chọn lại.");
		break;
	case UNITS_BAD_NAME:
		http_error(rs, 422, "invalid_unit", "Tên đơn vị phải có từ 1 đến 300 ký tự. Hãy "
			   "nhập lại tên.");
		break;
	case UNITS_BAD_GROUP:
		http_error(rs, 422, "invalid_unit", "Nhóm đơn vị chỉ gồm chữ thường không dấu, chữ "
			   "số và dấu gạch ngang, tối đa 32 ký tự (ví dụ so-nganh, xa-phuong).");
		break;
	case UNITS_BAD_EMAIL:
		msg = xasprintf("Địa chỉ thư điện tử \"%s\" không hợp lệ. Hãy sửa lại dạng "
				"ten@donvi.gov.vn; địa chỉ của thủ trưởng viết thêm head: ở đầu.",
				err ? err : "");
		http_error(rs, 422, "invalid_email", msg);
		free(msg);
		break;
	case UNITS_BAD_WEBHOOK:
		http_error(rs, 422, "invalid_webhook", bad_webhook_text);
		break;
	default:
		api_db_failed(rs, cx->db, "admin: update unit", err);
		err = NULL;
	}
	free(err);
	free(emails);
	jv_free(doc);
}

/* Brings the series' members up to date after the units changed, as baocaoctl import units
 * does (series name groups); the daemon's copy of the definitions is written back. */
static void series_members_refresh(PGconn *conn)
{
	const struct series_list *list = series_current();
	char *err = NULL;
	if (list->n > 0 && series_sync(conn, list, &err) != 0) {
		log_warn("admin", "series members after a units import: %s; they follow within a "
			 "minute", err ? err : "failed");
		free(err);
	}
	api_changed(conn);
}

/* POST /api/v1/admin/units/import: the units file (CSV, columns
 * code,name,group[,emails][,webhook]). */
void api_admin_units_import(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx)
{
	PGconn *conn = cx->conn;
	struct audit_who who;
	api_admin_who(rq, cx, &who);
	struct units_import_result res;
	char *err = NULL, *msg;
	int rc = units_import_csv(conn, (const char *)rq->body, rq->body_len, &who, &res, &err);
	if (rc == 1) {
		msg = xasprintf("Tệp đơn vị có lỗi nên chưa nhập gì. Hãy sửa tệp (CSV UTF-8, các cột "
				"code, name, group, emails và webhook) rồi nhập lại. Chi tiết: %s", err);
		http_error(rs, 422, "invalid_units_file", msg);
		free(msg);
		free(err);
		return;
	}
	if (rc != 0) {
		api_db_failed(rs, cx->db, "admin: import units", err);
		return;
	}
	log_info("admin", "%s imported %d units: %d added, %d updated, %d unchanged",
		 cx->who.login, res.rows, res.added, res.updated, res.unchanged);
	series_members_refresh(conn);
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_int(&j, "rows", res.rows);
	json_kv_int(&j, "added", res.added);
	json_kv_int(&j, "updated", res.updated);
	json_kv_int(&j, "unchanged", res.unchanged);
	msg = xasprintf("Đã nhập %d đơn vị: %d thêm mới, %d cập nhật, %d không đổi.", res.rows,
			res.added, res.updated, res.unchanged);
	json_kv_string(&j, "message", msg);
	free(msg);
	json_object_end(&j);
}
