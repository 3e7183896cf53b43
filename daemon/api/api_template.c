/* GET /api/v1/series/{series}/periods/{period}/template: the unit's workbook for a period. */
#include "api.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "keys.h"
#include "log.h"
#include "periods.h"
#include "template.h"
#include "units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XLSX_MIME "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* Appends text percent-encoded as RFC 8187 wants for filename*= (attr-char kept). */
static void add_ext_value(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("!#$&+-.^_`|~", c) != NULL) {
			strbuf_addc(sb, (char)c);
		} else {
			strbuf_addc(sb, '%');
			strbuf_addc(sb, hex[c >> 4]);
			strbuf_addc(sb, hex[c & 15]);
		}
	}
}

/* The Content-Disposition of a workbook: an ASCII name and the Vietnamese one. */
static char *disposition(const struct period_info *pi, const char *unit,
			 const char *unit_name)
{
	char *ascii = template_filename(pi->series->name, pi->id, unit);
	char *vi = template_filename_vi(pi->id, unit_name);
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "attachment; filename=\"%s\"; filename*=UTF-8''", ascii);
	add_ext_value(&sb, vi);
	free(ascii);
	free(vi);
	return strbuf_detach(&sb);
}

/* Answers with the workbook of the caller's unit, or of ?unit=CODE (the gate has checked
 * that the caller may have it). */
void api_template_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	const struct principal *who = &cx->who;
	const char *name = cx->series->name;
	const char *id = route_param(&rq->params, "period");
	const struct series_def *s = cx->series;
	const char *unit = cx->unit;
	PGconn *conn = cx->conn;
	char *what = xasprintf("template %s/%s/%s", name, id, unit);
	struct period_info pi;
	char *err = NULL;
	enum periods_result pr = periods_lookup(conn, s, id, rq->received_at, &pi, &err);
	if (pr != PERIODS_OK) {
		api_period_failed(rs, cx->db, what, pr, err);
		free(what);
		return;
	}
	struct template_file tf;
	enum template_result tr = template_build(conn, &pi, unit, keys_server()->mac, &tf, &err);
	if (tr == TEMPLATE_REFUSED) {
		log_info("api", "template %s: %s", what, err);
		free(err);
		char *msg;
		switch (tf.refusal) {
		case TEMPLATE_UNKNOWN_UNIT:
			http_error(rs, 404, "unknown_unit",
				   "Không có đơn vị với mã này. Hãy kiểm tra lại mã đơn vị.");
			break;
		case TEMPLATE_NOT_MEMBER:
			http_error(rs, 403, "not_a_member",
				   "Đơn vị này không thuộc diện gửi loại báo cáo này nên không có "
				   "biểu mẫu. Nếu cần, hãy đề nghị quản trị viên bổ sung.");
			break;
		default:
			msg = pi.reason ? xasprintf("%s Đơn vị không cần tải biểu mẫu và không cần "
						    "gửi báo cáo cho kỳ này.", pi.reason)
					: xasprintf("Kỳ %s không có ngày làm việc nào nên không yêu "
						    "cầu báo cáo. Đơn vị không cần tải biểu mẫu.",
						    pi.id);
			http_error(rs, 409, "period_skipped", msg);
			free(msg);
		}
	} else if (tr != TEMPLATE_OK) {
		if (tr == TEMPLATE_DB) {
			api_db_failed(rs, cx->db, what, err);
		} else {
			log_error("api", "template %s: %s", what, err);
			free(err);
			api_internal_error(rs);
		}
	} else {
		rs->status = 200;
		rs->content_type = XLSX_MIME;
		strbuf_reset(&rs->body);
		strbuf_add(&rs->body, tf.data, tf.len);
		char *disp = disposition(&pi, unit, tf.unit_name);
		http_add_header(rs, "Content-Disposition", disp);
		free(disp);
		log_info("api", "template %s for %s: %zu tasks, %zu carried forward, %zu bytes",
			 what, who->login, tf.tasks, tf.carried, tf.len);
	}
	template_file_free(&tf);
	period_info_free(&pi);
	free(what);
}
