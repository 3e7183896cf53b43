/* Several units' reports accepted at once (the board's selection): each item is one review,
 * run, audited and answered on its own, as PUT .../review?unit= would. */
#include "api.h"
#include "authz.h"
#include "json.h"
#include "json_parse.h"
#include "log.h"
#include "units.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Items of one request: the route's 64 KiB of JSON hold this many with the longest unit codes
 * (32 characters); the page sends a longer selection in several requests. */
#define BULK_MAX 1000

/* Writes one refused item that never reached the review: {"unit", "version", "ok": false,
 * "error": {code, message}}. */
static void item_refused(struct json *j, const char *unit, int version, const char *code,
			 const char *message)
{
	json_object_begin(j);
	json_key(j, "unit");
	if (unit)
		json_string(j, unit);
	else
		json_null(j);
	json_key(j, "version");
	if (version > 0)
		json_int(j, version);
	else
		json_null(j);
	json_kv_bool(j, "ok", false);
	json_key(j, "error");
	json_object_begin(j);
	json_kv_string(j, "code", code);
	json_kv_string(j, "message", message);
	json_object_end(j);
	json_object_end(j);
}

/* Whether units[0..i) names code already. */
static bool named_before(const struct jv *units, size_t i, const char *code)
{
	for (size_t k = 0; k < i; k++) {
		const char *u = jv_get_string(&units->items[k], "unit");
		if (u && strcmp(u, code) == 0)
			return true;
	}
	return false;
}

/* Reviews one item of the list into j; false on a database failure (*err set). */
static bool bulk_item(struct json *j, const struct jv *units, size_t i, struct api_review *a,
		      int *accepted, char **err)
{
	const struct jv *item = &units->items[i];
	const char *unit = jv_get_string(item, "unit");
	int judged = api_review_version(item);
	if (unit == NULL || !units_code_valid(unit)) {
		item_refused(j, unit && strlen(unit) <= 32 ? unit : NULL, judged, "invalid_unit",
			     "Mục này thiếu mã đơn vị hoặc mã không hợp lệ: hãy ghi {\"unit\": "
			     "\"MÃ\", \"version\": N}.");
		return true;
	}
	if (judged == 0) {
		item_refused(j, unit, 0, "version_required", "Hãy ghi kèm \"version\": số phiên bản "
			     "báo cáo bạn đã xem và chấp nhận (cột Phiên bản của bảng theo dõi).");
		return true;
	}
	if (named_before(units, i, unit)) {
		item_refused(j, unit, judged, "duplicate_unit", "Đơn vị này đã có ở một mục trước "
			     "trong danh sách; mỗi đơn vị chỉ ghi một lần.");
		return true;
	}
	if (authz_may(&a->cx->who, ACT_REVIEW, a->cx->series, unit) != AUTHZ_ALLOW) {
		item_refused(j, unit, judged, "forbidden_unit",
			     authz_refusal(&a->cx->who, ACT_REVIEW));
		return true;
	}
	a->unit = unit;
	a->judged = judged;
	a->status = 0;
	a->changed = NULL;
	int rc = api_review_unit(a, err);
	if (rc < 0) {
		free(a->changed);
		a->changed = NULL;
		return false;
	}
	json_object_begin(j);
	json_kv_string(j, "unit", unit);
	json_kv_int(j, "version", rc == 0 ? a->version : judged);
	json_kv_bool(j, "ok", rc == 0);
	if (rc == 0) {
		json_kv_string(j, "review", "accepted");
		(*accepted)++;
	} else {
		json_key(j, "error");
		api_review_error_json(j, a);
	}
	json_object_end(j);
	free(a->changed);
	a->changed = NULL;
	return true;
}

/* POST .../review {"decision":"accepted","units":[{"unit":"STC","version":2},...]}: 200 with
 * one result per item, in order; each item is accepted or refused on its own. */
void api_review_bulk(struct http_request *rq, struct http_response *rs, const struct api_ctx *cx)
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
	const struct jv *units = jv_get(doc, "units");
	if (decision && strcmp(decision, "returned") == 0) {
		jv_free(doc);
		http_error(rs, 400, "bulk_return_refused", "Trả lại báo cáo cần một nhận xét riêng "
			   "cho từng đơn vị nên không làm cho nhiều đơn vị một lúc. Hãy mở trang của "
			   "từng đơn vị để trả lại kèm nhận xét (PUT .../review?unit=MÃ).");
		return;
	}
	if (decision == NULL || strcmp(decision, "accepted") != 0 || units == NULL ||
	    units->type != JV_ARRAY || units->len == 0) {
		jv_free(doc);
		http_error(rs, 400, "bad_review", "Hãy gửi {\"decision\":\"accepted\",\"units\":"
			   "[{\"unit\":\"MÃ\",\"version\":N}, ...]}: các đơn vị được chấp nhận, mỗi "
			   "đơn vị kèm số phiên bản báo cáo bạn đã xem.");
		return;
	}
	if (units->len > BULK_MAX) {
		char *msg = xasprintf("Mỗi lần chấp nhận tối đa %d đơn vị; danh sách có %zu. Hãy "
				      "chia thành nhiều lần.", BULK_MAX, units->len);
		jv_free(doc);
		http_error(rs, 413, "too_many_units", msg);
		free(msg);
		return;
	}
	struct period_info pi;
	if (!api_stored_period_of(rq, rs, cx, "review", &pi)) {
		jv_free(doc);
		return;
	}
	struct api_review a = { .rq = rq, .cx = cx, .pi = &pi, .returned = false, .comment = "" };
	struct strbuf results = { 0 };
	struct json j;
	json_init(&j, &results);
	json_array_begin(&j);
	int accepted = 0;
	size_t done = 0;
	for (; done < units->len; done++)
		if (!bulk_item(&j, units, done, &a, &accepted, &err))
			break;
	json_array_end(&j);
	if (done < units->len) {
		log_warn("review", "%s: bulk review of %s %s stopped at item %zu of %zu; the %d "
			 "accepted before it stay accepted", cx->who.login, cx->series->name,
			 pi.id, done + 1, units->len, accepted);
		strbuf_free(&results);
		period_info_free(&pi);
		jv_free(doc);
		api_db_failed(rs, cx->db, "bulk review", err);
		return;
	}
	log_info("review", "%s accepted %d of %zu reports of %s %s at once", cx->who.login,
		 accepted, units->len, cx->series->name, pi.id);
	http_json(rs, 200);
	json_init(&j, &rs->body);
	json_object_begin(&j);
	json_kv_string(&j, "decision", "accepted");
	json_kv_int(&j, "accepted", accepted);
	json_kv_int(&j, "refused", (long long)units->len - accepted);
	json_key(&j, "results");
	json_raw(&j, strbuf_str(&results));
	json_object_end(&j);
	strbuf_free(&results);
	period_info_free(&pi);
	jv_free(doc);
}
