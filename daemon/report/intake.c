/* Reading an upload into report items: the unit's context, the checks of every item, errors,
 * and the JSON form (the workbook is read in intake_xlsx.c, stored in intake_store.c). */
#include "intake.h"
#include "intake_check.h"
#include "unittasks.h"
#include "db.h"
#include "json_parse.h"
#include "utf8.h"
#include "util.h"
#include "workbook.h"
#include "xlsx_read.h"
#include "xmltext.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ERRORS 500

/* ---- errors ---- */

/* Adds one error; after MAX_ERRORS the rest are summed up in one. */
void intake_err_add(struct intake_errors *e, const char *sheet, const char *cell, const char *field,
	const char *fmt, ...)
{
	if (e->n > MAX_ERRORS)
		return;
	e->v = xrealloc(e->v, (e->n + 1) * sizeof *e->v);
	struct intake_error *x = &e->v[e->n++];
	if (e->n > MAX_ERRORS) {
		*x = (struct intake_error){ NULL, NULL, NULL,
			xasprintf("Còn nhiều lỗi khác: hãy sửa các lỗi trên rồi gửi lại.") };
		return;
	}
	x->sheet = sheet ? xstrdup(sheet) : NULL;
	x->cell = cell ? xstrdup(cell) : NULL;
	x->field = field ? xstrdup(field) : NULL;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	x->message = strbuf_detach(&sb);
}

/* Frees a list of errors. */
void intake_errors_free(struct intake_errors *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].sheet);
		free(e->v[i].cell);
		free(e->v[i].field);
		free(e->v[i].message);
	}
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

/* Writes the 422 body. */
void intake_errors_json(const struct intake_errors *e, struct strbuf *out)
{
	struct json j;
	json_init(&j, out);
	json_object_begin(&j);
	json_key(&j, "error");
	json_object_begin(&j);
	json_kv_string(&j, "code", "validation_failed");
	char *msg = xasprintf("Báo cáo chưa được nhận vì có %zu lỗi. Hãy sửa từng lỗi theo hướng "
			      "dẫn rồi gửi lại.", e->n);
	json_kv_string(&j, "message", msg);
	free(msg);
	json_object_end(&j);
	json_key(&j, "errors");
	json_array_begin(&j);
	for (size_t i = 0; i < e->n; i++) {
		json_object_begin(&j);
		json_kv_string(&j, "sheet", e->v[i].sheet);
		json_kv_string(&j, "cell", e->v[i].cell);
		if (e->v[i].field)
			json_kv_string(&j, "field", e->v[i].field);
		json_kv_string(&j, "message", e->v[i].message);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
}

/* ---- context ---- */

/* Loads the unit and its tasks for this series. */
enum intake_result intake_load_context(PGconn *conn, const struct series_def *s,
				       const struct period_info *p, const char *unit_code,
				       time_t now, size_t max_text,
				       const unsigned char *mac_key, struct intake_context *ctx,
				       char **err)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->series = s;
	ctx->period = p;
	ctx->max_text = max_text;
	ctx->mac_key = mac_key;
	int minute;
	if (cal_day_of_time(now, &ctx->today, &minute) != 0) {
		*err = xstrdup("intake: the clock is outside the calendar's range");
		return INTAKE_DB;
	}
	struct unit_tasks ut;
	enum unit_tasks_result ur = unit_tasks_load(conn, s->name, p->db_id, unit_code, &ut, err);
	if (ur != UNIT_TASKS_OK) {
		unit_tasks_free(&ut);
		if (ur == UNIT_TASKS_DB)
			return INTAKE_DB;
		free(*err);
		*err = NULL;
		return ur == UNIT_TASKS_UNKNOWN_UNIT ? INTAKE_UNKNOWN_UNIT : INTAKE_NOT_MEMBER;
	}
	ctx->unit_id = ut.unit_id;
	snprintf(ctx->unit_code, sizeof ctx->unit_code, "%s", unit_code);
	ctx->unit_name = xstrdup(ut.unit_name);
	ctx->ntasks = ut.n;
	ctx->tasks = xcalloc(ctx->ntasks ? ctx->ntasks : 1, sizeof *ctx->tasks);
	for (size_t i = 0; i < ctx->ntasks; i++) {
		struct intake_task *t = &ctx->tasks[i];
		t->id = ut.items[i].id;
		t->code = xstrdup(ut.items[i].code);
		t->title = xstrdup(ut.items[i].title);
		t->has_start = ut.items[i].has_start;
		t->starts_on = ut.items[i].starts_on;
	}
	unit_tasks_free(&ut);
	return INTAKE_OK;
}

/* Frees a context. */
void intake_context_free(struct intake_context *ctx)
{
	for (size_t i = 0; i < ctx->ntasks; i++) {
		free(ctx->tasks[i].code);
		free(ctx->tasks[i].title);
	}
	free(ctx->tasks);
	free(ctx->unit_name);
	ctx->tasks = NULL;
	ctx->unit_name = NULL;
}

/* The task of a code, or NULL. */
static struct intake_task *find_task(struct intake_context *ctx, const char *code)
{
	for (size_t i = 0; i < ctx->ntasks; i++)
		if (strcmp(ctx->tasks[i].code, code) == 0)
			return &ctx->tasks[i];
	return NULL;
}

/* ---- reports ---- */

/* Frees one item's strings. */
static void item_free(struct intake_item *it)
{
	free(it->code);
	free(it->result);
	free(it->difficulties);
	free(it->proposals);
	free(it->note);
}

/* Frees a report. */
void intake_report_free(struct intake_report *r)
{
	for (size_t i = 0; i < r->nitems; i++)
		item_free(&r->items[i]);
	free(r->items);
	free(r->general_difficulties);
	free(r->general_proposals);
	memset(r, 0, sizeof *r);
}


static const char *const json_field_names[WB_NCOLS] = {
	[WB_COL_STT] = "stt", [WB_COL_CODE] = "task", [WB_COL_TITLE] = "title",
	[WB_COL_DEADLINE] = "deadline", [WB_COL_STATUS] = "status",
	[WB_COL_PROGRESS] = "progress", [WB_COL_COMPLETED] = "completed_on",
	[WB_COL_RESULT] = "result", [WB_COL_DIFFICULTIES] = "difficulties",
	[WB_COL_PROPOSALS] = "proposals", [WB_COL_NOTE] = "note",
};

/* The A1 reference of a field of an xlsx item, written into buf. */
static const char *loc_ref(const struct loc *l, enum wb_column col, char buf[XLSX_REF_MAX])
{
	xlsx_ref_format(l->row, (uint32_t)l->col[col], buf);
	return buf;
}

/* Adds an error about one field of an item. */
void intake_err_at(struct intake_errors *e, const struct loc *l, enum wb_column col, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (l->json) {
		char field[64];
		if (l->json_prefix)
			snprintf(field, sizeof field, "%s.%s", l->json_prefix, json_field_names[col]);
		else
			snprintf(field, sizeof field, "items[%zu].%s", l->index, json_field_names[col]);
		intake_err_add(e, NULL, NULL, field, "%s", sb.data);
	} else {
		char ref[XLSX_REF_MAX];
		if (l->col[col] > 0)
			xlsx_ref_format(l->row, (uint32_t)l->col[col], ref);
		intake_err_add(e, l->sheet, l->col[col] > 0 ? ref : NULL, NULL, "%s", sb.data);
	}
	strbuf_free(&sb);
}

/* Checks a text field's characters (xmltext.h) and length; keeps it (trimmed) in *out. */
void intake_take_text(struct intake_context *ctx, const char *text, char **out,
		      const struct loc *l, enum wb_column col, struct intake_errors *e)
{
	char *t = str_trim(xstrdup(text ? text : ""));
	size_t n = utf8_length(t);
	char *refusal = xmltext_refusal(NULL, t, strlen(t));
	if (refusal != NULL)
		intake_err_at(e, l, col, "%s", refusal);
	free(refusal);
	if (n > ctx->max_text)
		intake_err_at(e, l, col, "Nội dung dài %zu ký tự, vượt quá giới hạn %zu ký tự: hãy rút gọn.",
		       n, ctx->max_text);
	free(*out);
	*out = t;
}

/* Formats a day as dd/mm/yyyy. */
static const char *vi_date(cal_day d, char buf[11])
{
	cal_format_date_vi(d, buf);
	return buf;
}


/* Validates a raw item and appends it to the report. */
void intake_check_item(struct intake_context *ctx, const struct raw_item *raw,
		       const struct loc *l, struct intake_report *out, struct intake_errors *e)
{
	struct intake_item it = { 0 };
	it.progress = -1;
	it.code = str_trim(xstrdup(raw->code));
	struct intake_task *task = find_task(ctx, it.code);
	if (task == NULL) {
		intake_err_at(e, l, WB_COL_CODE, "Mã nhiệm vụ “%s” không có trong danh sách nhiệm vụ của "
		       "%s trong kỳ này: hãy kiểm tra lại mã, hoặc tải biểu mẫu mới.", it.code,
		       ctx->unit_name);
	} else if (task->seen) {
		intake_err_at(e, l, WB_COL_CODE, "Nhiệm vụ %s xuất hiện nhiều lần (lần đầu ở %s): hãy giữ "
		       "lại một dòng.", it.code, task->first_seen);
		task = NULL;
	} else {
		task->seen = true;
		it.task_id = task->id;
		if (l->json)
			snprintf(task->first_seen, sizeof task->first_seen, "items[%zu]", l->index);
		else if (l->col[WB_COL_CODE] > 0)
			snprintf(task->first_seen, sizeof task->first_seen, "ô %s",
				 loc_ref(l, WB_COL_CODE, (char[XLSX_REF_MAX]){ 0 }));
	}

	bool state_ok = false;
	char *status = str_trim(xstrdup(raw->status ? raw->status : ""));
	if (status[0] == '\0')
		intake_err_at(e, l, WB_COL_STATUS, "Chưa chọn tình trạng: hãy chọn %s, %s hoặc %s.",
		       WB_STATUS_DONE, WB_STATUS_IN_PROGRESS, WB_STATUS_NOT_STARTED);
	else if (task_state_parse(status, &it.state) != 0)
		intake_err_at(e, l, WB_COL_STATUS, "Tình trạng “%s” không hợp lệ: hãy chọn %s, %s hoặc %s.",
		       status, WB_STATUS_DONE, WB_STATUS_IN_PROGRESS, WB_STATUS_NOT_STARTED);
	else
		state_ok = true;
	free(status);

	if (raw->progress_given) {
		/* The range is checked on the double before it is converted, so that 1e300,
		 * -1e300, infinities and NaN (which fails every comparison) are refused like 150. */
		if (!raw->progress_ok || !(raw->progress >= 0 && raw->progress <= 100))
			intake_err_at(e, l, WB_COL_PROGRESS, "Tiến độ phải là số nguyên từ 0 đến 100 (không "
			       "ghi dấu %%).");
		else
			it.progress = (int)raw->progress;
	}
	if (raw->date_given && !raw->date_ok)
		intake_err_at(e, l, WB_COL_COMPLETED, "Ngày hoàn thành “%s” không đúng dạng ngày: hãy ghi "
		       "theo dạng ngày/tháng/năm, ví dụ 20/11/2026.", raw->date_text);
	if (raw->date_given && raw->date_ok) {
		it.has_completed = true;
		it.completed_on = raw->date;
	}
	if (state_ok) {
		char a[11], b[11];
		switch (it.state) {
		case TASK_STATE_DONE:
			if (!raw->date_given)
				intake_err_at(e, l, WB_COL_COMPLETED, "Nhiệm vụ đã hoàn thành cần có ngày hoàn "
				       "thành: hãy ghi ngày, ví dụ 20/11/2026.");
			if (it.progress >= 0 && it.progress != 100)
				intake_err_at(e, l, WB_COL_PROGRESS, "Nhiệm vụ đã hoàn thành thì tiến độ là "
				       "100: hãy sửa tiến độ hoặc tình trạng.");
			it.progress = 100;
			break;
		case TASK_STATE_IN_PROGRESS:
			if (raw->date_given)
				intake_err_at(e, l, WB_COL_COMPLETED, "Chỉ ghi ngày hoàn thành khi tình trạng "
				       "là %s: hãy xoá ngày hoặc đổi tình trạng.", WB_STATUS_DONE);
			if (it.progress == 100)
				intake_err_at(e, l, WB_COL_PROGRESS, "Tiến độ 100 nghĩa là đã hoàn thành: hãy "
				       "chọn tình trạng %s và ghi ngày hoàn thành.", WB_STATUS_DONE);
			break;
		case TASK_STATE_NOT_STARTED:
			if (raw->date_given)
				intake_err_at(e, l, WB_COL_COMPLETED, "Chỉ ghi ngày hoàn thành khi tình trạng "
				       "là %s: hãy xoá ngày hoặc đổi tình trạng.", WB_STATUS_DONE);
			if (it.progress > 0)
				intake_err_at(e, l, WB_COL_PROGRESS, "Nhiệm vụ chưa triển khai thì tiến độ là "
				       "0: hãy sửa tiến độ hoặc tình trạng.");
			it.progress = 0;
			break;
		}
		if (it.state == TASK_STATE_DONE && it.has_completed) {
			if (it.completed_on > ctx->today)
				intake_err_at(e, l, WB_COL_COMPLETED, "Ngày hoàn thành %s ở sau ngày gửi báo "
				       "cáo (%s): hãy kiểm tra lại.", vi_date(it.completed_on, a),
				       vi_date(ctx->today, b));
			else if (task && task->has_start && it.completed_on < task->starts_on)
				intake_err_at(e, l, WB_COL_COMPLETED, "Ngày hoàn thành %s ở trước ngày bắt đầu "
				       "của nhiệm vụ (%s): hãy kiểm tra lại.",
				       vi_date(it.completed_on, a), vi_date(task->starts_on, b));
		}
		if (it.state != TASK_STATE_DONE)
			it.has_completed = false;
	}
	intake_take_text(ctx, raw->result, &it.result, l, WB_COL_RESULT, e);
	intake_take_text(ctx, raw->difficulties, &it.difficulties, l, WB_COL_DIFFICULTIES, e);
	intake_take_text(ctx, raw->proposals, &it.proposals, l, WB_COL_PROPOSALS, e);
	intake_take_text(ctx, raw->note, &it.note, l, WB_COL_NOTE, e);

	out->items = xrealloc(out->items, (out->nitems + 1) * sizeof *out->items);
	out->items[out->nitems++] = it;
}

/* Adds an error for every task of the unit the upload did not mention. */
void intake_check_missing(struct intake_context *ctx, const char *sheet, bool json,
			  struct intake_errors *e)
{
	for (size_t i = 0; i < ctx->ntasks; i++) {
		if (ctx->tasks[i].seen)
			continue;
		intake_err_add(e, json ? NULL : sheet, NULL, json ? "items" : NULL,
			"Thiếu nhiệm vụ %s (%s): hãy thêm lại dòng của nhiệm vụ này, hoặc tải biểu "
			"mẫu mới.", ctx->tasks[i].code, ctx->tasks[i].title);
	}
}

/* ---- JSON uploads ---- */

/* Reads and checks a JSON upload. */
void intake_read_json(struct intake_context *ctx, const char *body, size_t len,
		      struct intake_report *out, struct intake_errors *errs)
{
	memset(out, 0, sizeof *out);
	char *perr = NULL;
	struct jv *doc = jv_parse(body, len, &perr);
	if (doc == NULL) {
		intake_err_add(errs, NULL, NULL, NULL, "Nội dung gửi lên không phải JSON hợp lệ (%s): hãy "
			"kiểm tra lại.", perr);
		free(perr);
		return;
	}
	const struct jv *items = jv_get(doc, "items");
	if (doc->type != JV_OBJECT || items == NULL || items->type != JV_ARRAY) {
		intake_err_add(errs, NULL, NULL, "items", "Cần có danh sách “items” gồm các nhiệm vụ: "
			"{\"items\":[{\"task\":\"MÃ\",\"status\":\"done\",...}]}.");
		goto out;
	}
	for (size_t k = 0; k < doc->len; k++)
		if (strcmp(doc->keys[k], "items") != 0 && strcmp(doc->keys[k], "general") != 0)
			intake_err_add(errs, NULL, NULL, doc->keys[k], "Trường “%s” không được hỗ trợ: chỉ "
				"dùng “items” và “general”.", doc->keys[k]);
	for (size_t i = 0; i < items->len; i++) {
		const struct jv *it = &items->items[i];
		struct loc l = { .json = true, .index = i };
		if (it->type != JV_OBJECT) {
			char field[32];
			snprintf(field, sizeof field, "items[%zu]", i);
			intake_err_add(errs, NULL, NULL, field, "Mỗi nhiệm vụ phải là một đối tượng JSON.");
			continue;
		}
		bool bad = false;
		for (size_t k = 0; k < it->len; k++) {
			int col = -1;
			for (int c = 0; c < WB_NCOLS; c++)
				if (c != WB_COL_STT && c != WB_COL_TITLE && c != WB_COL_DEADLINE &&
				    strcmp(it->keys[k], json_field_names[c]) == 0)
					col = c;
			const struct jv *v = &it->items[k];
			if (col < 0) {
				char field[96];
				snprintf(field, sizeof field, "items[%zu].%.60s", i, it->keys[k]);
				intake_err_add(errs, NULL, NULL, field, "Trường “%s” không được hỗ trợ.",
					it->keys[k]);
				bad = true;
			} else if (col != WB_COL_PROGRESS && v->type != JV_STRING && v->type != JV_NULL) {
				intake_err_at(errs, &l, (enum wb_column)col, "Trường này phải là chuỗi ký tự.");
				bad = true;
			}
		}
		const char *code = jv_get_string(it, "task");
		if (code == NULL) {
			intake_err_at(errs, &l, WB_COL_CODE, "Thiếu mã nhiệm vụ (“task”).");
			continue;
		}
		if (bad)
			continue;
		struct raw_item raw = { .code = code, .status = jv_get_string(it, "status"),
					.result = jv_get_string(it, "result"),
					.difficulties = jv_get_string(it, "difficulties"),
					.proposals = jv_get_string(it, "proposals"),
					.note = jv_get_string(it, "note") };
		const struct jv *pv = jv_get(it, "progress");
		if (pv && pv->type != JV_NULL) {
			raw.progress_given = true;
			raw.progress_ok = pv->type == JV_NUMBER && pv->integral;
			raw.progress = pv->type == JV_NUMBER ? pv->number : -1;
		}
		const char *date = jv_get_string(it, "completed_on");
		if (date && *date) {
			raw.date_given = true;
			raw.date_text = date;
			raw.date_ok = cal_parse_date(date, &raw.date) == 0;
		}
		intake_check_item(ctx, &raw, &l, out, errs);
	}
	intake_check_missing(ctx, NULL, true, errs);
	const struct jv *general = jv_get(doc, "general");
	if (general && general->type == JV_OBJECT) {
		struct loc l = { .json = true, .json_prefix = "general" };
		const char *d = jv_get_string(general, "difficulties");
		const char *p = jv_get_string(general, "proposals");
		intake_take_text(ctx, d, &out->general_difficulties, &l, WB_COL_DIFFICULTIES, errs);
		intake_take_text(ctx, p, &out->general_proposals, &l, WB_COL_PROPOSALS, errs);
	} else if (general && general->type != JV_NULL) {
		intake_err_add(errs, NULL, NULL, "general", "“general” phải là một đối tượng "
			"{\"difficulties\":\"...\",\"proposals\":\"...\"}.");
	}
out:
	jv_free(doc);
}
