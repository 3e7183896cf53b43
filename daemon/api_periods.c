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
	const struct config *cfg = config_current();
	const char *name = route_param(&rq->params, "series");
	const char *id = route_param(&rq->params, "period");
	const struct series_def *s = series_find(&cfg->series, name);
	if (s == NULL) {
		http_error(rs, 404, "unknown_series",
			   "Không có loại báo cáo này. Hãy kiểm tra lại tên loại báo cáo trong "
			   "đường dẫn.");
		return;
	}
	PGconn *conn = db_conn(db);
	if (conn == NULL) {
		api_db_unavailable(rs);
		return;
	}
	struct period_info pi;
	char *err = NULL;
	enum periods_result rc = periods_lookup(conn, s, id, clock_now(), &pi, &err);
	switch (rc) {
	case PERIODS_OK:
		break;
	case PERIODS_BAD_REQUEST:
		log_info("api", "period %s/%s: %s", name, id, err);
		http_error(rs, 400, "invalid_period",
			   "Mã kỳ báo cáo không hợp lệ. Hãy dùng dạng 2026-W47 (tuần), 2026-11 "
			   "(tháng), 2026-Q4 (quý), 2026-H2 (6 tháng), 2026 (năm) hoặc current.");
		free(err);
		return;
	case PERIODS_UNSYNCED:
		log_warn("api", "period %s/%s: %s", name, id, err);
		free(err);
		http_error(rs, 503, "series_not_ready",
			   "Loại báo cáo này chưa được nạp vào cơ sở dữ liệu. Quản trị viên cần "
			   "chạy lệnh baocaoctl series sync.");
		return;
	case PERIODS_NOT_FOUND:
		free(err);
		http_error(rs, 404, "unknown_period",
			   "Kỳ báo cáo này chưa được tạo. Điều phối viên cần ấn định hạn nộp cho kỳ "
			   "báo cáo đột xuất trước.");
		return;
	default:
		db_check_failure(db, NULL);
		log_error("api", "period %s/%s: %s", name, id, err);
		free(err);
		if (db_connection_lost(db))
			api_db_unavailable(rs);
		else
			api_internal_error(rs);
		return;
	}
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	period_info_json(&j, &pi);
	period_info_free(&pi);
}
