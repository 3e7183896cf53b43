/* A unit's extension for a period: the coordinator grants it (PUT .../extension?unit=CODE) or
 * takes it back (DELETE), audited, and the unit is told by mail through the outbox. */
#include "api.h"
#include "audit.h"
#include "calendar.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "extensions.h"
#include "json.h"
#include "json_parse.h"
#include "log.h"
#include "outbox_queue.h"
#include "units.h"
#include "utf8.h"
#include "util.h"
#include "xmltext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The latest extension: so many days after the period's units' deadline (a report long after
 * that is late, whatever the reason). */
#define EXTENSION_MAX_DAYS 60

/* What one grant or revocation works with, for its transaction. */
struct extension_args {
	const struct http_request *rq;
	const struct api_ctx *cx;
	const struct period_info *pi;
	bool grant;
	time_t until;
	const char *reason;
	struct extension before;	/* revoke: the extension taken back */
	int refused;			/* 1: not a unit of the period / no extension */
	int mails;
};

/* The audit entry's detail: the series, period, unit, the extension, and when it was granted
 * or taken back by the daemon's clock ("at": the log's own time is PostgreSQL's, which a test
 * clock does not move; the unit's timeline orders by this one) (new string). */
static char *audit_detail(const struct extension_args *a, time_t until, const char *reason)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	char when[40], at[40];
	json_init(&j, &sb);
	json_object_begin(&j);
	json_kv_string(&j, "series", a->cx->series->name);
	json_kv_string(&j, "period", a->pi->id);
	json_kv_string(&j, "unit", a->cx->unit);
	if (cal_format_rfc3339(until, when, sizeof when) != 0)
		when[0] = '\0';
	json_kv_string(&j, "until", when);
	if (cal_format_rfc3339(a->rq->received_at, at, sizeof at) == 0)
		json_kv_string(&j, "at", at);
	json_kv_string(&j, "reason", reason ? reason : "");
	json_object_end(&j);
	return strbuf_detach(&sb);
}

/* Queues the mail telling the unit, at every address its reminders reach. */
static int extension_mail(PGconn *conn, struct extension_args *a, char **err)
{
	const struct api_ctx *cx = a->cx;
	char title[160], until[96], deadline[96];
	if (period_title_vi(&a->pi->period, title, sizeof title) != 0)
		snprintf(title, sizeof title, "Kỳ %s", a->pi->id);
	time_t until_t = a->grant ? a->until : a->before.until;
	const char *reason = a->grant ? a->reason : a->before.reason;
	if (cal_format_vi_long(until_t, until, sizeof until) != 0 ||
	    cal_format_vi_long(a->pi->unit_deadline, deadline, sizeof deadline) != 0) {
		*err = xstrdup("extension: the times are outside the calendar's range");
		return -1;
	}
	char *name = units_name(conn, cx->unit);
	const char *unit_name = name ? name : cx->unit;
	char *subject, *body;
	if (a->grant) {
		subject = xasprintf("Gia hạn gửi báo cáo: %s, %s", cx->series->title, title);
		body = xasprintf(
			"Kính gửi %s,\n\nĐiều phối viên đã gia hạn cho đơn vị gửi báo cáo %s (%s).\n"
			"Hạn gửi mới của đơn vị: %s.\nHạn chung của kỳ: %s.\nLý do gia hạn: %s\n\n"
			"Báo cáo gửi đến hết hạn mới được tính đúng hạn. Đơn vị gửi báo cáo qua hệ "
			"thống (%s) như thường lệ.\n\nHệ thống baocao\n", unit_name, title,
			cx->series->title, until, deadline, reason, config_current()->public_url);
	} else {
		subject = xasprintf("Thu hồi gia hạn gửi báo cáo: %s, %s", cx->series->title,
				    title);
		body = xasprintf(
			"Kính gửi %s,\n\nĐiều phối viên đã thu hồi việc gia hạn gửi báo cáo %s (%s) "
			"đến %s (lý do gia hạn: %s).\nHạn gửi của đơn vị trở lại là hạn chung của "
			"kỳ: %s; báo cáo gửi sau hạn này được ghi nhận là gửi muộn.\n\n"
			"Hệ thống baocao\n", unit_name, title, cx->series->title, until, reason,
			deadline);
	}
	free(name);
	struct outbox_message m = {
		.key = { .kind = OUTBOX_EXTENSION, .series = cx->series->name, .period = a->pi->id,
			 .unit = cx->unit, .round = a->grant ? "grant" : "revoke",
			 .asked_at = a->rq->received_at },
		.subject = subject, .body = body, .queued_at = a->rq->received_at,
	};
	int rc = outbox_queue_to_unit(conn, &m, &a->mails, err);
	free(subject);
	free(body);
	return rc;
}

/* The transaction: the row, its audit entry, the mail. 0, 1 when refused, -1 with *err. */
static int extension_tx(PGconn *conn, void *arg, char **err)
{
	struct extension_args *a = arg;
	const struct api_ctx *cx = a->cx;
	struct extension_change c = { a->pi->db_id, cx->unit, a->until, a->reason,
				      cx->who.account_id, a->rq->received_at };
	int rc;
	if (a->grant) {
		rc = extension_grant(conn, &c, err);
	} else {
		rc = extension_get(conn, a->pi->db_id, cx->unit, &a->before, err);
		if (rc == 0 && !a->before.present)
			rc = 1;
		if (rc == 0)
			rc = extension_revoke(conn, &c, err);
	}
	if (rc != 0) {
		a->refused = rc == 1;
		return rc;
	}
	char *detail = a->grant ? audit_detail(a, a->until, a->reason) :
				  audit_detail(a, a->before.until, a->before.reason);
	char id[64];
	snprintf(id, sizeof id, "%lld:%s", a->pi->db_id, cx->unit);
	struct audit_entry au = { cx->who.account_id, cx->who.login,
				  a->grant ? "extension_grant" : "extension_revoke", "extension",
				  id, detail, a->rq->remote_addr };
	rc = audit_write(conn, &au, err);
	free(detail);
	if (rc != 0)
		return -1;
	return extension_mail(conn, a, err);
}

/* The period of the request, stored and not skipped, and the unit named (never the caller's
 * own by default); false after answering. */
static bool extension_period(struct http_request *rq, struct http_response *rs,
			     const struct api_ctx *cx, struct period_info *pi)
{
	char *unit = http_query_param(rq, "unit");
	bool named = unit != NULL && unit[0] != '\0';
	free(unit);
	if (!named) {
		http_error(rs, 400, "unit_required", "Hãy ghi mã đơn vị được gia hạn: "
			   ".../extension?unit=MÃ_ĐƠN_VỊ.");
		return false;
	}
	if (!api_stored_period_of(rq, rs, cx, "extension", pi))
		return false;
	if (pi->skipped) {
		period_info_free(pi);
		http_error(rs, 409, "period_skipped", "Kỳ này không yêu cầu báo cáo (không có ngày "
			   "làm việc) nên không có hạn để gia hạn.");
		return false;
	}
	return true;
}

/* Answers a grant or revocation done: the unit, its extension now (read back, as GET
 * .../submission shows it), the mails queued. */
static void extension_answer(struct http_response *rs, const struct extension_args *a)
{
	struct extension now = { 0 };
	char *err = NULL;
	if (a->grant && extension_get(a->cx->conn, a->pi->db_id, a->cx->unit, &now, &err) != 0) {
		api_db_failed(rs, a->cx->db, "extension", err);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "unit", a->cx->unit);
	json_key(&j, "extension");
	extension_json(&j, &now);
	json_kv_int(&j, "messages", a->mails);
	/* [grant][mailed]: what was done, and whether a mail tells the unit */
	static const char *const said[2][2] = {
		{ "Đã thu hồi gia hạn. Đơn vị chưa có địa chỉ thư điện tử nào để báo: hãy báo cho "
		  "đơn vị bằng cách khác.",
		  "Đã thu hồi gia hạn; đơn vị được báo qua thư điện tử." },
		{ "Đã gia hạn. Đơn vị chưa có địa chỉ thư điện tử nào để báo: hãy báo cho đơn vị "
		  "bằng cách khác.",
		  "Đã gia hạn; đơn vị được báo qua thư điện tử kèm hạn mới và lý do." },
	};
	json_kv_string(&j, "message", said[a->grant][a->mails > 0]);
	json_object_end(&j);
	extension_free(&now);
}

/* Runs the transaction and answers. */
static void extension_run(struct http_response *rs, struct extension_args *a)
{
	char *err = NULL;
	int rc = db_tx(a->cx->conn, extension_tx, a, &err);
	if (rc == 1 || (rc != 0 && a->refused)) {
		free(err);
		if (a->grant)
			http_error(rs, 404, "not_a_member", "Đơn vị này không thuộc diện phải báo "
				   "cáo kỳ này nên không gia hạn được.");
		else
			http_error(rs, 404, "no_extension", "Đơn vị không được gia hạn kỳ này nên "
				   "không có gì để thu hồi.");
		return;
	}
	if (rc != 0) {
		api_db_failed(rs, a->cx->db, "extension", err);
		return;
	}
	log_info("extension", "%s %s the extension of %s for %s %s", a->cx->who.login,
		 a->grant ? "granted" : "took back", a->cx->unit, a->cx->series->name, a->pi->id);
	extension_answer(rs, a);
}

/* PUT .../extension?unit=CODE {"until": RFC 3339, "reason": "..."}: grants (or replaces) the
 * unit's extension; until must be after the period's deadline. */
void api_extension_put(struct http_request *rq, struct http_response *rs,
		       const struct api_ctx *cx)
{
	char *err = NULL;
	struct jv *doc = jv_parse((const char *)rq->body, rq->body_len, &err);
	free(err);
	if (api_text_refused(rs, doc)) {
		jv_free(doc);
		return;
	}
	const char *until_s = jv_get_string(doc, "until");
	const char *reason_s = jv_get_string(doc, "reason");
	time_t until = 0;
	if (doc == NULL || until_s == NULL || clock_parse_rfc3339(until_s, &until) != 0) {
		jv_free(doc);
		http_error(rs, 400, "bad_extension", "Hãy gửi {\"until\":\"2026-12-14T17:00:00+07:00\","
			   "\"reason\":\"...\"}: hạn mới của đơn vị (RFC 3339) và lý do gia hạn.");
		return;
	}
	char *reason = reason_s ? str_trim(xstrdup(reason_s)) : xstrdup("");
	jv_free(doc);
	if (reason[0] == '\0' || !xmltext_valid(reason, strlen(reason)) ||
	    utf8_length(reason) > EXTENSION_REASON_MAX) {
		free(reason);
		http_error(rs, 422, "bad_reason", "Hãy ghi lý do gia hạn để đơn vị biết (bắt buộc, "
			   "tối đa 500 ký tự).");
		return;
	}
	struct period_info pi;
	if (!extension_period(rq, rs, cx, &pi)) {
		free(reason);
		return;
	}
	if (until <= pi.unit_deadline) {
		char deadline[96];
		if (cal_format_vi_long(pi.unit_deadline, deadline, sizeof deadline) != 0)
			snprintf(deadline, sizeof deadline, "%s", "hạn chung");
		char *msg = xasprintf("Hạn mới phải sau hạn chung của kỳ (%s).", deadline);
		http_error(rs, 422, "until_not_after_deadline", msg);
		free(msg);
		free(reason);
		period_info_free(&pi);
		return;
	}
	if (until <= rq->received_at) {
		http_error(rs, 422, "until_passed", "Hạn mới đã qua; hãy chọn một thời điểm sắp tới.");
		free(reason);
		period_info_free(&pi);
		return;
	}
	if (until > pi.unit_deadline + EXTENSION_MAX_DAYS * 86400) {
		char *msg = xasprintf("Chỉ gia hạn được tối đa %d ngày sau hạn chung của kỳ; hãy "
				      "chọn thời điểm sớm hơn.", EXTENSION_MAX_DAYS);
		http_error(rs, 422, "until_too_late", msg);
		free(msg);
		free(reason);
		period_info_free(&pi);
		return;
	}
	struct extension_args a = { .rq = rq, .cx = cx, .pi = &pi, .grant = true, .until = until,
				    .reason = reason };
	extension_run(rs, &a);
	free(reason);
	period_info_free(&pi);
}

/* DELETE .../extension?unit=CODE: takes the unit's extension back. */
void api_extension_delete(struct http_request *rq, struct http_response *rs,
			  const struct api_ctx *cx)
{
	struct period_info pi;
	if (!extension_period(rq, rs, cx, &pi))
		return;
	struct extension_args a = { .rq = rq, .cx = cx, .pi = &pi, .grant = false };
	extension_run(rs, &a);
	extension_free(&a.before);
	period_info_free(&pi);
}
