/* PUT /api/v1/testing/clock: an administrator moves the daemon's clock, on test installations. */
#include "api.h"
#include "calendar.h"
#include "clock.h"
#include "config.h"
#include "housekeeping.h"
#include "json.h"
#include "json_parse.h"
#include "log.h"
#include "scheduler.h"

#include <stdlib.h>
#include <string.h>

/* Sets the clock to {"now": "2026-12-10T14:59:50+07:00"}; it runs on from there. */
void api_testing_clock_put(struct http_request *rq, struct http_response *rs,
			   const struct api_ctx *cx)
{
	if (!config_current()->clock_control) {
		http_error(rs, 404, "clock_control_off",
			   "Đồng hồ thử nghiệm chưa được bật. Quản trị viên bật nó bằng [testing] "
			   "clock_control = true, chỉ trên máy thử nghiệm.");
		return;
	}
	char *err = NULL;
	struct jv *doc = jv_parse((const char *)rq->body, rq->body_len, &err);
	const char *now = jv_get_string(doc, "now");
	time_t t;
	if (doc == NULL || now == NULL || clock_parse_rfc3339(now, &t) != 0) {
		free(err);
		jv_free(doc);
		http_error(rs, 400, "bad_clock_request", "Hãy gửi thời điểm mới dạng RFC 3339: "
			   "{\"now\":\"2026-12-10T14:59:50+07:00\"}.");
		return;
	}
	time_t before = clock_now();
	clock_set(t);
	char was[40] = "?", is[40] = "?";
	if (cal_format_rfc3339(before, was, sizeof was) != 0 ||
	    cal_format_rfc3339(t, is, sizeof is) != 0)
		log_warn("testing", "cannot format the clock's times");
	log_warn("testing", "%s moved the clock from %s to %s", cx->who.login, was, is);
	jv_free(doc);
	housekeeping_request();
	scheduler_request();	/* the timer sleeps by the old clock: arm it again */
	http_json(rs, 200);
	struct json j;
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "now", is);
	json_kv_string(&j, "was", was);
	json_object_end(&j);
}
