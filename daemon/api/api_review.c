/* The coordinator's work on a period: reviewing a unit's report (return it with a comment, or
 * accept it), the assessment with its history, and the approval that delivers the report. */
#include "api.h"
#include "accounts.h"
#include "audit.h"
#include "calendar.h"
#include "config.h"
#include "consol_versions.h"
#include "consolidation.h"
#include "db.h"
#include "db_json.h"
#include "json.h"
#include "json_parse.h"
#include "log.h"
#include "outbox_queue.h"
#include "utf8.h"
#include "submissions.h"
#include "units.h"
#include "util.h"
#include "xmltext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMENT_MAX 2000		/* characters of a review comment */
#define ASSESSMENT_MAX 20000		/* characters of an assessment (the schema's limit too) */
#define REVIEW_VERSION_MAX 100000	/* the largest version a review may name */

/* Whether text follows the text rule (xmltext.h) and has at most max characters. */
static bool text_ok(const char *s, size_t max)
{
	return xmltext_valid(s, strlen(s)) && utf8_length(s) <= max;
}

/* ---- review ---- */

/* Why a review found nothing to judge: no report at all (404), or a version other than the
 * one judged in force (409, a.version and a.current_at set). Returns 1, or -1 with *err. */
static int review_refused(PGconn *conn, struct api_review *a, char **err)
{
	PGresult *r = submissions_in_force(conn, a->pi->db_id, a->unit, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		a->status = 404;
		a->code = "no_submission";
		a->message = "Đơn vị chưa gửi báo cáo kỳ này nên chưa có gì để trả lại hay chấp nhận.";
		return 1;
	}
	a->version = atoi(PQgetvalue(r, 0, 0));
	snprintf(a->current_at, sizeof a->current_at, "%s", PQgetvalue(r, 0, 1));
	char when[80];
	if (cal_format_vi_long((time_t)atoll(PQgetvalue(r, 0, 2)), when, sizeof when) != 0)
		snprintf(when, sizeof when, "%s", a->current_at);
	PQclear(r);
	a->status = 409;
	a->code = "version_changed";
	a->changed = a->judged < a->version ?
		xasprintf("Đơn vị vừa gửi phiên bản %d (lúc %s); bạn đang đánh giá phiên bản %d. "
			  "Hãy xem lại báo cáo mới trước khi đánh giá.", a->version, when,
			  a->judged) :
		xasprintf("Không có phiên bản %d; báo cáo đang dùng của đơn vị là phiên bản %d "
			  "(nhận lúc %s). Hãy xem lại báo cáo đó trước khi đánh giá.", a->judged,
			  a->version, when);
	a->message = a->changed;
	return 1;
}

static int review_tx(PGconn *conn, void *arg, char **err)
{
	struct api_review *a = arg;
	const struct http_request *rq = a->rq;
	const struct api_ctx *cx = a->cx;
	/* Only the version judged, and only while it is in force: an upload in between takes
	 * the row's lock and supersedes it, and this finds nothing. */
	struct submission_review rv = { a->pi->db_id, a->unit, a->returned, a->comment,
					cx->who.account_id, rq->received_at, a->judged };
	PGresult *r = submissions_review(conn, &rv, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return review_refused(conn, a, err);
	}
	a->submission = atoll(PQgetvalue(r, 0, 0));
	a->version = atoi(PQgetvalue(r, 0, 1));
	char *unit_name = xstrdup(PQgetvalue(r, 0, 2));
	PQclear(r);
	char sub[24];
	snprintf(sub, sizeof sub, "%lld", a->submission);
	char *detail = xasprintf("{\"series\":\"%s\",\"period\":\"%s\",\"unit\":\"%s\","
				 "\"version\":%d}", cx->series->name, a->pi->id, a->unit,
				 a->version);
	struct audit_entry au = { cx->who.account_id, cx->who.login,
				  a->returned ? "review_return" : "review_accept", "submission", sub,
				  detail, rq->remote_addr };
	int rc = audit_write(conn, &au, err);
	free(detail);
	if (rc != 0 || !a->returned) {
		free(unit_name);
		return rc;
	}
	/* The unit is told, at every address reminders reach, with the comment. */
	char title[160];
	if (period_title_vi(&a->pi->period, title, sizeof title) != 0)
		snprintf(title, sizeof title, "Kỳ %s", a->pi->id);
	char *subject = xasprintf("Báo cáo cần bổ sung: %s, %s", cx->series->title, title);
	char *body = xasprintf(
		"Kính gửi %s,\n\nBáo cáo %s (lần gửi thứ %d) của đơn vị đã được điều phối viên trả "
		"lại để bổ sung, với nhận xét:\n\n%s\n\nĐơn vị sửa báo cáo rồi gửi lại qua hệ thống "
		"(%s); lần gửi mới sẽ thay thế bản này.\n\nHệ thống baocao\n", unit_name, title,
		a->version, a->comment, config_current()->public_url);
	free(unit_name);
	struct outbox_message m = {
		.key = { .kind = OUTBOX_REVIEW_RETURN, .series = cx->series->name,
			 .period = a->pi->id, .unit = a->unit, .submission = a->submission },
		.subject = subject, .body = body, .queued_at = rq->received_at,
	};
	a->mails = 0;
	rc = outbox_queue_to_unit(conn, &m, &a->mails, err);
	free(subject);
	free(body);
	return rc;
}

/* Runs one unit's review in its own transaction (review_tx). */
int api_review_unit(struct api_review *a, char **err)
{
	return db_tx(a->cx->conn, review_tx, a, err);
}

/* Writes the error object of a refused review: code and message, and for version_changed the
 * version in force, when it came and the version judged. */
void api_review_error_json(struct json *j, const struct api_review *a)
{
	json_object_begin(j);
	json_kv_string(j, "code", a->code);
	json_kv_string(j, "message", a->message);
	if (a->status == 409) {
		json_kv_int(j, "current_version", a->version);
		json_kv_string(j, "current_received_at", a->current_at);
		json_kv_int(j, "judged_version", a->judged);
	}
	json_object_end(j);
}

/* Writes the 409 of a review whose version is no longer the one in force. */
static void review_changed_error(struct http_response *rs, const struct api_review *a)
{
	http_json(rs, 409);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_key(&j, "error");
	api_review_error_json(&j, a);
	json_object_end(&j);
}

/* The version a review names: a whole number from 1, or 0 when absent or not one. */
int api_review_version(const struct jv *doc)
{
	const struct jv *v = jv_get(doc, "version");
	if (v == NULL || v->type != JV_NUMBER || !v->integral || v->number < 1 ||
	    v->number > REVIEW_VERSION_MAX)
		return 0;
	return (int)v->number;
}

/* PUT .../review?unit=CODE {"version":N,"decision":"returned"|"accepted","comment":"..."}:
 * N is the version judged, which must still be the one in force. */
void api_review_put(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	char *err = NULL;
	struct jv *doc = jv_parse((const char *)rq->body, rq->body_len, &err);
	free(err);
	err = NULL;
	if (api_text_refused(rs, doc)) {
		jv_free(doc);
		return;
	}
	const char *decision = jv_get_string(doc, "decision");
	const char *comment = jv_get_string(doc, "comment");
	bool returned = decision && strcmp(decision, "returned") == 0;
	bool accepted = decision && strcmp(decision, "accepted") == 0;
	if (doc == NULL || (!returned && !accepted)) {
		jv_free(doc);
		http_error(rs, 400, "bad_review", "Hãy gửi {\"version\":N,\"decision\":\"returned\","
			   "\"comment\":\"...\"} để trả lại báo cáo, hoặc {\"version\":N,"
			   "\"decision\":\"accepted\"} để chấp nhận; N là phiên bản báo cáo bạn "
			   "đã xem.");
		return;
	}
	int judged = api_review_version(doc);
	if (judged == 0) {
		jv_free(doc);
		http_error(rs, 400, "version_required", "Hãy ghi kèm \"version\": số phiên bản báo "
			   "cáo bạn đã xem và đánh giá (trường receipt.version của GET "
			   ".../submission), để đánh giá không rơi vào một phiên bản khác.");
		return;
	}
	char *text = comment ? str_trim(xstrdup(comment)) : xstrdup("");
	if (returned && (text[0] == '\0' || !text_ok(text, COMMENT_MAX))) {
		free(text);
		jv_free(doc);
		http_error(rs, 422, "bad_comment", "Khi trả lại báo cáo, hãy ghi nhận xét cho đơn vị "
			   "biết cần bổ sung gì (tối đa 2000 ký tự).");
		return;
	}
	jv_free(doc);
	struct period_info pi;
	if (!api_stored_period_of(rq, rs, cx, "review", &pi)) {
		free(text);
		return;
	}
	struct api_review a = { .rq = rq, .cx = cx, .pi = &pi, .unit = cx->unit,
				.returned = returned, .comment = text, .judged = judged };
	int rc = api_review_unit(&a, &err);
	period_info_free(&pi);
	free(text);
	if (rc == 1 && a.status == 409) {
		log_info("review", "%s judged version %d of %s for %s %s, but version %d is in "
			 "force: nothing changed", cx->who.login, judged, cx->unit,
			 cx->series->name, route_param(&rq->params, "period"), a.version);
		review_changed_error(rs, &a);
		free(a.changed);
		return;
	}
	free(a.changed);
	if (rc == 1) {
		http_error(rs, a.status, a.code, a.message);
		return;
	}
	if (rc != 0) {
		api_db_failed(rs, cx->db, "review", err);
		return;
	}
	log_info("review", "%s %s the report of %s for %s %s (version %d)", cx->who.login,
		 returned ? "returned" : "accepted", cx->unit, cx->series->name,
		 route_param(&rq->params, "period"), a.version);
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "unit", cx->unit);
	json_kv_int(&j, "version", a.version);
	json_kv_string(&j, "review", returned ? "returned" : "accepted");
	json_kv_int(&j, "messages", a.mails);
	json_kv_string(&j, "message", returned ?
		       "Đã trả lại báo cáo; đơn vị được báo qua thư điện tử kèm nhận xét." :
		       "Đã chấp nhận báo cáo.");
	json_object_end(&j);
}

/* ---- assessment ---- */

/* PUT .../assessment {"text":"..."}: a new version of the assessment. */
void api_assessment_put(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	char *err = NULL;
	struct jv *doc = jv_parse((const char *)rq->body, rq->body_len, &err);
	free(err);
	err = NULL;
	if (api_text_refused(rs, doc)) {
		jv_free(doc);
		return;
	}
	const char *text = jv_get_string(doc, "text");
	if (doc == NULL || text == NULL || !text_ok(text, ASSESSMENT_MAX)) {
		jv_free(doc);
		http_error(rs, 400, "bad_assessment", "Hãy gửi {\"text\":\"...\"}: nội dung đánh giá, "
			   "tối đa 20000 ký tự.");
		return;
	}
	PGconn *conn = cx->conn;
	struct period_info pi;
	if (!api_stored_period_of(rq, rs, cx, "review", &pi)) {
		jv_free(doc);
		return;
	}
	long long id = consol_assessment_add(conn, pi.db_id, text, cx->who.account_id,
					     rq->received_at, &err);
	jv_free(doc);
	period_info_free(&pi);
	if (id < 0) {
		api_db_failed(rs, cx->db, "assessment", err);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_int(&j, "id", id);
	json_kv_string(&j, "message", "Đã lưu đánh giá; bản phê duyệt sẽ dùng nội dung này.");
	json_object_end(&j);
}

/* GET .../assessment: the assessment in force and its earlier versions, newest first. */
void api_assessment_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	PGconn *conn = cx->conn;
	struct period_info pi;
	if (!api_stored_period_of(rq, rs, cx, "review", &pi))
		return;
	long long period_id = pi.db_id;
	period_info_free(&pi);
	char *err = NULL;
	PGresult *r = consol_assessments(conn, period_id, &err);
	if (r == NULL) {
		api_db_failed(rs, cx->db, "assessment", err);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_key(&j, "text");
	if (PQntuples(r) == 0)
		json_string(&j, "");
	else
		json_string(&j, PQgetvalue(r, 0, 1));
	static const struct db_json_col cols[] = {
		{ "id", DBJ_INT }, { "text", DBJ_TEXT }, { "by", DBJ_TEXT }, { "at", DBJ_TEXT },
	};
	json_key(&j, "history");
	db_json_rows(&j, r, cols, nitems(cols));
	json_object_end(&j);
	PQclear(r);
}

/* ---- approval ---- */

/* POST .../approve: freezes a final version and queues its delivery. */
void api_approve_post(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	PGconn *conn = cx->conn;
	struct period_info pi;
	if (!api_stored_period_of(rq, rs, cx, "review", &pi))
		return;
	char *err = NULL;
	char *name = NULL;
	if (accounts_display_name(conn, cx->who.login, &name, &err) != 0) {
		period_info_free(&pi);
		api_db_failed(rs, cx->db, "approve", err);
		return;
	}
	struct consolidation_approver who = { cx->who.account_id, cx->who.login, name,
					      rq->remote_addr };
	struct consolidation_file f;
	int queued = 0;
	enum consolidation_result rc = consolidation_finalize(conn, &pi, rq->received_at, &who, &f,
							      &queued, &err);
	free(name);
	period_info_free(&pi);
	if (rc == CONSOLIDATION_REFUSED || rc == CONSOLIDATION_UNCHANGED ||
	    rc == CONSOLIDATION_NO_DOCUMENT) {
		http_error(rs, 409, rc == CONSOLIDATION_REFUSED ? "not_yet" :
			   rc == CONSOLIDATION_NO_DOCUMENT ? "document_missing" : "nothing_changed",
			   err);
		free(err);
		return;
	}
	if (rc == CONSOLIDATION_INVALID) {
		api_workbook_invalid(rs, "approve", err);
		return;
	}
	if (rc != CONSOLIDATION_OK) {
		api_db_failed(rs, cx->db, "approve", err);
		return;
	}
	log_info("approve", "%s approved %s %s: final version %d (sha256 %s), %d deliveries "
		 "queued", cx->who.login, cx->series->name, route_param(&rq->params, "period"),
		 f.version, f.sha256, queued);
	http_json(rs, 201);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_int(&j, "version", f.version);
	json_kv_bool(&j, "correction", f.version > 1);
	json_kv_string(&j, "sha256", f.sha256);
	json_kv_string(&j, "filename", f.filename);
	json_kv_int(&j, "deliveries", queued);
	json_kv_string(&j, "message", f.version > 1 ?
		       "Đã phê duyệt bản bổ sung và xếp vào hàng gửi cho đơn vị nhận." :
		       "Đã phê duyệt và xếp báo cáo vào hàng gửi cho đơn vị nhận.");
	json_object_end(&j);
	consolidation_file_free(&f);
}
