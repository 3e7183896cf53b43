/* GET .../periods/{period}/timeline?unit=CODE: everything about a unit's report in a period,
 * oldest first (the coordinator, the recipient, the reporter for its own unit). */
#include "api.h"
#include "db.h"
#include "json.h"
#include "timeline.h"

#include <string.h>

/* Answers the unit's timeline in the period (the gate has judged who may ask for which unit). */
void api_timeline_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	struct period_info pi;
	if (!api_stored_period_of(rq, rs, cx, "timeline", &pi))
		return;
	/* The recipient reads what happened, not the unit's addresses. */
	struct timeline_query q = { pi.db_id, cx->series->name, pi.id, cx->unit,
				    rq->received_at, TIMELINE_MAX,
				    cx->who.role != ROLE_RECIPIENT };
	char *err = NULL;
	PGresult *r = timeline_unit(cx->conn, &q, &err);
	if (r == NULL) {
		period_info_free(&pi);
		api_db_failed(rs, cx->db, "timeline", err);
		return;
	}
	if (PQgetisnull(r, 0, 2)) {
		PQclear(r);
		period_info_free(&pi);
		http_error(rs, 404, "unknown_unit", "Không có đơn vị với mã này. Hãy kiểm tra lại "
			   "mã đơn vị.");
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "series", cx->series->name);
	json_kv_string(&j, "period", pi.id);
	json_kv_string(&j, "unit", cx->unit);
	json_kv_string(&j, "name", PQgetvalue(r, 0, 2));
	json_kv_bool(&j, "member", strcmp(PQgetvalue(r, 0, 3), "t") == 0);
	json_kv_int(&j, "limit", TIMELINE_MAX);
	json_kv_bool(&j, "truncated", strcmp(PQgetvalue(r, 0, 1), "t") == 0);
	json_key(&j, "events");
	json_raw(&j, PQgetvalue(r, 0, 0));
	json_object_end(&j);
	PQclear(r);
	period_info_free(&pi);
}
