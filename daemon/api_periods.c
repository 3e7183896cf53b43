/* GET /api/v1/series/{series}/periods/{period}: a period's dates, deadlines and state. */
#include "api.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "periods.h"

#include <stdlib.h>

/* Answers with the period as JSON ("current" names the period open now). */
void api_period_get(struct http_request *rq, struct http_response *rs, struct db *db)
{
	const struct series_def *s = api_series(rq, rs);
	if (s == NULL)
		return;
	PGconn *conn = db_conn(db);
	if (conn == NULL) {
		api_db_unavailable(rs);
		return;
	}
	const char *id = route_param(&rq->params, "period");
	struct period_info pi;
	char *err = NULL;
	enum periods_result rc = periods_lookup(conn, s, id, rq->received_at, &pi, &err);
	if (rc != PERIODS_OK) {
		char *what = xasprintf("period %s/%s", s->name, id);
		api_period_failed(rs, db, what, rc, err);
		free(what);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	period_info_json(&j, &pi);
	period_info_free(&pi);
}
