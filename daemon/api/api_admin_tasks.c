/* /api/v1/admin/series/{series}/tasks/preview and .../import: a task table (CSV or .xlsx)
 * tried in a transaction that is rolled back (what would change), then imported as baocaoctl
 * import tasks does, audited with the admin's login. */
#include "api_admin.h"
#include "db.h"
#include "housekeeping.h"
#include "json.h"
#include "log.h"
#include "series.h"
#include "tasks.h"
#include "util.h"
#include "xmltext.h"

#include <stdlib.h>
#include <string.h>

/* Writes a list of task codes. */
static void codes_json(struct json *j, const char *key, const struct tasks_units *u)
{
	json_key(j, key);
	json_array_begin(j);
	for (size_t i = 0; i < u->n; i++)
		json_string(j, u->codes[i]);
	json_array_end(j);
}

/* A query parameter that is short text, or NULL when absent or unfit. */
static char *short_param(const struct http_request *rq, const char *name, size_t max)
{
	char *v = http_query_param(rq, name);
	if (v && (v[0] == '\0' || strlen(v) > max || !xmltext_valid(v, strlen(v)) ||
		  strpbrk(v, "\r\n\t"))) {
		free(v);
		return NULL;
	}
	return v;
}

/* Both routes: the import, for real or as a dry run. */
static void tasks_upload(struct http_request *rq, struct http_response *rs,
			 const struct api_ctx *cx, bool dry_run)
{
	const struct series_def *s = cx->series;
	if (rq->body_len == 0) {
		http_error(rs, 400, "empty_file", "Chưa có tệp. Hãy chọn tệp bảng nhiệm vụ (.csv "
			   "hoặc .xlsx) rồi bấm Xem trước.");
		return;
	}
	PGconn *conn = cx->conn;
	char *file = short_param(rq, "file", 200), *source = short_param(rq, "source", 200);
	struct audit_who who;
	api_admin_who(rq, cx, &who);
	struct tasks_import_req req = { s->name, file ? file : "upload", source, rq->body,
					rq->body_len, &who, dry_run };
	struct tasks_import_result res;
	char *err = NULL;
	int rc = tasks_import_run(conn, &req, &res, &err);
	if (rc == 2) {
		api_db_failed(rs, cx->db, "admin: import tasks", err);
		err = NULL;
		goto out;
	}
	http_json(rs, rc == 1 ? 422 : 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	if (rc == 1) {
		json_key(&j, "error");
		json_object_begin(&j);
		json_kv_string(&j, "code", "invalid_task_table");
		json_kv_string(&j, "message", "Bảng nhiệm vụ có lỗi nên chưa nhập gì. Hãy sửa từng "
			       "dòng được nêu (tên cơ quan chủ trì phải là tên hoặc mã của một đơn vị "
			       "đã có), lưu tệp rồi xem trước lại.");
		json_object_end(&j);
		json_key(&j, "errors");
		json_array_begin(&j);
		if (res.errors.n == 0)
			json_string(&j, err ? err : "?");
		for (size_t i = 0; i < res.errors.n; i++)
			json_string(&j, res.errors.msgs[i]);
		json_array_end(&j);
		json_kv_int(&j, "total", res.errors.total ? (long long)res.errors.total : 1);
		json_object_end(&j);
		goto out;
	}
	json_kv_string(&j, "series", s->name);
	json_kv_bool(&j, "dry_run", dry_run);
	json_kv_int(&j, "tasks", res.tasks);
	json_kv_int(&j, "unchanged", res.unchanged);
	codes_json(&j, "added", &res.added_codes);
	codes_json(&j, "updated", &res.updated_codes);
	codes_json(&j, "deactivated", &res.deactivated_codes);
	char *msg = xasprintf("%s %d nhiệm vụ: %d thêm mới, %d thay đổi, %d không đổi, %d ngừng "
			      "theo dõi.%s", dry_run ? "Nếu áp dụng, bảng có" : "Đã nhập",
			      res.tasks, res.added, res.updated, res.unchanged, res.deactivated,
			      dry_run ? " Chưa có gì thay đổi: hãy kiểm tra rồi bấm Áp dụng." :
			      " Danh sách nhiệm vụ của các kỳ đang mở đã được cập nhật.");
	json_kv_string(&j, "message", msg);
	free(msg);
	json_object_end(&j);
	if (!dry_run) {
		log_info("admin", "%s imported %d tasks into %s: %d added, %d updated, %d "
			 "deactivated", cx->who.login, res.tasks, s->name, res.added, res.updated,
			 res.deactivated);
		api_changed(conn);
	}
out:
	free(err);
	tasks_import_result_free(&res);
	free(file);
	free(source);
}

/* POST /api/v1/admin/series/{series}/tasks/preview[?file=NAME]: what an import would do. */
void api_admin_tasks_preview(struct http_request *rq, struct http_response *rs,
			     const struct api_ctx *cx)
{
	tasks_upload(rq, rs, cx, true);
}

/* POST /api/v1/admin/series/{series}/tasks/import[?file=NAME&source=DOC] */
void api_admin_tasks_import(struct http_request *rq, struct http_response *rs,
			    const struct api_ctx *cx)
{
	tasks_upload(rq, rs, cx, false);
}
