/* Reading a plan's task table (CSV or .xlsx) into tasks: the grid of cells, the header, rows
 * that continue the one above, and the units each task names. */
#include "tasks.h"
#include "audit.h"
#include "csv.h"
#include "db.h"
#include "json.h"
#include "units.h"
#include "utf8.h"
#include "util.h"
#include "xlsx_read.h"
#include "xmltext.h"
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TASKS_MAX_ROWS 20000		/* rows of a table, headings and blank rows included */
#define TASKS_MAX_COLS 64		/* columns looked at; cells further right are ignored */
#define TASKS_HEADER_ROWS 30		/* rows searched for the header */

struct grid_row {
	uint32_t num;		/* CSV line or worksheet row */
	char **cells;		/* by column, 0-based; NULL for an empty cell */
	size_t ncells;
};

struct grid {
	struct grid_row *rows;
	size_t n;
	bool xlsx;
	bool too_many;
	char *bad_text;		/* the first cell outside the text rule (xmltext.h), named */
};

/* Frees the grid. */
static void grid_free(struct grid *g)
{
	for (size_t i = 0; i < g->n; i++) {
		for (size_t c = 0; c < g->rows[i].ncells; c++)
			free(g->rows[i].cells[c]);
		free(g->rows[i].cells);
	}
	free(g->rows);
	free(g->bad_text);
}

/* The row numbered num, made if needed; NULL when the grid is full. */
static struct grid_row *grid_row_at(struct grid *g, uint32_t num)
{
	size_t pos = g->n;
	while (pos > 0 && g->rows[pos - 1].num > num)
		pos--;
	if (pos > 0 && g->rows[pos - 1].num == num)
		return &g->rows[pos - 1];
	if (g->n >= TASKS_MAX_ROWS) {
		g->too_many = true;
		return NULL;
	}
	g->rows = xrealloc(g->rows, (g->n + 1) * sizeof *g->rows);
	memmove(g->rows + pos + 1, g->rows + pos, (g->n - pos) * sizeof *g->rows);
	g->rows[pos] = (struct grid_row){ num, NULL, 0 };
	g->n++;
	return &g->rows[pos];
}

/* Sets a cell; takes text. */
static void grid_set(struct grid_row *r, size_t col, char *text)
{
	if (col >= r->ncells) {
		r->cells = xrealloc(r->cells, (col + 1) * sizeof *r->cells);
		for (size_t c = r->ncells; c <= col; c++)
			r->cells[c] = NULL;
		r->ncells = col + 1;
	}
	free(r->cells[col]);
	r->cells[col] = text;
}

/* Keeps one CSV record as a row. */
static int grid_csv_record(void *arg, char **fields, int nfields, int line)
{
	struct grid *g = arg;
	struct grid_row *r = grid_row_at(g, (uint32_t)line);
	if (r == NULL)
		return 1;
	for (int i = 0; i < nfields; i++)
		grid_set(r, (size_t)i, xstrdup(fields[i]));
	return 0;
}

/* Keeps one worksheet cell, as text. */
static bool grid_xlsx_cell(const struct xlsx_cell *c, void *arg)
{
	struct grid *g = arg;
	if (c->col > TASKS_MAX_COLS)
		return true;
	char *text;
	switch (c->type) {
	case XLSX_STRING:
	case XLSX_ERROR:
		text = xstrndup(c->str, c->len);
		break;
	case XLSX_NUMBER:
		if (c->num == floor(c->num) && fabs(c->num) < 1e15)
			text = xasprintf("%.0f", c->num);
		else
			text = xasprintf("%.15g", c->num);
		break;
	case XLSX_DATE:
		text = xasprintf("%02d/%02d/%04d", c->dt.day, c->dt.month, c->dt.year);
		break;
	case XLSX_BOOL:
		text = xstrdup(c->boolean ? "TRUE" : "FALSE");
		break;
	default:
		return true;
	}
	struct xmltext_bad bad;
	if (g->bad_text == NULL && xmltext_find(text, strlen(text), &bad)) {
		char ref[XLSX_REF_MAX];
		xlsx_ref_format(c->row, c->col, ref);
		g->bad_text = bad.cp < 0
			? xasprintf("ô %s: không phải văn bản UTF-8", ref)
			: xasprintf("ô %s: có ký tự không hợp lệ (U+%04lX); hãy xoá ký tự đó rồi "
				    "nhập lại", ref, (unsigned long)bad.cp);
	}
	struct grid_row *r = grid_row_at(g, c->row);
	if (r == NULL) {
		free(text);
		return false;
	}
	grid_set(r, c->col - 1, text);
	return true;
}

/* Reads the first visible worksheet of a workbook; returns 0 or -1 with errs. */
static int grid_read_xlsx(const void *data, size_t len, struct grid *g, char **sheet,
			  struct tasks_errors *errs)
{
	struct xlsx *x = NULL;
	char *detail = NULL;
	enum xlsx_error xe = xlsx_open_memory(data, len, NULL, &x, &detail);
	if (xe != XLSX_OK) {
		tasks_errors_add(errs, "cannot read the workbook: %s (%s)", xlsx_error_message(xe),
			   detail ? detail : xlsx_error_code(xe));
		free(detail);
		return -1;
	}
	size_t n = xlsx_sheet_count(x), i;
	for (i = 0; i < n; i++)
		if (xlsx_sheet_state(x, i) == XLSX_VISIBLE && xlsx_sheet_kind(x, i) == XLSX_WORKSHEET)
			break;
	if (i == n) {
		tasks_errors_add(errs, "the workbook has no visible worksheet");
		xlsx_close(x);
		return -1;
	}
	*sheet = xstrdup(xlsx_sheet_name(x, i));
	xe = xlsx_sheet_read(x, i, grid_xlsx_cell, g);
	int rc = 0;
	if (g->too_many) {
		tasks_errors_add(errs, "sheet '%s': more than %d rows", *sheet, TASKS_MAX_ROWS);
		rc = -1;
	} else if (xe != XLSX_OK) {
		tasks_errors_add(errs, "sheet '%s': %s (%s)", *sheet, xlsx_error_message(xe),
			   xlsx_detail(x));
		rc = -1;
	} else if (g->bad_text != NULL) {
		tasks_errors_add(errs, "sheet '%s', %s", *sheet, g->bad_text);
		rc = -1;
	}
	xlsx_close(x);
	return rc;
}

/* Reads CSV text; returns 0 or -1 with errs. */
static int grid_read_csv(const char *data, size_t len, struct grid *g, struct tasks_errors *errs)
{
	if (!utf8_valid(data, len)) {
		tasks_errors_add(errs, "the file is neither an .xlsx workbook nor UTF-8 text; save it as "
			   "\"CSV UTF-8\" or as an Excel workbook (.xlsx)");
		return -1;
	}
	char *problem = xmltext_file_problem(data, len);
	if (problem != NULL) {
		tasks_errors_add(errs, "%s", problem);
		free(problem);
		return -1;
	}
	int bad_line = 0;
	int rc = csv_parse(data, len, grid_csv_record, g, &bad_line);
	if (rc == -1) {
		tasks_errors_add(errs, "line %d: malformed CSV (a quote that is not closed, or a quote "
			   "inside an unquoted field)", bad_line);
		return -1;
	}
	if (g->too_many) {
		tasks_errors_add(errs, "more than %d lines", TASKS_MAX_ROWS);
		return -1;
	}
	return 0;
}

/* ---- from the grid to tasks ---- */

enum col { COL_TT, COL_CONTENT, COL_LEAD, COL_COOP, COL_RESULT, COL_DEADLINE, COL_CODE, NCOLS };

/* The columns' titles as the appendices write them, for messages. */
static const char *const col_title[NCOLS] = {
	"TT", "Nội dung", "Cơ quan chủ trì", "Cơ quan phối hợp", "Kết quả",
	"Thời gian hoàn thành", "Mã nhiệm vụ",
};

/* Folded titles that name each column. */
static const struct {
	const char *folded;
	enum col col;
} header_titles[] = {
	{ "tt", COL_TT }, { "stt", COL_TT }, { "so tt", COL_TT },
	{ "noi dung", COL_CONTENT }, { "noi dung nhiem vu", COL_CONTENT },
	{ "nhiem vu", COL_CONTENT }, { "ten nhiem vu", COL_CONTENT },
	{ "co quan chu tri", COL_LEAD }, { "don vi chu tri", COL_LEAD }, { "chu tri", COL_LEAD },
	{ "co quan phoi hop", COL_COOP }, { "don vi phoi hop", COL_COOP }, { "phoi hop", COL_COOP },
	{ "ket qua", COL_RESULT }, { "san pham", COL_RESULT }, { "ket qua du kien", COL_RESULT },
	{ "san pham du kien", COL_RESULT }, { "ket qua/san pham", COL_RESULT },
	{ "ket qua, san pham", COL_RESULT }, { "san pham, ket qua", COL_RESULT },
	{ "thoi gian hoan thanh", COL_DEADLINE }, { "thoi han hoan thanh", COL_DEADLINE },
	{ "thoi gian thuc hien", COL_DEADLINE }, { "thoi han", COL_DEADLINE },
	{ "ma nhiem vu", COL_CODE }, { "ma", COL_CODE }, { "ma so", COL_CODE },
};

/* The column a header cell names, or -1. */
static int header_col(const char *cell)
{
	char *f = task_fold(cell);
	if (f == NULL)
		return -1;
	size_t n = strlen(f);
	while (n > 0 && (f[n - 1] == ':' || f[n - 1] == '.' || f[n - 1] == '*' || f[n - 1] == ' '))
		f[--n] = '\0';
	int col = -1;
	for (size_t i = 0; i < nitems(header_titles); i++)
		if (strcmp(f, header_titles[i].folded) == 0)
			col = (int)header_titles[i].col;
	free(f);
	return col;
}

/* The text of a cell; "" for an empty or missing one. */
static const char *cell_at(const struct grid_row *r, int col)
{
	if (col < 0 || (size_t)col >= r->ncells || r->cells[col] == NULL)
		return "";
	return r->cells[col];
}

/* A copy of text with surrounding white space trimmed and inner runs made one space. */
char *tasks_squash(const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	bool space = false;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		bool blank = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
		if (!blank && p[0] == 0xC2 && p[1] == 0xA0) {
			blank = true;
			p++;
		}
		if (blank) {
			space = true;
			continue;
		}
		if (space && sb.len > 0)
			strbuf_addc(&sb, ' ');
		space = false;
		strbuf_addc(&sb, (char)*p);
	}
	return strbuf_detach(&sb);
}

/* Whether s is a Roman numeral from I to XXXIX (upper or lower case), after a final '.'. */
static bool is_roman(const char *s)
{
	char buf[16];
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof buf)
		return false;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i]);
	buf[n] = '\0';
	if (buf[n - 1] == '.')
		buf[--n] = '\0';
	if (n == 0)
		return false;
	const char *p = buf;
	for (int tens = 0; *p == 'X' && tens < 3; tens++)
		p++;
	static const char *const ones[] = { "IX", "VIII", "VII", "VI", "V", "IV", "III", "II",
					    "I", "" };
	for (size_t i = 0; i < nitems(ones); i++) {
		size_t l = strlen(ones[i]);
		if (strncmp(p, ones[i], l) == 0 && p[l] == '\0')
			return p != buf || l > 0;
	}
	return false;
}

/* Whether a row only numbers the columns: "1", "2", ... or "(1)", "(2)", ... */
static bool is_column_numbers(const struct grid_row *r)
{
	size_t numbers = 0;
	for (size_t c = 0; c < r->ncells; c++) {
		const char *s = r->cells[c];
		if (s == NULL)
			continue;
		while (*s == ' ')
			s++;
		if (*s == '\0')
			continue;
		bool paren = *s == '(';
		s += paren;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
		if (paren && *s++ != ')')
			return false;
		while (*s == ' ')
			s++;
		if (*s != '\0')
			return false;
		numbers++;
	}
	return numbers >= 3;
}

/* Whether a task code has the allowed form (the schema's check). */
static bool code_valid(const char *code)
{
	size_t n = strlen(code);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = code[i];
		bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

/* Where a row is, for messages. */
static char *row_where(const struct grid *g, const struct grid_row *r)
{
	return xasprintf(g->xlsx ? "row %u" : "line %u", r->num);
}

/* Where a cell is, for messages: its reference in a workbook, its line in CSV. */
static char *cell_where(const struct grid *g, const struct grid_row *r, int col)
{
	if (!g->xlsx || col < 0)
		return row_where(g, r);
	char ref[XLSX_REF_MAX];
	xlsx_ref_format(r->num, (uint32_t)col + 1, ref);
	return xasprintf("cell %s", ref);
}

/* Appends more text to a field, after a space. */
static void append_text(char **field, const char *more)
{
	if (more[0] == '\0')
		return;
	char *joined = (*field)[0] ? xasprintf("%s %s", *field, more) : xstrdup(more);
	free(*field);
	*field = joined;
}

/* Frees one task. */
static void task_free(struct tasks_task *t)
{
	free(t->code);
	free(t->tt);
	free(t->section);
	free(t->title);
	free(t->lead_text);
	free(t->coop_text);
	free(t->result);
	free(t->deadline_text);
	free(t->where);
	free(t->lead_where);
	free(t->coop_where);
	tasks_units_free(&t->leads);
	tasks_units_free(&t->coops);
}

/* Frees the table. */
void tasks_table_free(struct tasks_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		task_free(&t->tasks[i]);
	free(t->tasks);
	free(t->sheet);
	memset(t, 0, sizeof *t);
}

/* What the rows under the header are turned into. */
struct table_reader {
	const struct grid *g;
	int col[NCOLS];
	size_t header_cols;	/* columns the header spans */
	struct tasks_table *out;
	struct tasks_errors *errs;
	char *roman;		/* the current section's numeral, or NULL */
	char *heading;		/* its title */
	enum { LAST_NONE, LAST_HEADING, LAST_TASK } last;
	bool last_ok;		/* the last task was kept (a continuation goes to it) */
};

/* The section text of the current heading: "I. Hoàn thiện ...". */
static char *section_text(const struct table_reader *tr)
{
	if (tr->roman == NULL)
		return xstrdup("");
	if (tr->heading == NULL || tr->heading[0] == '\0')
		return xstrdup(tr->roman);
	return xasprintf("%s. %s", tr->roman, tr->heading);
}

/* Turns the cells of one task row into a task; problems go to errs. */
static void read_task(struct table_reader *tr, const struct grid_row *r, const char *tt)
{
	const struct grid *g = tr->g;
	struct tasks_task t = { 0 };
	t.where = row_where(g, r);
	t.tt = xstrdup(tt);
	size_t n = strlen(t.tt);
	while (n > 0 && (t.tt[n - 1] == '.' || t.tt[n - 1] == ')'))
		t.tt[--n] = '\0';
	t.section = section_text(tr);
	t.title = tasks_squash(cell_at(r, tr->col[COL_CONTENT]));
	/* Units keep their line breaks: a cell may list one unit per line. */
	t.lead_text = str_trim(xstrdup(cell_at(r, tr->col[COL_LEAD])));
	t.coop_text = str_trim(xstrdup(cell_at(r, tr->col[COL_COOP])));
	t.result = tasks_squash(cell_at(r, tr->col[COL_RESULT]));
	t.deadline_text = tasks_squash(cell_at(r, tr->col[COL_DEADLINE]));
	t.lead_where = cell_where(g, r, tr->col[COL_LEAD]);
	t.coop_where = cell_where(g, r, tr->col[COL_COOP]);
	t.ordinal = (int)tr->out->n + 1;
	bool ok = true;

	char *code = tasks_squash(cell_at(r, tr->col[COL_CODE]));
	if (code[0] == '\0') {
		free(code);
		if (t.tt[0] == '\0') {
			tasks_errors_add(tr->errs, "%s: the task has neither a TT nor a %s", t.where,
				   col_title[COL_CODE]);
			code = xstrdup("");
			ok = false;
		} else if (tr->roman != NULL && !is_roman(t.tt)) {
			code = xasprintf("%s.%s", tr->roman, t.tt);
		} else {
			code = xstrdup(t.tt);
		}
		if (ok && !code_valid(code)) {
			tasks_errors_add(tr->errs, "%s: TT '%s' does not make a task code (letters, digits, "
				   "'.', '_' and '-'): add a %s column", t.where, tt,
				   col_title[COL_CODE]);
			ok = false;
		}
	} else if (!code_valid(code)) {
		char *w = cell_where(g, r, tr->col[COL_CODE]);
		tasks_errors_add(tr->errs, "%s: invalid task code '%s' (a letter or digit, then letters, "
			   "digits, '.', '_' and '-', at most 64)", w, code);
		free(w);
		ok = false;
	}
	t.code = code;
	char *task = code[0] ? xasprintf("task %s", code) : xstrdup("the task");
	for (size_t i = 0; ok && i < tr->out->n; i++) {
		if (strcmp(tr->out->tasks[i].code, code) == 0) {
			tasks_errors_add(tr->errs, "%s: task code %s is already used on %s", t.where, code,
				   tr->out->tasks[i].where);
			ok = false;
		}
	}
	if (t.title[0] == '\0') {
		tasks_errors_add(tr->errs, "%s: %s: %s is empty", t.where, task, col_title[COL_CONTENT]);
		ok = false;
	}
	if (t.lead_text[0] == '\0') {
		tasks_errors_add(tr->errs, "%s: %s: %s is empty", t.lead_where, task, col_title[COL_LEAD]);
		ok = false;
	}
	free(task);
	tr->last = LAST_TASK;
	tr->last_ok = ok;
	if (!ok) {
		task_free(&t);
		return;
	}
	tr->out->tasks = xrealloc(tr->out->tasks, (tr->out->n + 1) * sizeof *tr->out->tasks);
	tr->out->tasks[tr->out->n++] = t;
}

/* Checks the deadline texts once continuation rows have completed them. */
static void read_deadlines(struct table_reader *tr)
{
	for (size_t i = 0; i < tr->out->n; i++) {
		struct tasks_task *t = &tr->out->tasks[i];
		if (t->deadline_text[0] == '\0') {
			tasks_errors_add(tr->errs, "%s: task %s: %s is empty (write \"Thường xuyên\" for an "
				   "ongoing task)", t->where, t->code, col_title[COL_DEADLINE]);
			continue;
		}
		char *err = NULL;
		if (task_deadline_parse(t->deadline_text, &t->deadline, &err) != 0) {
			tasks_errors_add(tr->errs, "%s: task %s: %s: %s", t->where, t->code,
				   col_title[COL_DEADLINE], err);
			free(err);
		}
	}
}

/* Finds the header row; returns its index, or -1 after reporting why not. */
static long find_header(struct table_reader *tr)
{
	const struct grid *g = tr->g;
	for (size_t i = 0; i < g->n && i < TASKS_HEADER_ROWS; i++) {
		const struct grid_row *r = &g->rows[i];
		int col[NCOLS], matched = 0;
		for (int c = 0; c < NCOLS; c++)
			col[c] = -1;
		for (size_t c = 0; c < r->ncells; c++) {
			int which = r->cells[c] ? header_col(r->cells[c]) : -1;
			if (which >= 0 && col[which] < 0) {
				col[which] = (int)c;
				matched++;
			}
		}
		if (matched < 3)
			continue;
		char *w = row_where(g, r);
		int missing = 0;
		for (int c = 0; c < NCOLS; c++) {
			if (c != COL_CODE && col[c] < 0) {
				tasks_errors_add(tr->errs, "%s: the header has no column '%s'", w,
					   col_title[c]);
				missing++;
			}
		}
		for (size_t c = 0; c < r->ncells; c++) {
			int which = r->cells[c] ? header_col(r->cells[c]) : -1;
			if (which >= 0 && col[which] != (int)c) {
				tasks_errors_add(tr->errs, "%s: the column '%s' appears twice", w,
					   col_title[which]);
				missing++;
			}
		}
		free(w);
		if (missing)
			return -1;
		memcpy(tr->col, col, sizeof col);
		tr->header_cols = r->ncells;
		return (long)i;
	}
	tasks_errors_add(tr->errs, "no header row: the table needs the columns TT, Nội dung, Cơ quan chủ "
		   "trì, Cơ quan phối hợp, Kết quả and Thời gian hoàn thành (and optionally Mã "
		   "nhiệm vụ) in one of its first %d rows", TASKS_HEADER_ROWS);
	return -1;
}

/* Reads one row under the header. */
static void read_row(struct table_reader *tr, const struct grid_row *r)
{
	const struct grid *g = tr->g;
	bool empty = true;
	for (size_t c = 0; c < r->ncells; c++) {
		if (r->cells[c] == NULL)
			continue;
		char *s = tasks_squash(r->cells[c]);
		bool blank = s[0] == '\0';
		free(s);
		if (blank)
			continue;
		empty = false;
		if (!g->xlsx && c >= tr->header_cols) {
			char *w = row_where(g, r);
			tasks_errors_add(tr->errs, "%s: more fields than the header has (quote a cell that "
				   "contains a comma)", w);
			free(w);
			return;
		}
	}
	if (empty || is_column_numbers(r))
		return;
	char *tt = tasks_squash(cell_at(r, tr->col[COL_TT]));
	char *lead = tasks_squash(cell_at(r, tr->col[COL_LEAD]));
	char *coop = tasks_squash(cell_at(r, tr->col[COL_COOP]));
	char *result = tasks_squash(cell_at(r, tr->col[COL_RESULT]));
	char *deadline = tasks_squash(cell_at(r, tr->col[COL_DEADLINE]));
	char *code = tasks_squash(cell_at(r, tr->col[COL_CODE]));
	char *content = tasks_squash(cell_at(r, tr->col[COL_CONTENT]));
	bool no_units = lead[0] == '\0' && coop[0] == '\0';
	if (is_roman(tt) && no_units && result[0] == '\0' && deadline[0] == '\0' &&
	    code[0] == '\0') {
		free(tr->roman);
		free(tr->heading);
		tr->roman = xstrdup(tt);
		size_t n = strlen(tr->roman);
		if (tr->roman[n - 1] == '.')
			tr->roman[n - 1] = '\0';
		tr->heading = xstrdup(content);
		tr->last = LAST_HEADING;
	} else if (tt[0] == '\0' && code[0] == '\0' && no_units) {
		/* A continuation of the row above, as PDF extraction splits long cells. */
		if (tr->last == LAST_HEADING) {
			append_text(&tr->heading, content);
		} else if (tr->last == LAST_TASK && tr->last_ok) {
			struct tasks_task *t = &tr->out->tasks[tr->out->n - 1];
			append_text(&t->title, content);
			append_text(&t->result, result);
			append_text(&t->deadline_text, deadline);
		} else if (tr->last == LAST_NONE) {
			char *w = row_where(g, r);
			tasks_errors_add(tr->errs, "%s: a row without TT and units before the first task",
				   w);
			free(w);
		}
	} else {
		read_task(tr, r, tt);
	}
	free(tt);
	free(lead);
	free(coop);
	free(result);
	free(deadline);
	free(code);
	free(content);
}

/* Reads a task table. */
int tasks_table_read(const void *data, size_t len, struct tasks_table *out,
		     struct tasks_errors *errs)
{
	memset(out, 0, sizeof *out);
	struct grid g = { 0 };
	size_t before = errs->total;
	const unsigned char *b = data;
	bool zip = len >= 4 && memcmp(b, "PK\x03\x04", 4) == 0;
	bool ole = len >= 8 && memcmp(b, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0;
	int rc;
	if (zip || ole) {
		g.xlsx = out->xlsx = true;
		rc = grid_read_xlsx(data, len, &g, &out->sheet, errs);
	} else {
		rc = grid_read_csv(data, len, &g, errs);
	}
	if (rc != 0) {
		grid_free(&g);
		return -1;
	}
	struct table_reader tr = { .g = &g, .out = out, .errs = errs };
	long header = find_header(&tr);
	if (header >= 0) {
		for (size_t i = (size_t)header + 1; i < g.n; i++)
			read_row(&tr, &g.rows[i]);
		read_deadlines(&tr);
		if (out->n == 0 && errs->total == before)
			tasks_errors_add(errs, "the table has no task under its header");
	}
	free(tr.roman);
	free(tr.heading);
	grid_free(&g);
	return errs->total == before ? 0 : -1;
}

/* Resolves the units of every task. */
int tasks_table_resolve(struct tasks_table *t, const struct tasks_directory *d,
			struct tasks_errors *errs)
{
	size_t before = errs->total;
	for (size_t i = 0; i < t->n; i++) {
		struct tasks_task *task = &t->tasks[i];
		char *err = NULL;
		tasks_units_free(&task->leads);
		tasks_units_free(&task->coops);
		if (tasks_resolve(d, task->lead_text, false, &task->leads, &err) != 0) {
			tasks_errors_add(errs, "%s: task %s: %s: %s", task->lead_where, task->code,
				   col_title[COL_LEAD], err);
			free(err);
		} else if (task->leads.n == 0) {
			tasks_errors_add(errs, "%s: task %s: %s: '%s' names no active unit",
				   task->lead_where, task->code, col_title[COL_LEAD], task->lead_text);
		}
		struct tasks_units coops;
		if (tasks_resolve(d, task->coop_text, true, &coops, &err) != 0) {
			tasks_errors_add(errs, "%s: task %s: %s: %s", task->coop_where, task->code,
				   col_title[COL_COOP], err);
			free(err);
			continue;
		}
		/* A unit that leads does not also cooperate (task_unit has one role per unit). */
		for (size_t k = 0; k < coops.n; k++)
			if (!tasks_units_has(&task->leads, coops.codes[k]))
				tasks_units_add(&task->coops, coops.codes[k]);
		tasks_units_free(&coops);
	}
	return errs->total == before ? 0 : -1;
}
