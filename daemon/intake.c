/* Reading an upload (workbook or JSON) into report items, validating it, storing it, receipts. */
#include "intake.h"
#include "unittasks.h"
#include "db.h"
#include "json_parse.h"
#include "util.h"
#include "workbook.h"
#include "xlsx_read.h"

#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CELLS 200000
#define MAX_ERRORS 500

/* ---- errors ---- */

/* Adds one error; after MAX_ERRORS the rest are summed up in one. */
static void __attribute__((format(printf, 5, 6)))
err_add(struct intake_errors *e, const char *sheet, const char *cell, const char *field,
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
	enum unit_tasks_result ur = unit_tasks_load(conn, s->name, unit_code, &ut, err);
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

/* Number of characters (code points) of UTF-8 text. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Where the fields of one item came from, for messages. */
struct loc {
	bool json;
	size_t index;			/* JSON: position in items */
	const char *json_prefix;	/* JSON: instead of "items[index]" */
	const char *sheet;		/* xlsx: sheet name */
	uint32_t row;			/* xlsx: 1-based row */
	int col[WB_NCOLS];		/* xlsx: 1-based column of each field, 0 if absent */
};

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
static void __attribute__((format(printf, 4, 5)))
err_at(struct intake_errors *e, const struct loc *l, enum wb_column col, const char *fmt, ...)
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
		err_add(e, NULL, NULL, field, "%s", sb.data);
	} else {
		char ref[XLSX_REF_MAX];
		if (l->col[col] > 0)
			xlsx_ref_format(l->row, (uint32_t)l->col[col], ref);
		err_add(e, l->sheet, l->col[col] > 0 ? ref : NULL, NULL, "%s", sb.data);
	}
	strbuf_free(&sb);
}

/* Checks a text field's length; keeps it (trimmed) in *out. */
static void take_text(struct intake_context *ctx, const char *text, char **out,
		      const struct loc *l, enum wb_column col, struct intake_errors *e)
{
	char *t = str_trim(xstrdup(text ? text : ""));
	size_t n = utf8_chars(t);
	if (n > ctx->max_text)
		err_at(e, l, col, "Nội dung dài %zu ký tự, vượt quá giới hạn %zu ký tự: hãy rút gọn.",
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

/*
 * Checks one item's fields as read (strings, with progress and date already parsed by the
 * caller where the source had typed values) and the rules that tie them together.
 */
struct raw_item {
	const char *code;
	const char *status;		/* NULL or "" when empty */
	bool progress_given;
	bool progress_ok;		/* a whole number */
	double progress;
	bool date_given;
	bool date_ok;
	cal_day date;
	const char *date_text;		/* for messages */
	const char *result, *difficulties, *proposals, *note;
};

/* Validates a raw item and appends it to the report. */
static void check_item(struct intake_context *ctx, const struct raw_item *raw,
		       const struct loc *l, struct intake_report *out, struct intake_errors *e)
{
	struct intake_item it = { 0 };
	it.progress = -1;
	it.code = str_trim(xstrdup(raw->code));
	struct intake_task *task = find_task(ctx, it.code);
	if (task == NULL) {
		err_at(e, l, WB_COL_CODE, "Mã nhiệm vụ “%s” không có trong danh sách nhiệm vụ của "
		       "%s trong kỳ này: hãy kiểm tra lại mã, hoặc tải biểu mẫu mới.", it.code,
		       ctx->unit_name);
	} else if (task->seen) {
		err_at(e, l, WB_COL_CODE, "Nhiệm vụ %s xuất hiện nhiều lần (lần đầu ở %s): hãy giữ "
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
		err_at(e, l, WB_COL_STATUS, "Chưa chọn tình trạng: hãy chọn %s, %s hoặc %s.",
		       WB_STATUS_DONE, WB_STATUS_IN_PROGRESS, WB_STATUS_NOT_STARTED);
	else if (task_state_parse(status, &it.state) != 0)
		err_at(e, l, WB_COL_STATUS, "Tình trạng “%s” không hợp lệ: hãy chọn %s, %s hoặc %s.",
		       status, WB_STATUS_DONE, WB_STATUS_IN_PROGRESS, WB_STATUS_NOT_STARTED);
	else
		state_ok = true;
	free(status);

	if (raw->progress_given) {
		/* The range is checked on the double before it is converted, so that 1e300,
		 * -1e300, infinities and NaN (which fails every comparison) are refused like 150. */
		if (!raw->progress_ok || !(raw->progress >= 0 && raw->progress <= 100))
			err_at(e, l, WB_COL_PROGRESS, "Tiến độ phải là số nguyên từ 0 đến 100 (không "
			       "ghi dấu %%).");
		else
			it.progress = (int)raw->progress;
	}
	if (raw->date_given && !raw->date_ok)
		err_at(e, l, WB_COL_COMPLETED, "Ngày hoàn thành “%s” không đúng dạng ngày: hãy ghi "
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
				err_at(e, l, WB_COL_COMPLETED, "Nhiệm vụ đã hoàn thành cần có ngày hoàn "
				       "thành: hãy ghi ngày, ví dụ 20/11/2026.");
			if (it.progress >= 0 && it.progress != 100)
				err_at(e, l, WB_COL_PROGRESS, "Nhiệm vụ đã hoàn thành thì tiến độ là "
				       "100: hãy sửa tiến độ hoặc tình trạng.");
			it.progress = 100;
			break;
		case TASK_STATE_IN_PROGRESS:
			if (raw->date_given)
				err_at(e, l, WB_COL_COMPLETED, "Chỉ ghi ngày hoàn thành khi tình trạng "
				       "là %s: hãy xoá ngày hoặc đổi tình trạng.", WB_STATUS_DONE);
			if (it.progress == 100)
				err_at(e, l, WB_COL_PROGRESS, "Tiến độ 100 nghĩa là đã hoàn thành: hãy "
				       "chọn tình trạng %s và ghi ngày hoàn thành.", WB_STATUS_DONE);
			break;
		case TASK_STATE_NOT_STARTED:
			if (raw->date_given)
				err_at(e, l, WB_COL_COMPLETED, "Chỉ ghi ngày hoàn thành khi tình trạng "
				       "là %s: hãy xoá ngày hoặc đổi tình trạng.", WB_STATUS_DONE);
			if (it.progress > 0)
				err_at(e, l, WB_COL_PROGRESS, "Nhiệm vụ chưa triển khai thì tiến độ là "
				       "0: hãy sửa tiến độ hoặc tình trạng.");
			it.progress = 0;
			break;
		}
		if (it.state == TASK_STATE_DONE && it.has_completed) {
			if (it.completed_on > ctx->today)
				err_at(e, l, WB_COL_COMPLETED, "Ngày hoàn thành %s ở sau ngày gửi báo "
				       "cáo (%s): hãy kiểm tra lại.", vi_date(it.completed_on, a),
				       vi_date(ctx->today, b));
			else if (task && task->has_start && it.completed_on < task->starts_on)
				err_at(e, l, WB_COL_COMPLETED, "Ngày hoàn thành %s ở trước ngày bắt đầu "
				       "của nhiệm vụ (%s): hãy kiểm tra lại.",
				       vi_date(it.completed_on, a), vi_date(task->starts_on, b));
		}
		if (it.state != TASK_STATE_DONE)
			it.has_completed = false;
	}
	take_text(ctx, raw->result, &it.result, l, WB_COL_RESULT, e);
	take_text(ctx, raw->difficulties, &it.difficulties, l, WB_COL_DIFFICULTIES, e);
	take_text(ctx, raw->proposals, &it.proposals, l, WB_COL_PROPOSALS, e);
	take_text(ctx, raw->note, &it.note, l, WB_COL_NOTE, e);

	out->items = xrealloc(out->items, (out->nitems + 1) * sizeof *out->items);
	out->items[out->nitems++] = it;
}

/* Adds an error for every task of the unit the upload did not mention. */
static void check_missing(struct intake_context *ctx, const char *sheet, bool json,
			  struct intake_errors *e)
{
	for (size_t i = 0; i < ctx->ntasks; i++) {
		if (ctx->tasks[i].seen)
			continue;
		err_add(e, json ? NULL : sheet, NULL, json ? "items" : NULL,
			"Thiếu nhiệm vụ %s (%s): hãy thêm lại dòng của nhiệm vụ này, hoặc tải biểu "
			"mẫu mới.", ctx->tasks[i].code, ctx->tasks[i].title);
	}
}

/* ---- .xlsx uploads ---- */

struct cellv {
	uint32_t row, col;
	enum xlsx_type type;
	char *text;
	double num;
	bool boolean;
	struct xlsx_datetime dt;
};

struct grid {
	struct cellv *v;
	size_t n;
	bool overflow;
};

/* Reader callback: keeps a copy of each cell. */
static bool grid_collect(const struct xlsx_cell *c, void *arg)
{
	struct grid *g = arg;
	if (g->n >= MAX_CELLS) {
		g->overflow = true;
		return false;
	}
	if ((g->n & (g->n - 1)) == 0)	/* grow at powers of two */
		g->v = xrealloc(g->v, (g->n ? g->n * 2 : 64) * sizeof *g->v);
	struct cellv *v = &g->v[g->n++];
	memset(v, 0, sizeof *v);
	v->row = c->row;
	v->col = c->col;
	v->type = c->type;
	v->num = c->num;
	v->boolean = c->boolean;
	v->dt = c->dt;
	if (c->type == XLSX_STRING || c->type == XLSX_ERROR)
		v->text = xstrndup(c->str, c->len);
	return true;
}

/* Frees a grid. */
static void grid_free(struct grid *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].text);
	free(g->v);
	memset(g, 0, sizeof *g);
}

/* Reads one sheet into a grid; returns the reader's result. */
static enum xlsx_error grid_read(struct xlsx *x, size_t sheet, struct grid *g)
{
	memset(g, 0, sizeof *g);
	return xlsx_sheet_read(x, sheet, grid_collect, g);
}

/* A cell's value as text (new string): numbers shortest, dates dd/mm/yyyy. */
static char *cell_text(const struct cellv *c)
{
	switch (c->type) {
	case XLSX_STRING:
	case XLSX_ERROR:
		return xstrdup(c->text);
	case XLSX_BOOL:
		return xstrdup(c->boolean ? "TRUE" : "FALSE");
	case XLSX_DATE:
		return xasprintf("%02d/%02d/%04d", c->dt.day, c->dt.month, c->dt.year);
	case XLSX_NUMBER: {
		char buf[40];
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, sizeof buf, "%.*g", prec, c->num);
			if (strtod(buf, NULL) == c->num)
				break;
		}
		return xstrdup(buf);
	}
	}
	return xstrdup("");
}

/* Folded text of a cell, for matching titles; never NULL. */
static char *cell_folded(const struct cellv *c)
{
	char *t = cell_text(c);
	char *f = task_fold(t);
	free(t);
	return f ? f : xstrdup("");
}

/* Parses a whole number 0..999 written as text, allowing a trailing '%'. */
static bool parse_progress_text(const char *s, double *out)
{
	char *t = str_trim(xstrdup(s));
	size_t n = strlen(t);
	if (n > 0 && t[n - 1] == '%') {
		t[--n] = '\0';
		str_trim(t);
		n = strlen(t);
	}
	bool ok = n > 0 && n <= 3;
	for (size_t i = 0; ok && i < n; i++)
		ok = t[i] >= '0' && t[i] <= '9';
	if (ok)
		*out = atof(t);
	free(t);
	return ok;
}

/* Parses a date written as text: dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy or yyyy-mm-dd. */
static bool parse_date_text(const char *s, cal_day *out)
{
	int a, b, c, n = 0;
	char sep1, sep2;
	char *t = str_trim(xstrdup(s));
	bool ok = false;
	if (sscanf(t, "%d%c%d%c%d%n", &a, &sep1, &b, &sep2, &c, &n) == 5 && t[n] == '\0' &&
	    sep1 == sep2 && (sep1 == '/' || sep1 == '-' || sep1 == '.')) {
		if (a > 31 && sep1 == '-' && cal_ymd_valid(a, b, c)) {
			*out = cal_from_ymd(a, b, c);
			ok = true;
		} else if (c >= 1900 && cal_ymd_valid(c, b, a)) {
			*out = cal_from_ymd(c, b, a);
			ok = true;
		}
	}
	free(t);
	return ok;
}

/* Finds a cell of a row in a row-major grid slice [from, to). */
static const struct cellv *row_cell(const struct grid *g, size_t from, size_t to, int col)
{
	for (size_t i = from; i < to; i++)
		if ((int)g->v[i].col == col)
			return &g->v[i];
	return NULL;
}

/* Whether a cell is absent or holds only white space. */
static bool cell_blank(const struct cellv *c)
{
	if (c == NULL)
		return true;
	if (c->type != XLSX_STRING)
		return false;
	for (const char *p = c->text; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return false;
	return true;
}

/* Finds the header row: returns its index range start in the grid and fills cols; -1 if none. */
static long find_header(const struct grid *g, int cols[WB_NCOLS], uint32_t *header_row)
{
	char *titles[WB_NCOLS];
	for (int k = 0; k < WB_NCOLS; k++) {
		titles[k] = task_fold(wb_column_titles[k]);
		if (titles[k] == NULL)
			titles[k] = xstrdup(wb_column_titles[k]);
	}
	long found = -1;
	size_t i = 0;
	while (i < g->n && found < 0) {
		size_t j = i;
		while (j < g->n && g->v[j].row == g->v[i].row)
			j++;
		int tmp[WB_NCOLS] = { 0 };
		int matched = 0;
		for (size_t k = i; k < j; k++) {
			if (g->v[k].type != XLSX_STRING)
				continue;
			char *f = cell_folded(&g->v[k]);
			for (int t = 0; t < WB_NCOLS; t++) {
				if (tmp[t] == 0 && strcmp(f, titles[t]) == 0) {
					tmp[t] = (int)g->v[k].col;
					matched++;
					break;
				}
			}
			free(f);
		}
		if (tmp[WB_COL_CODE] && tmp[WB_COL_STATUS] && matched >= 4) {
			memcpy(cols, tmp, sizeof tmp);
			*header_row = g->v[i].row;
			found = (long)j;
		}
		i = j;
	}
	for (int k = 0; k < WB_NCOLS; k++)
		free(titles[k]);
	return found;
}

/* Reads the report rows after the header. */
static void read_rows(struct intake_context *ctx, const char *sheet, const struct grid *g,
		      size_t start, const int cols[WB_NCOLS], bool date1904,
		      struct intake_report *out, struct intake_errors *e)
{
	static const enum wb_column inputs[] = { WB_COL_STATUS, WB_COL_PROGRESS, WB_COL_COMPLETED,
						 WB_COL_RESULT, WB_COL_DIFFICULTIES,
						 WB_COL_PROPOSALS, WB_COL_NOTE };
	size_t i = start;
	while (i < g->n) {
		size_t j = i;
		while (j < g->n && g->v[j].row == g->v[i].row)
			j++;
		struct loc l = { .json = false, .sheet = sheet, .row = g->v[i].row };
		memcpy(l.col, cols, sizeof l.col);
		const struct cellv *c[WB_NCOLS] = { 0 };
		for (int k = 0; k < WB_NCOLS; k++)
			if (cols[k])
				c[k] = row_cell(g, i, j, cols[k]);
		bool has_input = false;
		for (size_t k = 0; k < nitems(inputs); k++) {
			const struct cellv *v = c[inputs[k]];
			if (v && v->type == XLSX_ERROR)
				err_at(e, &l, inputs[k], "Ô chứa lỗi công thức (%s): hãy sửa hoặc xoá "
				       "công thức.", v->text);
			has_input |= !cell_blank(v);
		}
		if (cell_blank(c[WB_COL_CODE])) {
			if (has_input)
				err_add(e, sheet, NULL, NULL, "Dòng %u có nội dung nhưng không có mã nhiệm "
					"vụ: hãy ghi lại mã nhiệm vụ hoặc xoá dòng này.", l.row);
			i = j;
			continue;
		}
		char *text[WB_NCOLS] = { 0 };
		for (int k = 0; k < WB_NCOLS; k++)
			text[k] = c[k] && c[k]->type != XLSX_ERROR ? cell_text(c[k]) : xstrdup("");
		struct raw_item raw = { .code = text[WB_COL_CODE], .status = text[WB_COL_STATUS],
					.result = text[WB_COL_RESULT],
					.difficulties = text[WB_COL_DIFFICULTIES],
					.proposals = text[WB_COL_PROPOSALS], .note = text[WB_COL_NOTE],
					.date_text = text[WB_COL_COMPLETED] };
		const struct cellv *pc = c[WB_COL_PROGRESS];
		if (!cell_blank(pc) && pc->type != XLSX_ERROR) {
			raw.progress_given = true;
			if (pc->type == XLSX_NUMBER) {
				raw.progress = pc->num;
				/* Whole, tested without converting: a cell may hold 1E+300. */
				raw.progress_ok = isfinite(pc->num) && pc->num == floor(pc->num);
			} else if (pc->type == XLSX_STRING) {
				raw.progress_ok = parse_progress_text(pc->text, &raw.progress);
			}
		}
		const struct cellv *dc = c[WB_COL_COMPLETED];
		if (!cell_blank(dc) && dc->type != XLSX_ERROR) {
			raw.date_given = true;
			struct xlsx_datetime dt;
			if (dc->type == XLSX_DATE) {
				dt = dc->dt;
				raw.date_ok = cal_ymd_valid(dt.year, dt.month, dt.day);
			} else if (dc->type == XLSX_NUMBER && dc->num >= 1 && dc->num < 2958466 &&
				   xlsx_serial_to_datetime(dc->num, date1904, &dt)) {
				raw.date_ok = cal_ymd_valid(dt.year, dt.month, dt.day);
			} else if (dc->type == XLSX_STRING) {
				raw.date_ok = parse_date_text(dc->text, &raw.date);
				dt.year = 0;
			}
			if (raw.date_ok && dc->type != XLSX_STRING)
				raw.date = cal_from_ymd(dt.year, dt.month, dt.day);
		}
		check_item(ctx, &raw, &l, out, e);
		for (int k = 0; k < WB_NCOLS; k++)
			free(text[k]);
		i = j;
	}
}

/* Reads the meta sheet and checks that the workbook is this unit's, series' and period's. */
static void check_meta(struct intake_context *ctx, struct xlsx *x, size_t sheet,
		       struct intake_errors *e)
{
	struct grid g;
	enum xlsx_error rc = grid_read(x, sheet, &g);
	if (rc != XLSX_OK) {
		grid_free(&g);
		err_add(e, WB_META_SHEET, NULL, NULL, "Không đọc được phần nhận dạng ẩn của biểu mẫu: "
			"hãy tải biểu mẫu mới của kỳ %s và nhập lại.", ctx->period->id);
		return;
	}
	char *val[5] = { 0 };
	char ref[5][XLSX_REF_MAX] = { "", "", "", "", "" };
	static const char *const keys[5] = { WB_META_UNIT, WB_META_SERIES, WB_META_PERIOD,
					     WB_META_VERSION, WB_META_MAC };
	for (size_t i = 0; i < g.n; i++) {
		if (g.v[i].col != 1 || g.v[i].type != XLSX_STRING)
			continue;
		size_t end = i + 1;
		while (end < g.n && g.v[end].row == g.v[i].row)
			end++;
		for (int k = 0; k < 5; k++) {
			if (val[k] != NULL || strcmp(g.v[i].text, keys[k]) != 0)
				continue;
			const struct cellv *b = row_cell(&g, i, end, 2);
			if (b) {
				val[k] = cell_text(b);
				xlsx_ref_format(b->row, 2, ref[k]);
			}
		}
	}
	grid_free(&g);
	const char *ms = WB_META_SHEET;
	if (!val[0] || !val[1] || !val[2] || !val[3] || !val[4]) {
		/* Present but incomplete: someone removed part of it; a program that drops hidden
		 * sheets drops all of it, and that is accepted. */
		err_add(e, ms, NULL, NULL, "Phần nhận dạng ẩn của biểu mẫu không đầy đủ: hãy tải "
			"biểu mẫu mới của kỳ %s và nhập lại.", ctx->period->id);
	} else if (atoi(val[3]) != WB_TEMPLATE_VERSION) {
		err_add(e, ms, ref[3], NULL, "Biểu mẫu này thuộc phiên bản %s, không còn được hỗ trợ: "
			"hãy tải biểu mẫu mới của kỳ %s và nhập lại.", val[3], ctx->period->id);
	} else if (!wb_mac_ok(ctx->mac_key, val[0], val[1], val[2], atoi(val[3]), val[4])) {
		err_add(e, ms, ref[4], NULL, "Phần nhận dạng ẩn của biểu mẫu đã bị sửa đổi: hãy tải "
			"biểu mẫu mới của kỳ %s và nhập lại.", ctx->period->id);
	} else {
		if (strcmp(val[0], ctx->unit_code) != 0) {
			char *other = ctx->other_unit_name ? ctx->other_unit_name(ctx->unit_name_arg, val[0]) : NULL;
			err_add(e, ms, ref[0], NULL, "Biểu mẫu này là của %s (%s), không phải của %s "
				"(%s): hãy tải và gửi biểu mẫu của đơn vị mình.",
				other ? other : val[0], val[0], ctx->unit_name, ctx->unit_code);
			free(other);
		}
		if (strcmp(val[1], ctx->series->name) != 0)
			err_add(e, ms, ref[1], NULL, "Biểu mẫu này thuộc loại báo cáo %s, không phải "
				"%s: hãy tải đúng biểu mẫu.", val[1], ctx->series->name);
		if (strcmp(val[2], ctx->period->id) != 0)
			err_add(e, ms, ref[2], NULL, "Biểu mẫu này dành cho kỳ %s, nhưng đang gửi cho "
				"kỳ %s: hãy tải biểu mẫu của kỳ %s.", val[2], ctx->period->id,
				ctx->period->id);
	}
	for (int k = 0; k < 5; k++)
		free(val[k]);
}

/* Reads the general difficulties and proposals sheet. */
static void read_general(struct intake_context *ctx, struct xlsx *x, size_t sheet,
			 struct intake_report *out, struct intake_errors *e)
{
	struct grid g;
	if (grid_read(x, sheet, &g) != XLSX_OK) {
		err_add(e, WB_GENERAL_SHEET, NULL, NULL, "Không đọc được trang %s: hãy lưu lại tệp "
			"rồi gửi lại.", WB_GENERAL_SHEET);
		grid_free(&g);
		return;
	}
	char *labels[2] = { task_fold(WB_GENERAL_DIFFICULTIES), task_fold(WB_GENERAL_PROPOSALS) };
	char **dest[2] = { &out->general_difficulties, &out->general_proposals };
	for (size_t i = 0; i < g.n; i++) {
		if (g.v[i].col != 1)
			continue;
		char *f = cell_folded(&g.v[i]);
		for (int k = 0; k < 2; k++) {
			if (labels[k] == NULL || strcmp(f, labels[k]) != 0 || *dest[k])
				continue;
			const struct cellv *b = row_cell(&g, i, g.n, 2);
			struct loc l = { .json = false, .sheet = WB_GENERAL_SHEET, .row = g.v[i].row };
			l.col[WB_COL_RESULT] = 2;
			char *t = b && b->row == g.v[i].row ? cell_text(b) : xstrdup("");
			take_text(ctx, t, dest[k], &l, WB_COL_RESULT, e);
			free(t);
		}
		free(f);
	}
	free(labels[0]);
	free(labels[1]);
	grid_free(&g);
}

/* The reader's limits for an upload: a unit's weekly workbook is tens of KiB and inflates to
 * well under a MiB; these leave room for a hundredfold while bounding what one upload costs. */
void intake_xlsx_limits(struct xlsx_limits *l)
{
	xlsx_limits_default(l);
	l->max_file_size = 64ull << 20;
	l->max_entries = 200;
	l->max_entry_size = 32ull << 20;
	l->max_total_size = 64ull << 20;
	l->max_shared_strings = 200000;
	l->max_shared_bytes = 16ull << 20;
	l->max_sheets = 50;
}

/* Reads and checks a workbook upload. */
void intake_read_xlsx(struct intake_context *ctx, const void *data, size_t len,
		      struct intake_report *out, struct intake_errors *errs)
{
	memset(out, 0, sizeof *out);
	struct xlsx *x = NULL;
	char *detail = NULL;
	struct xlsx_limits limits;
	intake_xlsx_limits(&limits);
	enum xlsx_error rc = xlsx_open_memory(data, len, &limits, &x, &detail);
	free(detail);
	if (rc != XLSX_OK) {
		err_add(errs, NULL, NULL, NULL, "%s", xlsx_error_message(rc));
		return;
	}
	size_t nsheets = xlsx_sheet_count(x);
	size_t report = (size_t)-1, general = (size_t)-1, meta = (size_t)-1;
	for (size_t i = 0; i < nsheets; i++) {
		const char *name = xlsx_sheet_name(x, i);
		if (xlsx_sheet_kind(x, i) != XLSX_WORKSHEET)
			continue;
		if (strcmp(name, WB_REPORT_SHEET) == 0 && report == (size_t)-1)
			report = i;
		else if (strcmp(name, WB_GENERAL_SHEET) == 0 && general == (size_t)-1)
			general = i;
		else if (strcmp(name, WB_META_SHEET) == 0 && meta == (size_t)-1)
			meta = i;
	}
	struct grid g = { 0 };
	int cols[WB_NCOLS] = { 0 };
	uint32_t header_row = 0;
	long start = -1;
	const char *sheet_name = WB_REPORT_SHEET;
	/* The report sheet by name, or else the first worksheet with the header row. */
	for (size_t pass = 0; pass <= nsheets && start < 0; pass++) {
		size_t i = pass == 0 ? report : pass - 1;
		if (i == (size_t)-1 || (pass > 0 && (i == report || i == meta || i == general ||
						     xlsx_sheet_kind(x, i) != XLSX_WORKSHEET)))
			continue;
		grid_free(&g);
		rc = grid_read(x, i, &g);
		if (rc != XLSX_OK && !(rc == XLSX_ERR_STOPPED && g.overflow)) {
			err_add(errs, xlsx_sheet_name(x, i), NULL, NULL, "%s", xlsx_error_message(rc));
			goto out;
		}
		if (g.overflow) {
			err_add(errs, xlsx_sheet_name(x, i), NULL, NULL, "Trang tính có quá nhiều ô "
				"(hơn %d): hãy chỉ giữ bảng báo cáo rồi gửi lại.", MAX_CELLS);
			goto out;
		}
		start = find_header(&g, cols, &header_row);
		if (start >= 0)
			sheet_name = xlsx_sheet_name(x, i);
	}
	if (start < 0) {
		err_add(errs, WB_REPORT_SHEET, NULL, NULL, "Không tìm thấy dòng tiêu đề của bảng báo "
			"cáo (các cột “%s”, “%s”, ...): hãy dùng biểu mẫu tải từ hệ thống và không "
			"đổi tên các cột.", wb_column_titles[WB_COL_CODE],
			wb_column_titles[WB_COL_STATUS]);
		goto out;
	}
	static const enum wb_column required[] = { WB_COL_PROGRESS, WB_COL_COMPLETED,
						   WB_COL_RESULT };
	for (size_t k = 0; k < nitems(required); k++) {
		if (cols[required[k]] == 0)
			err_add(errs, sheet_name, NULL, NULL, "Thiếu cột “%s” ở dòng tiêu đề %u: hãy "
				"thêm lại cột này hoặc tải biểu mẫu mới.",
				wb_column_titles[required[k]], header_row);
	}
	read_rows(ctx, sheet_name, &g, (size_t)start, cols, xlsx_date1904(x), out, errs);
	check_missing(ctx, sheet_name, false, errs);
	if (general != (size_t)-1)
		read_general(ctx, x, general, out, errs);
	if (meta != (size_t)-1)
		check_meta(ctx, x, meta, errs);
out:
	grid_free(&g);
	xlsx_close(x);
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
		err_add(errs, NULL, NULL, NULL, "Nội dung gửi lên không phải JSON hợp lệ (%s): hãy "
			"kiểm tra lại.", perr);
		free(perr);
		return;
	}
	const struct jv *items = jv_get(doc, "items");
	if (doc->type != JV_OBJECT || items == NULL || items->type != JV_ARRAY) {
		err_add(errs, NULL, NULL, "items", "Cần có danh sách “items” gồm các nhiệm vụ: "
			"{\"items\":[{\"task\":\"MÃ\",\"status\":\"done\",...}]}.");
		goto out;
	}
	for (size_t k = 0; k < doc->len; k++)
		if (strcmp(doc->keys[k], "items") != 0 && strcmp(doc->keys[k], "general") != 0)
			err_add(errs, NULL, NULL, doc->keys[k], "Trường “%s” không được hỗ trợ: chỉ "
				"dùng “items” và “general”.", doc->keys[k]);
	for (size_t i = 0; i < items->len; i++) {
		const struct jv *it = &items->items[i];
		struct loc l = { .json = true, .index = i };
		if (it->type != JV_OBJECT) {
			char field[32];
			snprintf(field, sizeof field, "items[%zu]", i);
			err_add(errs, NULL, NULL, field, "Mỗi nhiệm vụ phải là một đối tượng JSON.");
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
				err_add(errs, NULL, NULL, field, "Trường “%s” không được hỗ trợ.",
					it->keys[k]);
				bad = true;
			} else if (col != WB_COL_PROGRESS && v->type != JV_STRING && v->type != JV_NULL) {
				err_at(errs, &l, (enum wb_column)col, "Trường này phải là chuỗi ký tự.");
				bad = true;
			}
		}
		const char *code = jv_get_string(it, "task");
		if (code == NULL) {
			err_at(errs, &l, WB_COL_CODE, "Thiếu mã nhiệm vụ (“task”).");
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
		check_item(ctx, &raw, &l, out, errs);
	}
	check_missing(ctx, NULL, true, errs);
	const struct jv *general = jv_get(doc, "general");
	if (general && general->type == JV_OBJECT) {
		struct loc l = { .json = true, .json_prefix = "general" };
		const char *d = jv_get_string(general, "difficulties");
		const char *p = jv_get_string(general, "proposals");
		take_text(ctx, d, &out->general_difficulties, &l, WB_COL_DIFFICULTIES, errs);
		take_text(ctx, p, &out->general_proposals, &l, WB_COL_PROPOSALS, errs);
	} else if (general && general->type != JV_NULL) {
		err_add(errs, NULL, NULL, "general", "“general” phải là một đối tượng "
			"{\"difficulties\":\"...\",\"proposals\":\"...\"}.");
	}
out:
	jv_free(doc);
}

/* ---- storing and receipts ---- */

/* The canonical text a receipt's signature covers. */
char *intake_receipt_text(const struct intake_receipt *r)
{
	/* In UTC, so that the text does not depend on the verifier's time zone. */
	char when[40];
	struct tm tm;
	time_t t = r->received_at;
	if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof when, "%lld", (long long)r->received_at);
	return xasprintf("baocao receipt v1\nsubmission: %lld\nseries: %s\nperiod: %s\nunit: %s\n"
			 "version: %d\nreceived_at: %s\nsha256: %s\non_time: %s\nitems: %zu\n",
			 r->submission, r->series, r->period, r->unit, r->version, when,
			 r->sha256, r->on_time ? "true" : "false", r->items);
}

/* Signs a receipt with the server's key. */
static void receipt_sign(struct intake_receipt *r, const struct keys *keys)
{
	char *text = intake_receipt_text(r);
	unsigned char sig[crypto_sign_BYTES];
	crypto_sign_detached(sig, NULL, (const unsigned char *)text, strlen(text), keys->sign_sk);
	sodium_bin2base64(r->signature, sizeof r->signature, sig, sizeof sig,
			  sodium_base64_VARIANT_ORIGINAL);
	free(text);
}

/* Checks a receipt's signature. */
bool intake_receipt_verify(const struct intake_receipt *r,
			   const unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
	unsigned char sig[crypto_sign_BYTES];
	size_t len = 0;
	if (sodium_base642bin(sig, sizeof sig, r->signature, strlen(r->signature), NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || len != sizeof sig)
		return false;
	char *text = intake_receipt_text(r);
	bool ok = crypto_sign_verify_detached(sig, (const unsigned char *)text, strlen(text),
					      pk) == 0;
	free(text);
	return ok;
}

/* Writes a receipt as JSON. */
void intake_receipt_json(struct json *j, const struct intake_receipt *r)
{
	char when[40];
	json_object_begin(j);
	json_kv_int(j, "submission", r->submission);
	json_kv_int(j, "version", r->version);
	json_key(j, "received_at");
	if (cal_format_rfc3339(r->received_at, when, sizeof when) == 0)
		json_string(j, when);
	else
		json_null(j);
	json_kv_string(j, "sha256", r->sha256);
	json_kv_bool(j, "on_time", r->on_time);
	json_kv_int(j, "items", (long long)r->items);
	json_kv_string(j, "series", r->series);
	json_kv_string(j, "period", r->period);
	json_kv_string(j, "unit", r->unit);
	json_kv_string(j, "signature", r->signature);
	json_object_end(j);
}

/* The receipt mail's subject and body (new strings). */
static void receipt_mail(const struct intake_context *ctx, const struct intake_receipt *r,
			 char **subject, char **body)
{
	char when[96], deadline[96];
	if (cal_format_vi_long(r->received_at, when, sizeof when) != 0)
		snprintf(when, sizeof when, "%lld", (long long)r->received_at);
	if (cal_format_vi_long(ctx->period->unit_deadline, deadline, sizeof deadline) != 0)
		snprintf(deadline, sizeof deadline, "-");
	*subject = xasprintf("Biên nhận báo cáo %s kỳ %s - %s", ctx->series->name, r->period,
			     ctx->unit_name);
	*body = xasprintf(
		"Hệ thống baocao đã nhận báo cáo của %s.\n\n"
		"Loại báo cáo: %s\nKỳ báo cáo: %s\nLần gửi: %d\nThời điểm nhận: %s\n"
		"Hạn gửi: %s\nĐúng hạn: %s\nSố nhiệm vụ: %zu\nSHA-256: %s\n\n"
		"Biên nhận có chữ ký số của máy chủ; có thể kiểm tra bằng lệnh "
		"baocaoctl receipt verify.\nChữ ký: %s\n",
		ctx->unit_name, ctx->series->title, r->period, r->version, when, deadline,
		r->on_time ? "có" : "không (gửi muộn)", r->items, r->sha256, r->signature);
}

/* Reads the stored receipt of a submission row (id, version, received, sha, on_time, items). */
static void receipt_from_row(PGresult *r, int row, const struct intake_context *ctx,
			     struct intake_receipt *out)
{
	memset(out, 0, sizeof *out);
	out->submission = atoll(PQgetvalue(r, row, 0));
	out->version = atoi(PQgetvalue(r, row, 1));
	out->received_at = (time_t)atoll(PQgetvalue(r, row, 2));
	snprintf(out->sha256, sizeof out->sha256, "%s", PQgetvalue(r, row, 3));
	out->on_time = strcmp(PQgetvalue(r, row, 4), "t") == 0;
	out->items = (size_t)atoll(PQgetvalue(r, row, 5));
	snprintf(out->signature, sizeof out->signature, "%s", PQgetvalue(r, row, 6));
	snprintf(out->series, sizeof out->series, "%s", ctx->series->name);
	snprintf(out->period, sizeof out->period, "%s", ctx->period->id);
	snprintf(out->unit, sizeof out->unit, "%s", ctx->unit_code);
}

/* The report's items as a JSON array of records, for jsonb_to_recordset. */
static void items_json(const struct intake_report *report, struct strbuf *out)
{
	struct json j;
	json_init(&j, out);
	json_array_begin(&j);
	for (size_t i = 0; i < report->nitems; i++) {
		const struct intake_item *it = &report->items[i];
		char done[11];
		json_object_begin(&j);
		json_kv_int(&j, "task_id", it->task_id);
		json_kv_string(&j, "status", task_state_code(it->state));
		json_key(&j, "progress");
		if (it->progress >= 0)
			json_int(&j, it->progress);
		else
			json_null(&j);
		json_key(&j, "completed_on");
		if (it->has_completed) {
			cal_format_date(it->completed_on, done);
			json_string(&j, done);
		} else {
			json_null(&j);
		}
		json_kv_string(&j, "result", it->result);
		json_kv_string(&j, "difficulties", it->difficulties);
		json_kv_string(&j, "proposals", it->proposals);
		json_kv_string(&j, "note", it->note);
		json_object_end(&j);
	}
	json_array_end(&j);
}

/* The audit entry's detail of a stored submission. */
static char *audit_detail(const struct intake_context *ctx, const struct intake_receipt *r,
			  const char *channel)
{
	struct strbuf detail = STRBUF_INIT;
	struct json j;
	json_init(&j, &detail);
	json_object_begin(&j);
	json_kv_string(&j, "series", ctx->series->name);
	json_kv_string(&j, "period", ctx->period->id);
	json_kv_string(&j, "unit", ctx->unit_code);
	json_kv_int(&j, "version", r->version);
	json_kv_bool(&j, "on_time", r->on_time);
	json_kv_string(&j, "channel", channel);
	json_kv_string(&j, "sha256", r->sha256);
	json_object_end(&j);
	return strbuf_detach(&detail);
}

/* What one store transaction works with. */
struct store {
	const struct intake_context *ctx;
	const struct intake_report *report;
	const struct principal *who;
	bool on_behalf;
	const char *channel;
	const void *file;
	size_t file_len;
	const char *remote_addr;
	time_t now;
	const struct keys *keys;
	struct intake_receipt *receipt;
	char sha[65];
};

/* The transaction's answer when the same file is already the current version. */
#define STORE_REPEATED 1

/* The body of the store transaction: locks, numbers, signs and writes one version. */
static int store_tx(PGconn *conn, void *arg, char **err)
{
	struct store *st = arg;
	const struct intake_context *ctx = st->ctx;
	struct intake_receipt *receipt = st->receipt;
	char period_id[24], unit_id[24], account_id[24], nowbuf[24];
	snprintf(period_id, sizeof period_id, "%lld", ctx->period->db_id);
	snprintf(unit_id, sizeof unit_id, "%lld", ctx->unit_id);
	snprintf(account_id, sizeof account_id, "%lld", st->who->account_id);
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)st->now);

	/* One upload at a time per unit and period; the period's row is read under a share
	 * lock, so the cut-off (which changes its state) comes wholly before or after. */
	const char *pl[] = { period_id, unit_id };
	PGresult *r = db_run(conn, "intake",
	       "SELECT p.state, extract(epoch FROM p.unit_deadline)::bigint, "
	       "  pg_advisory_xact_lock(hashtextextended('submission:' || $1::bigint || ':' || "
	       "    $2::bigint, 0)) "
	       "FROM period p WHERE p.id = $1::bigint FOR SHARE", 2, pl, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "skipped") == 0) {
		*err = xasprintf("intake: period %s is %s", ctx->period->id,
				 PQntuples(r) ? "skipped" : "gone");
		PQclear(r);
		return -1;
	}
	bool open = strcmp(PQgetvalue(r, 0, 0), "open") == 0;
	time_t deadline = (time_t)atoll(PQgetvalue(r, 0, 1));
	PQclear(r);

	/* The current version (if any), the next version number and the next id. */
	r = db_run(conn, "intake",
	       "SELECT s.id, s.version, extract(epoch FROM s.received_at)::bigint, "
	       "  encode(s.sha256, 'hex'), s.on_time, (SELECT count(*) FROM report_item i "
	       "  WHERE i.submission_id = s.id), s.receipt_signature, n.version, "
	       "  nextval(pg_get_serial_sequence('submission', 'id')) "
	       "FROM (SELECT coalesce(max(version), 0) + 1 AS version FROM submission "
	       "      WHERE period_id = $1 AND unit_id = $2) n "
	       "LEFT JOIN submission s ON s.period_id = $1 AND s.unit_id = $2 AND NOT s.superseded",
	       2, pl, err);
	if (r == NULL)
		return -1;
	bool has_current = !PQgetisnull(r, 0, 0);
	if (has_current && strcmp(PQgetvalue(r, 0, 3), st->sha) == 0) {
		receipt_from_row(r, 0, ctx, receipt);
		receipt->repeated = true;
		PQclear(r);
		return STORE_REPEATED;
	}
	memset(receipt, 0, sizeof *receipt);
	receipt->version = atoi(PQgetvalue(r, 0, 7));
	receipt->submission = atoll(PQgetvalue(r, 0, 8));
	PQclear(r);
	receipt->received_at = st->now;
	snprintf(receipt->sha256, sizeof receipt->sha256, "%s", st->sha);
	/* Once the cut-off has run, whatever comes is late, whatever the clock says. */
	receipt->on_time = open && st->now <= deadline;
	receipt->items = st->report->nitems;
	snprintf(receipt->series, sizeof receipt->series, "%s", ctx->series->name);
	snprintf(receipt->period, sizeof receipt->period, "%s", ctx->period->id);
	snprintf(receipt->unit, sizeof receipt->unit, "%s", ctx->unit_code);
	receipt_sign(receipt, st->keys);

	/* The current version steps aside first: at most one is current (a unique index). */
	if (has_current) {
		r = db_run(conn, "intake", "UPDATE submission SET superseded = true "
			   "WHERE period_id = $1 AND unit_id = $2 AND NOT superseded", 2, pl, err);
		if (r == NULL)
			return -1;
		PQclear(r);
	}
	char sub_id[24], version[16];
	snprintf(sub_id, sizeof sub_id, "%lld", receipt->submission);
	snprintf(version, sizeof version, "%d", receipt->version);
	bool with_file = strcmp(st->channel, "xlsx") == 0;
	const struct intake_report *report = st->report;
	const char *ps[] = { sub_id, period_id, unit_id, version, nowbuf, account_id, st->channel,
			     with_file ? st->file : NULL, st->sha, receipt->on_time ? "t" : "f",
			     report->general_difficulties ? report->general_difficulties : "",
			     report->general_proposals ? report->general_proposals : "",
			     receipt->signature, st->on_behalf ? "t" : "f" };
	/* The file goes as a binary parameter: no hex copy of a large upload. */
	int lengths[14] = { 0, 0, 0, 0, 0, 0, 0, (int)st->file_len, 0, 0, 0, 0, 0, 0 };
	int formats[14] = { 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	r = db_query(conn,
	       "INSERT INTO submission (id, period_id, unit_id, version, received_at, account_id, "
	       "  channel, file, sha256, on_time, general_difficulties, general_proposals, "
	       "  receipt_signature, on_behalf) OVERRIDING SYSTEM VALUE "
	       "VALUES ($1, $2, $3, $4, to_timestamp($5::bigint), $6, $7, $8::bytea, "
	       "  decode($9, 'hex'), $10, $11, $12, $13, $14)", 14, ps, lengths, formats);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		*err = xasprintf("intake: %s", str_trim(PQresultErrorMessage(r)));
		PQclear(r);
		return -1;
	}
	PQclear(r);

	struct strbuf items = STRBUF_INIT;
	items_json(report, &items);
	const char *pi[] = { sub_id, items.data };
	r = db_run(conn, "intake",
	       "INSERT INTO report_item (submission_id, task_id, status, progress, "
	       "  completed_on, result, difficulties, proposals, note) "
	       "SELECT $1, x.task_id, x.status, x.progress, x.completed_on, x.result, "
	       "  x.difficulties, x.proposals, x.note "
	       "FROM jsonb_to_recordset($2::jsonb) AS x(task_id bigint, status text, "
	       "  progress smallint, completed_on date, result text, difficulties text, "
	       "  proposals text, note text)", 2, pi, err);
	strbuf_free(&items);
	if (r == NULL)
		return -1;
	PQclear(r);

	/* The audit entry and the receipt mail, together. */
	char *detail = audit_detail(ctx, receipt, st->channel);
	char *subject = NULL, *body = NULL;
	receipt_mail(ctx, receipt, &subject, &body);
	char key[64];
	snprintf(key, sizeof key, "receipt:%lld", receipt->submission);
	const char *pa[] = { account_id, st->who->login, sub_id, detail,
			     st->remote_addr ? st->remote_addr : "", key, subject, body,
			     st->on_behalf ? "submit_on_behalf" : "submit" };
	r = db_run(conn, "intake",
	       "WITH audit AS (INSERT INTO audit_log (account_id, actor, action, object_type, "
	       "  object_id, detail, remote_addr) VALUES ($1, $2, $9, 'submission', $3, "
	       "  $4::jsonb, $5)) "
	       "INSERT INTO outbox (dedup_key, recipient, subject, body) "
	       "SELECT $6, email, $7, $8 FROM account WHERE id = $1 "
	       "ON CONFLICT (dedup_key) DO NOTHING", 9, pa, err);
	free(detail);
	free(subject);
	free(body);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* Stores a checked report, in as few round trips as the work allows. */
enum intake_result intake_store(PGconn *conn, const struct intake_context *ctx,
				const struct intake_report *report, const struct principal *who,
				bool on_behalf, const char *channel, const void *file,
				size_t file_len, const char *remote_addr, time_t now,
				const struct keys *keys, struct intake_receipt *receipt, char **err)
{
	struct store st = { ctx, report, who, on_behalf, channel, file, file_len, remote_addr,
			    now, keys, receipt, "" };
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, file, file_len);
	sodium_bin2hex(st.sha, sizeof st.sha, digest, sizeof digest);
	int rc = db_tx(conn, store_tx, &st, err);
	return rc == 0 || rc == STORE_REPEATED ? INTAKE_OK : INTAKE_DB;
}
