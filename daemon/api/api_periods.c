/* A period: GET .../periods/{period} (its dates, deadlines and state) and POST .../remind. */
#include "api.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "periods.h"
#include "remind.h"

#include <stdlib.h>

/* Answers with the period as JSON ("current" names the period open now). */
void api_period_get(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	const struct series_def *s = cx->series;
	PGconn *conn = cx->conn;
	const char *id = route_param(&rq->params, "period");
	struct period_info pi;
	char *err = NULL;
	enum periods_result rc = periods_lookup(conn, s, id, rq->received_at, &pi, &err);
	if (rc != PERIODS_OK) {
		char *what = xasprintf("period %s/%s", s->name, id);
		api_period_failed(rs, cx->db, what, rc, err);
		free(what);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	period_info_json(&j, &pi);
	period_info_free(&pi);
}

/* POST .../periods/{period}/remind: reminds now the units that have not reported. */
void api_period_remind(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
{
	PGconn *conn = cx->conn;
	struct period_info pi;
	if (!api_period_of(rq, rs, cx, "remind", &pi) ||
	    !api_period_remindable(rq, rs, &pi))
		return;
	const struct series_def *s = cx->series;
	const char *id = route_param(&rq->params, "period");
	char *err = NULL;
	int units = 0, messages = 0;
	int r = remind_now(conn, s, &pi, rq->received_at, &units, &messages, &err);
	period_info_free(&pi);
	if (r < 0) {
		api_db_failed(rs, cx->db, "remind", err);
		return;
	}
	log_info("remind", "%s reminded %s %s by hand: %d units missing, %d messages queued%s",
		 cx->who.login, s->name, id, units, messages,
		 r == 1 ? " (asked again within 10 minutes: nothing new)" : "");
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_bool(&j, "queued_now", r == 0);
	json_kv_int(&j, "units_missing", units);
	json_kv_int(&j, "messages", messages);
	json_kv_string(&j, "message", r == 1 ?
		       "Đã gửi thư nhắc trong 10 phút vừa qua; lần này không gửi thêm." :
		       messages > 0 ? "Đã xếp thư nhắc vào hàng gửi." :
		       "Không còn đơn vị nào chưa gửi báo cáo.");
	json_object_end(&j);
}