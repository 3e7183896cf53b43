/* The consolidated workbook's sheets about the reports: "Tổng hợp", "Chi tiết", "Chậm tiến độ",
 * "Kiến nghị". */
#include "consol_sheets.h"
#include "consol_xlsx.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared by the sheets ---- */

/* A section title ("I. TÌNH HÌNH GỬI BÁO CÁO") across the sheet. */
static lxw_row_t section(struct consol_xlsx *w, lxw_worksheet *ws, const struct consol_layout *l,
			 lxw_row_t row, const char *title)
{
	consol_xlsx_merge(w, ws, row, 0, l->ncols - 1, title, w->f.section, "section");
	consol_xlsx_height(w, ws, row, 24);
	return row + 1;
}

/* A group's row in a table: its title, bold, across the table. */
static lxw_row_t group_row(struct consol_xlsx *w, lxw_worksheet *ws,
			   const struct consol_layout *l, lxw_row_t row, const char *group)
{
	consol_xlsx_merge(w, ws, row, 0, l->ncols - 1, consol_group_title(w->doc, group),
			  w->f.group, "group row");
	consol_xlsx_height(w, ws, row, consol_xlsx_row_points(1));
	return row + 1;
}

/* A unit's row over its items: its name, bold and shaded, and what was special about its
 * report. */
static lxw_row_t unit_row(struct consol_xlsx *w, lxw_worksheet *ws, const struct consol_layout *l,
			  lxw_row_t row, const struct consol_unit *u)
{
	strbuf_reset(&w->line);
	strbuf_adds(&w->line, u->name ? u->name : "");
	if (u->state == CONSOL_RETURNED)
		strbuf_adds(&w->line, " (trả lại để bổ sung)");
	else if (u->state == CONSOL_LATE || u->late)
		strbuf_adds(&w->line, " (nộp muộn)");
	else if (u->extension)
		strbuf_addf(&w->line, " (đúng hạn, %s%s)", u->extension,
			    u->supplement ? "; bổ sung sau khóa sổ" : "");
	consol_xlsx_merge(w, ws, row, 0, l->ncols - 1, strbuf_str(&w->line), w->f.unit,
			  "unit row");
	consol_xlsx_height(w, ws, row, consol_xlsx_row_points(
		consol_xlsx_lines(strbuf_str(&w->line),
				  consol_xlsx_span(l, 0, l->ncols - 1) - CONSOL_INDENT_CHARS, 12)));
	return row + 1;
}

/* A line of text across the sheet, e.g. "Không có nhiệm vụ nào chậm tiến độ." */
static lxw_row_t note_row(struct consol_xlsx *w, lxw_worksheet *ws, const struct consol_layout *l,
			  lxw_row_t row, const char *text)
{
	consol_xlsx_merge(w, ws, row, 0, l->ncols - 1, text, w->f.note, "note");
	consol_xlsx_height(w, ws, row, consol_xlsx_row_points(
		consol_xlsx_lines(text, consol_xlsx_span(l, 0, l->ncols - 1), 12)));
	return row + 1;
}

/* The tallest of a row's text cells, in lines: texts[i] in column cols[i], indented unless
 * the column's bit is set in centred. */
static unsigned row_lines(const struct consol_layout *l, const char *const *texts,
			  const lxw_col_t *cols, size_t n, unsigned centred)
{
	unsigned lines = 1;
	for (size_t i = 0; i < n; i++) {
		if (texts[i] == NULL || texts[i][0] == '\0')
			continue;
		double width = l->widths[cols[i]];
		if (!(centred & 1u << cols[i]))
			width -= CONSOL_INDENT_CHARS;
		unsigned k = consol_xlsx_lines(texts[i], width, 12);
		if (k > lines)
			lines = k;
	}
	return lines;
}

/* ---- Tổng hợp ---- */

enum {
	S_STT, S_NAME, S_STATE, S_RECEIVED, S_STATUS, S_TOTAL = S_STATUS + 4, S_COMMENT, S_DOCUMENT,
	S_NCOLS
};
static const double summary_widths[S_NCOLS] = { 6, 30, 15, 16, 11, 11, 11, 11, 8, 19, 30 };
static const struct consol_layout summary_layout = { summary_widths, S_NCOLS, 3 };

/* A small table's row: a label over the first two columns, then numbers. */
static void label_row(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row, const char *label,
		      bool total)
{
	consol_xlsx_merge(w, ws, row, S_STT, S_NAME, label, total ? w->f.total : w->f.text,
			  "label");
	consol_xlsx_height(w, ws, row, consol_xlsx_row_points(consol_xlsx_lines(
		label, consol_xlsx_span(&summary_layout, S_STT, S_NAME) - CONSOL_INDENT_CHARS, 12)));
}

/* I: the units' reports by state. */
static lxw_row_t summary_units(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row,
			       const struct consol_totals *t)
{
	const struct consol_formats *f = &w->f;
	row = section(w, ws, &summary_layout, row, "I. TÌNH HÌNH GỬI BÁO CÁO");
	strbuf_reset(&w->line);
	strbuf_addf(&w->line, "Hạn gửi báo cáo của các đơn vị: %s.",
		    w->doc->deadline_text ? w->doc->deadline_text : "");
	row = note_row(w, ws, &summary_layout, row, strbuf_str(&w->line));
	consol_xlsx_merge(w, ws, row, S_STT, S_NAME, "Chỉ tiêu", f->th, "table header");
	consol_xlsx_str(w, ws, row, S_STATE, "Số đơn vị", f->th, "table header");
	consol_xlsx_str(w, ws, row, S_RECEIVED, "Tỷ lệ so với số phải báo cáo", f->th,
			"table header");
	consol_xlsx_height(w, ws, row++, consol_xlsx_row_points(2));
	label_row(w, ws, row, "Số đơn vị phải báo cáo", true);
	consol_xlsx_num(w, ws, row, S_STATE, t->expected, f->total_count, "expected");
	consol_xlsx_ratio(w, ws, row++, S_RECEIVED, t->expected, t->expected, f->total_pct,
			  "expected");
	for (int s = 0; s < CONSOL_NSTATES; s++) {
		label_row(w, ws, row, consol_state_label_vi((enum consol_state)s), false);
		consol_xlsx_num(w, ws, row, S_STATE, t->by_state[s], f->count, "units");
		consol_xlsx_ratio(w, ws, row++, S_RECEIVED, t->by_state[s], t->expected, f->pct,
				  "units");
	}
	return row;
}

/* II: the items by official status. */
static lxw_row_t summary_tasks(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row,
			       const struct consol_totals *t)
{
	const struct consol_formats *f = &w->f;
	row = section(w, ws, &summary_layout, row + 1, "II. TÌNH HÌNH THỰC HIỆN NHIỆM VỤ");
	consol_xlsx_merge(w, ws, row, S_STT, S_NAME, "Tình trạng nhiệm vụ", f->th,
			  "table header");
	consol_xlsx_str(w, ws, row, S_STATE, "Số nhiệm vụ", f->th, "table header");
	consol_xlsx_str(w, ws, row, S_RECEIVED, "Tỷ lệ so với tổng số", f->th, "table header");
	consol_xlsx_height(w, ws, row++, consol_xlsx_row_points(2));
	unsigned all = 0;
	for (int s = 0; s < 4; s++)
		all += t->by_status[s];
	for (int s = 0; s < 4; s++) {
		label_row(w, ws, row, task_status_label_vi((enum task_status)s), false);
		consol_xlsx_num(w, ws, row, S_STATE, t->by_status[s], f->count, "tasks");
		consol_xlsx_ratio(w, ws, row++, S_RECEIVED, t->by_status[s], all, f->pct, "tasks");
	}
	label_row(w, ws, row, "Tổng số", true);
	consol_xlsx_num(w, ws, row, S_STATE, all, f->total_count, "tasks");
	consol_xlsx_ratio(w, ws, row++, S_RECEIVED, all, all, f->total_pct, "tasks");
	return row;
}

/* The items of the units of a group by status; units of no listed group when group is NULL. */
static void group_counts(const struct consol_doc *doc, const char *group, unsigned out[4])
{
	memset(out, 0, 4 * sizeof out[0]);
	for (size_t i = 0; i < doc->nunits; i++) {
		const struct consol_unit *u = &doc->units[i];
		bool listed = false;
		for (size_t g = 0; g < doc->ngroups && !listed; g++)
			listed = u->group && doc->groups[g].name &&
				 strcmp(u->group, doc->groups[g].name) == 0;
		bool match = group ? (u->group && strcmp(u->group, group) == 0) : !listed;
		for (int s = 0; match && s < 4; s++)
			out[s] += u->status_counts[s];
	}
}

/* III: the items by status for each group; *header is the table's header row, *n its rows. */
static lxw_row_t summary_groups(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row,
				lxw_row_t *header, size_t *n)
{
	const struct consol_doc *doc = w->doc;
	const struct consol_formats *f = &w->f;
	/* A new page: the first holds the counts and the chart. */
	lxw_row_t breaks[] = { row, 0 };
	consol_xlsx_check(w, worksheet_set_h_pagebreaks(ws, breaks), "page break");
	row = section(w, ws, &summary_layout, row, "III. KẾT QUẢ THEO KHỐI ĐƠN VỊ");
	*header = row;
	consol_xlsx_merge(w, ws, row, S_STT, S_NAME, "Khối đơn vị", f->th, "table header");
	for (int s = 0; s < 4; s++)
		consol_xlsx_str(w, ws, row, (lxw_col_t)(S_STATE + s),
				task_status_label_vi((enum task_status)s), f->th, "table header");
	consol_xlsx_str(w, ws, row, S_STATE + 4, "Tổng số", f->th, "table header");
	consol_xlsx_height(w, ws, row++, consol_xlsx_row_points(3));
	unsigned counts[4], other[4];
	group_counts(doc, NULL, other);
	bool others = other[0] + other[1] + other[2] + other[3] > 0;
	*n = doc->ngroups + (others ? 1 : 0);
	for (size_t g = 0; g < *n; g++) {
		if (g < doc->ngroups)
			group_counts(doc, doc->groups[g].name, counts);
		else
			memcpy(counts, other, sizeof counts);
		label_row(w, ws, row, g < doc->ngroups ? consol_group_title(doc, doc->groups[g].name)
						       : "Đơn vị khác", false);
		unsigned all = 0;
		for (int s = 0; s < 4; s++) {
			consol_xlsx_num(w, ws, row, (lxw_col_t)(S_STATE + s), counts[s], f->count,
					"group counts");
			all += counts[s];
		}
		consol_xlsx_num(w, ws, row++, S_STATE + 4, all, f->total_count, "group counts");
	}
	return row;
}

/*
 * The chart of table III (a stacked column of the four statuses per group), beside tables I
 * and II from row `at`. libxlsxwriter sizes it in rows of 20 pixels (in constant-memory mode it
 * no longer knows the heights of written rows): about 15 of them, above the page break.
 */
static void summary_chart(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t at,
			  lxw_row_t header, size_t n)
{
	if (n == 0)
		return;
	lxw_chart *chart = workbook_add_chart(w->x.wb, LXW_CHART_COLUMN_STACKED);
	if (chart == NULL) {
		consol_xlsx_check(w, LXW_ERROR_MEMORY_MALLOC_FAILED, "chart");
		return;
	}
	/* Done on time green, done late amber, in progress on time blue, overdue red. */
	static const uint32_t colors[4] = { 0x70AD47, 0xBF9000, 0x4472C4, 0xC00000 };
	lxw_chart_font font = { .name = (char *)"Times New Roman", .size = 10 };
	for (int s = 0; s < 4; s++) {
		lxw_chart_series *series = chart_add_series(chart, NULL, NULL);
		if (series == NULL) {
			consol_xlsx_check(w, LXW_ERROR_MEMORY_MALLOC_FAILED, "chart series");
			return;
		}
		lxw_col_t col = (lxw_col_t)(S_STATE + s);
		chart_series_set_categories(series, CONSOL_SHEET_SUMMARY, header + 1, S_STT,
					    (lxw_row_t)(header + n), S_STT);
		chart_series_set_values(series, CONSOL_SHEET_SUMMARY, header + 1, col,
					(lxw_row_t)(header + n), col);
		chart_series_set_name_range(series, CONSOL_SHEET_SUMMARY, header, col);
		lxw_chart_fill fill = { .color = colors[s] };
		chart_series_set_fill(series, &fill);
	}
	lxw_chart_font title_font = { .name = (char *)"Times New Roman", .size = 12, .bold = 1 };
	chart_title_set_name(chart, "Nhiệm vụ theo tình trạng và khối đơn vị");
	chart_title_set_name_font(chart, &title_font);
	chart_axis_set_num_font(chart->x_axis, &font);
	chart_axis_set_num_font(chart->y_axis, &font);
	chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
	chart_legend_set_font(chart, &font);
	lxw_chart_options opt = { .x_offset = 12, .y_offset = 4, .x_scale = 1.0, .y_scale = 1.0,
				  .object_position = LXW_OBJECT_MOVE_DONT_SIZE };
	consol_xlsx_check(w, worksheet_insert_chart_opt(ws, at, S_STATUS, chart, &opt), "chart");
}

static const char *const summary_titles[S_NCOLS] = {
	"STT", "Đơn vị", "Tình trạng báo cáo", "Thời điểm nhận", "Đã hoàn thành đúng hạn",
	"Đã hoàn thành quá hạn", "Chưa hoàn thành trong hạn", "Chưa hoàn thành quá hạn",
	"Tổng số nhiệm vụ", "Ghi chú", "Văn bản, chữ ký số",
};

/* IV: one row per unit, by group. */
static lxw_row_t summary_list(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row,
			      lxw_row_t *header)
{
	const struct consol_doc *doc = w->doc;
	const struct consol_formats *f = &w->f;
	const struct consol_layout *l = &summary_layout;
	row = section(w, ws, l, row + 1, "IV. DANH SÁCH ĐƠN VỊ");
	*header = row;
	consol_xlsx_table_header(w, ws, l, row++, summary_titles);
	const char *group = NULL;
	for (size_t i = 0; i < doc->nunits; i++) {
		const struct consol_unit *u = &doc->units[i];
		if (consol_new_group(u, group, i == 0))
			row = group_row(w, ws, l, row, u->group);
		group = u->group;
		consol_xlsx_num(w, ws, row, S_STT, (double)(i + 1), f->center, "STT");
		consol_xlsx_str(w, ws, row, S_NAME, u->name, f->text, "unit name");
		char *state = u->extension && u->state == CONSOL_ON_TIME ?
			      xasprintf("%s (%s)%s", consol_state_label_vi(u->state), u->extension,
					u->supplement ? " - bổ sung" : "") : NULL;
		consol_xlsx_str(w, ws, row, S_STATE, state ? state : consol_state_label_vi(u->state),
				f->center, "unit state");
		free(state);
		consol_xlsx_str(w, ws, row, S_RECEIVED, u->received_at, f->center, "received at");
		for (int s = 0; s < 4; s++)
			consol_xlsx_num(w, ws, row, (lxw_col_t)(S_STATUS + s), u->status_counts[s],
					f->count, "unit counts");
		consol_xlsx_num(w, ws, row, S_TOTAL, (double)u->nitems, f->count, "unit items");
		consol_xlsx_str(w, ws, row, S_COMMENT, u->comment, f->text, "comment");
		/* a unit that sent nothing has no document to speak of */
		const char *doc_line = u->version == 0 ? NULL
				       : u->document ? u->document : "Không có văn bản";
		consol_xlsx_str(w, ws, row, S_DOCUMENT, doc_line, f->text, "document");
		const char *texts[] = { u->name, u->comment, doc_line };
		const lxw_col_t cols[] = { S_NAME, S_COMMENT, S_DOCUMENT };
		consol_xlsx_height(w, ws, row++, consol_xlsx_row_points(row_lines(l, texts, cols, 3, 0)));
	}
	if (doc->nunits == 0)
		row = note_row(w, ws, l, row, "Không có đơn vị nào phải báo cáo trong kỳ.");
	return row;
}

/* "Tổng hợp": the counts, the chart, the list of units. */
void consol_sheet_summary(struct consol_xlsx *w, lxw_worksheet *ws)
{
	struct consol_totals t;
	consol_totals(w->doc, &t);
	lxw_row_t row = consol_xlsx_frame(w, ws, &summary_layout), first = row, groups, header;
	size_t ngroups;
	row = summary_units(w, ws, row, &t);
	row = summary_tasks(w, ws, row, &t);
	row = summary_groups(w, ws, row, &groups, &ngroups);
	row = summary_list(w, ws, row, &header);
	summary_chart(w, ws, first, groups, ngroups);
	consol_xlsx_finish(w, ws, &summary_layout, header, header, row - 1);
}

/* ---- Chi tiết and Chậm tiến độ ---- */

enum {
	D_STT, D_CODE, D_TITLE, D_DEADLINE, D_STATUS, D_PROGRESS, D_RESULT, D_DIFFICULTIES,
	D_PROPOSALS, D_NOTE, D_NCOLS
};
static const double detail_widths[D_NCOLS] = { 5, 9, 28, 11, 14, 7, 22, 16, 16, 10 };
static const struct consol_layout detail_layout = { detail_widths, D_NCOLS, 4 };
/* "Chậm tiến độ" has no note column. */
static const double behind_widths[D_NCOLS - 1] = { 5, 9, 30, 11, 14, 7, 22, 19, 19 };
static const struct consol_layout behind_layout = { behind_widths, D_NCOLS - 1, 4 };

static const char *const detail_titles[D_NCOLS] = {
	"STT", "Mã nhiệm vụ", "Nội dung nhiệm vụ", "Thời hạn", "Tình trạng", "Tiến độ (%)",
	"Kết quả thực hiện trong kỳ", "Khó khăn, vướng mắc", "Kiến nghị, đề xuất", "Ghi chú",
};

/* One item's row (the note column only where the layout has it). */
static void item_row(struct consol_xlsx *w, lxw_worksheet *ws, const struct consol_layout *l,
		     lxw_row_t row, size_t n, const struct consol_item *it)
{
	const struct consol_formats *f = &w->f;
	const char *status = task_status_label_vi(it->status);
	consol_xlsx_num(w, ws, row, D_STT, (double)n, f->center, "STT");
	consol_xlsx_str(w, ws, row, D_CODE, it->task_code, f->center, "task code");
	consol_xlsx_str(w, ws, row, D_TITLE, it->task_title, f->text, "task title");
	consol_xlsx_str(w, ws, row, D_DEADLINE, it->deadline_text, f->center, "deadline");
	consol_xlsx_str(w, ws, row, D_STATUS, status, f->center, "status");
	if (it->progress >= 0)
		consol_xlsx_num(w, ws, row, D_PROGRESS, it->progress, f->progress, "progress");
	else
		consol_xlsx_str(w, ws, row, D_PROGRESS, NULL, f->progress, "progress");
	consol_xlsx_str(w, ws, row, D_RESULT, it->result, f->text, "result");
	consol_xlsx_str(w, ws, row, D_DIFFICULTIES, it->difficulties, f->text, "difficulties");
	consol_xlsx_str(w, ws, row, D_PROPOSALS, it->proposals, f->text, "proposals");
	bool note = l->ncols > D_NOTE;
	if (note)
		consol_xlsx_str(w, ws, row, D_NOTE, it->note, f->text, "note");
	const char *texts[] = { it->task_title, status, it->result, it->difficulties,
				it->proposals, it->deadline_text, it->note };
	const lxw_col_t cols[] = { D_TITLE, D_STATUS, D_RESULT, D_DIFFICULTIES, D_PROPOSALS,
				   D_DEADLINE, D_NOTE };
	unsigned centred = 1u << D_STATUS | 1u << D_DEADLINE;
	consol_xlsx_height(w, ws, row, consol_xlsx_row_points(row_lines(l, texts, cols,
									note ? 7 : 6, centred)));
}

/* Whether an item is on "Chậm tiến độ". */
static bool is_behind(const struct consol_item *it)
{
	return it->status == TASK_OVERDUE || it->behind;
}

/* Whether a unit has an item the sheet lists: any (Chi tiết), or behind (Chậm tiến độ). */
static bool unit_listed(const struct consol_unit *u, bool behind)
{
	if (!behind)	/* Chi tiết: every unit that reported, with or without items */
		return u->state != CONSOL_MISSING || u->nitems > 0;
	for (size_t i = 0; i < u->nitems; i++)
		if (is_behind(&u->items[i]))
			return true;
	return false;
}

/* Starts a list: the frame, then its table's header. */
static void list_begin(struct consol_xlsx *w, struct consol_list *s, lxw_worksheet *ws,
		       const struct consol_layout *l, const char *note, const char *const *titles)
{
	memset(s, 0, sizeof *s);
	s->ws = ws;
	s->l = l;
	s->row = consol_xlsx_frame(w, ws, l);
	if (note)
		s->row = note_row(w, ws, l, s->row, note);
	s->header = s->row;
	consol_xlsx_table_header(w, ws, l, s->row++, titles);
}

/* A unit's rows start in a list: its group's row when it opens one, then the unit's row. */
static void list_unit(struct consol_xlsx *w, struct consol_list *s, const struct consol_unit *u)
{
	if (consol_new_group(u, s->group, s->listed++ == 0))
		s->row = group_row(w, s->ws, s->l, s->row, u->group);
	s->group = u->group;
	s->row = unit_row(w, s->ws, s->l, s->row, u);
}

/* A unit's items in "Chi tiết" (all) or "Chậm tiến độ" (behind only). */
static void items_unit(struct consol_xlsx *w, struct consol_list *s, const struct consol_unit *u,
		       bool behind)
{
	if (!unit_listed(u, behind))
		return;
	list_unit(w, s, u);
	size_t n = 0;
	for (size_t k = 0; k < u->nitems; k++)
		if (!behind || is_behind(&u->items[k]))
			item_row(w, s->ws, s->l, s->row++, ++n, &u->items[k]);
	if (n == 0)
		s->row = note_row(w, s->ws, s->l, s->row, "Đơn vị không có nhiệm vụ trong kỳ báo cáo.");
}

/* Ends a list: a note when no unit was listed, the repeated header and the print area. */
static void list_end(struct consol_xlsx *w, struct consol_list *s, const char *none)
{
	if (s->listed == 0)
		s->row = note_row(w, s->ws, s->l, s->row, none);
	consol_xlsx_finish(w, s->ws, s->l, s->header, s->header, s->row - 1);
}

/* ---- Kiến nghị ---- */

enum { P_STT, P_CODE, P_TITLE, P_DIFFICULTIES, P_PROPOSALS, P_NCOLS };
static const double proposals_widths[P_NCOLS] = { 5, 9, 34, 44, 44 };
static const struct consol_layout proposals_layout = { proposals_widths, P_NCOLS, 3 };
static const char *const proposals_titles[P_NCOLS] = {
	"STT", "Mã nhiệm vụ", "Nội dung nhiệm vụ", "Khó khăn, vướng mắc", "Kiến nghị, đề xuất",
};

/* True if text is neither NULL nor empty. */
static bool has_text(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* One row of difficulties and proposals. */
static void proposal_row(struct consol_xlsx *w, lxw_worksheet *ws, lxw_row_t row, size_t n,
			 const char *code, const char *title, const char *difficulties,
			 const char *proposals)
{
	const struct consol_formats *f = &w->f;
	consol_xlsx_num(w, ws, row, P_STT, (double)n, f->center, "STT");
	consol_xlsx_str(w, ws, row, P_CODE, code, f->center, "task code");
	consol_xlsx_str(w, ws, row, P_TITLE, title, f->text, "task title");
	consol_xlsx_str(w, ws, row, P_DIFFICULTIES, difficulties, f->text, "difficulties");
	consol_xlsx_str(w, ws, row, P_PROPOSALS, proposals, f->text, "proposals");
	const char *texts[] = { title, difficulties, proposals };
	const lxw_col_t cols[] = { P_TITLE, P_DIFFICULTIES, P_PROPOSALS };
	consol_xlsx_height(w, ws, row, consol_xlsx_row_points(row_lines(&proposals_layout, texts,
									  cols, 3, 0)));
}

/* Whether a unit said anything difficult or proposed anything. */
static bool unit_has_proposals(const struct consol_unit *u)
{
	if (has_text(u->general_difficulties) || has_text(u->general_proposals))
		return true;
	for (size_t i = 0; i < u->nitems; i++)
		if (has_text(u->items[i].difficulties) || has_text(u->items[i].proposals))
			return true;
	return false;
}

/* A unit's rows in "Kiến nghị": its tasks' difficulties and proposals, then its general ones. */
static void proposals_unit(struct consol_xlsx *w, struct consol_list *s,
			   const struct consol_unit *u)
{
	if (!unit_has_proposals(u))
		return;
	list_unit(w, s, u);
	size_t n = 0;
	for (size_t k = 0; k < u->nitems; k++) {
		const struct consol_item *it = &u->items[k];
		if (has_text(it->difficulties) || has_text(it->proposals))
			proposal_row(w, s->ws, s->row++, ++n, it->task_code, it->task_title,
				     it->difficulties, it->proposals);
	}
	if (has_text(u->general_difficulties) || has_text(u->general_proposals))
		proposal_row(w, s->ws, s->row++, ++n, "Chung", "Khó khăn, kiến nghị chung của đơn vị",
			     u->general_difficulties, u->general_proposals);
}

/* ---- the three lists together ---- */

void consol_lists_begin(struct consol_xlsx *w, struct consol_lists *ls, lxw_worksheet *detail,
			lxw_worksheet *behind, lxw_worksheet *proposals)
{
	list_begin(w, &ls->detail, detail, &detail_layout, NULL, detail_titles);
	list_begin(w, &ls->behind, behind, &behind_layout,
		   "Nhiệm vụ chưa hoàn thành quá hạn, hoặc chưa triển khai dù đến hạn trong kỳ, "
		   "theo đơn vị.", detail_titles);
	list_begin(w, &ls->proposals, proposals, &proposals_layout, NULL, proposals_titles);
}

/* "Chi tiết" written on a thread of its own, beside the other two lists. */
struct detail_run {
	struct consol_xlsx w;	/* forked from the main writer */
	struct consol_list *list;
	size_t from, to;
};

/* The thread's work: units [from, to) of "Chi tiết". */
static void *detail_thread(void *arg)
{
	struct detail_run *r = arg;
	for (size_t i = r->from; i < r->to; i++)
		items_unit(&r->w, r->list, &r->w.doc->units[i], false);
	return NULL;
}

/*
 * Each unit's rows go into the three sheets, while its items are in memory. "Chi tiết" holds
 * every item and the other two lists hold about as much again, so with enough units to pay
 * for a thread it is written on one beside them (each sheet is its own temporary file, the
 * formats are numbered beforehand: the bytes are the same either way). Without a thread, the
 * sheets are written in turn.
 */
void consol_lists_units(struct consol_xlsx *w, struct consol_lists *ls, size_t from, size_t to)
{
	if (to > w->doc->nunits)
		to = w->doc->nunits;
	struct detail_run run = { .list = &ls->detail, .from = from, .to = to };
	pthread_t thread;
	bool threaded = false;
	if (to > from && to - from >= CONSOL_THREAD_UNITS && w->x.err == LXW_NO_ERROR) {
		consol_xlsx_fork(w, &run.w);
		threaded = pthread_create(&thread, NULL, detail_thread, &run) == 0;
		if (!threaded)	/* no thread now: written in turn */
			consol_xlsx_join(w, &run.w);
	}
	for (size_t i = from; i < to; i++) {
		const struct consol_unit *u = &w->doc->units[i];
		if (!threaded)
			items_unit(w, &ls->detail, u, false);
		items_unit(w, &ls->behind, u, true);
		proposals_unit(w, &ls->proposals, u);
	}
	if (threaded) {
		/* Joining a thread this function started fails only on a broken invariant. */
		if (pthread_join(thread, NULL) != 0)
			abort();
		consol_xlsx_join(w, &run.w);
	}
}

void consol_lists_end(struct consol_xlsx *w, struct consol_lists *ls)
{
	list_end(w, &ls->detail, "Chưa có đơn vị nào gửi báo cáo.");
	list_end(w, &ls->behind, "Không có nhiệm vụ nào chậm tiến độ.");
	list_end(w, &ls->proposals, "Các đơn vị không nêu khó khăn, kiến nghị nào.");
}
