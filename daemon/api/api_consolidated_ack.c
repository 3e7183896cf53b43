/* The recipients' acknowledgement of a delivered consolidated version (POST
 * .../consolidated/ack?n=N), and the consolidating unit's own timeliness as the versions list
 * and the timeliness table show it. */
#include "api.h"
#include "consol_ack.h"
#include "db.h"
#include "db_json.h"
#include "json.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What ?n= means, for a request that gets it wrong. */
#define BAD_VERSION "Hãy ghi số thứ tự của bản đã nhận (n=1 là bản chính thức, n=2 là bản " \
	"bổ sung lần 1, ...)."

/* Writes "acknowledged_at" ... of an acknowledgement as the answer's members. */
static void ack_members(struct json *j, const struct consol_ack_info *a)
{
	json_kv_string(j, "acknowledged_at", a->acknowledged_at);
	json_kv_string(j, "acknowledged_by", a->acknowledged_by);
	json_kv_string(j, "acknowledged_unit", a->unit);
}

/* POST .../consolidated/ack?n=N: a recipient marks delivered version N received ("Đã tiếp
 * nhận"); once: a second time answers the first acknowledgement, unchanged. */
void api_consolidated_ack(struct http_request *rq, struct http_response *rs,
			  const struct api_ctx *cx)
{
	int version = api_version_param(rq, rs, BAD_VERSION);
	if (version == 0)
		return;
	struct period_info pi;
	if (!api_stored_period_of(rq, rs, cx, "acknowledgement", &pi))
		return;
	struct consol_acker who = { cx->who.account_id, cx->who.login, rq->remote_addr };
	struct consol_ack_info a;
	char *err = NULL;
	enum consol_ack_result rc = consol_ack(cx->conn, &pi, version, &who, rq->received_at, &a,
					       &err);
	if (rc == CONSOL_ACK_FAILED) {
		period_info_free(&pi);
		api_db_failed(rs, cx->db, "acknowledgement", err);
		return;
	}
	if (rc == CONSOL_ACK_NOT_DELIVERED) {
		char *msg = a.delivered == 0 ?
			xasprintf("Kỳ %s chưa có bản báo cáo tổng hợp nào được gửi đến đơn vị nhận, "
				  "nên chưa có gì để xác nhận đã tiếp nhận. Hãy xác nhận sau khi nhận được "
				  "bản tổng hợp.", pi.id) :
			xasprintf("Bản số %d của kỳ %s chưa được gửi đến đơn vị nhận nên không xác nhận "
				  "được. Bản mới nhất đã gửi là bản số %d.", version, pi.id,
				  a.delivered);
		http_error(rs, 409, "not_delivered", msg);
		free(msg);
		period_info_free(&pi);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "series", cx->series->name);
	json_kv_string(&j, "period", pi.id);
	json_kv_int(&j, "version", version);
	ack_members(&j, &a);
	json_kv_bool(&j, "already", rc == CONSOL_ACK_BEFORE);
	char *msg = rc == CONSOL_ACK_BEFORE ?
		xasprintf("Bản số %d đã được xác nhận tiếp nhận trước đó (%s, %s); không ghi lại "
			  "lần nữa.", version, a.acknowledged_by, a.unit) :
		xasprintf("Đã xác nhận tiếp nhận bản số %d. Đơn vị tổng hợp sẽ thấy xác nhận này.",
			  version);
	json_kv_string(&j, "message", msg);
	free(msg);
	json_object_end(&j);
	consol_ack_info_free(&a);
	period_info_free(&pi);
}

/* Writes "delivery": the consolidating unit's delivery of the period (unit, deadline, when the
 * first final version was delivered, on time or not), or null when it cannot be read (logged). */
void api_consolidated_delivery(struct json *j, const struct api_ctx *cx, long long period_id)
{
	char *err = NULL;
	PGresult *r = consol_delivery_state(cx->conn, period_id, &err);
	json_key(j, "delivery");
	if (r == NULL || PQntuples(r) != 1) {
		log_error("consolidated versions", "the consolidator's delivery: %s",
			  err ? err : "period not found");
		free(err);
		PQclear(r);
		json_null(j);
		return;
	}
	static const struct db_json_col cols[] = {
		{ "unit", DBJ_TEXT }, { "name", DBJ_TEXT }, { "deadline", DBJ_TEXT },
		{ "delivered_at", DBJ_TEXT_NULL }, { "on_time", DBJ_BOOL_NULL },
	};
	json_object_begin(j);
	db_json_members(j, r, 0, cols, nitems(cols));
	json_object_end(j);
	PQclear(r);
}

/* Writes "consolidator": the consolidating unit's line of the timeliness table (its state in
 * each period of periods, whose keys are column 0 of pr, and its counts), or null when it
 * cannot be read (logged). */
void api_timeliness_consolidator(struct json *j, const struct api_ctx *cx, PGresult *pr,
				 time_t now, int count)
{
	char *err = NULL;
	PGresult *r = consol_punctuality(cx->conn, cx->series->name, now, count, &err);
	json_key(j, "consolidator");
	if (r == NULL) {
		log_error("timeliness", "the consolidator's line: %s", err);
		free(err);
		json_null(j);
		return;
	}
	int on_time = 0, late = 0, missing = 0, n = PQntuples(r);
	json_object_begin(j);
	json_kv_string(j, "unit", cx->series->consolidator ? cx->series->consolidator : "");
	json_kv_string(j, "name", n > 0 ? PQgetvalue(r, 0, 3) : "");
	json_key(j, "states");
	json_array_begin(j);
	for (int k = 0; k < PQntuples(pr); k++) {
		const char *st = NULL;
		for (int i = 0; i < n && st == NULL; i++)
			if (strcmp(PQgetvalue(r, i, 0), PQgetvalue(pr, k, 0)) == 0 &&
			    !PQgetisnull(r, i, 1))
				st = PQgetvalue(r, i, 1);
		if (st == NULL) {
			json_null(j);
			continue;
		}
		on_time += st[0] == 'o';
		late += st[0] == 'l';
		missing += st[0] == 'm';
		json_string(j, st);
	}
	json_array_end(j);
	json_key(j, "delivered_at");
	json_array_begin(j);
	for (int k = 0; k < PQntuples(pr); k++) {
		const char *at = NULL;
		for (int i = 0; i < n && at == NULL; i++)
			if (strcmp(PQgetvalue(r, i, 0), PQgetvalue(pr, k, 0)) == 0 &&
			    !PQgetisnull(r, i, 2))
				at = PQgetvalue(r, i, 2);
		if (at == NULL)
			json_null(j);
		else
			json_string(j, at);
	}
	json_array_end(j);
	json_kv_int(j, "on_time", on_time);
	json_kv_int(j, "late", late);
	json_kv_int(j, "missing", missing);
	int asked = on_time + late + missing;
	json_key(j, "rate");
	if (asked == 0)
		json_null(j);
	else
		json_double(j, (double)((on_time * 1000 + asked / 2) / asked) / 10.0);
	json_object_end(j);
	PQclear(r);
}
