/* The consolidated workbook's sheets about the units and the document: "Chưa báo cáo",
 * "Đánh giá", "Chuyên cần". */
#include "consol_sheets.h"
#include "consol_xlsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True if text is neither NULL nor empty. */
static bool has_text(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* A line of text across columns first..last, as tall as it wraps. */
static lxw_row_t text_row(struct consol_xlsx *w, lxw_worksheet *ws, const struct consol_layout *l,
			  lxw_row_t row, lxw_col_t first, lxw_col_t last, const char *text,
			  lxw_format *f, double points)
{
	consol_xlsx_merge(w, ws, row, first, last, text, f, "text");
	unsigned lines = consol_xlsx_lines(text, consol_xlsx_span(l, first, last), points);
	consol_xlsx_height(w, ws, row, lines * points * 1.3 + 4);
	return row + 1;
}

/* ---- Chưa báo cáo ---- */

enum { M_STT, M_CODE, M_NAME, M_GROUP, M_CONTACTS, M_NCOLS };
static const double missing_widths[M_NCOLS] = { 6, 15, 40, 27, 48 };
static const struct consol_layout missing_layout = { missing_widths, M_NCOLS, 3 };
static const char *const missing_titles[M_NCOLS] = {
	"STT", "Mã đơn vị", "Đơn vị", "Khối", "Địa chỉ liên hệ",
};

/* "Chưa báo cáo": the units nothing arrived from, with whom to call. */
void consol_sheet_missing(struct consol_xlsx *w, lxw_worksheet *ws)
{
	const struct consol_doc *doc = w->doc;
	const struct consol_formats *f = &w->f;
	const struct consol_layout *l = &missing_layout;
	lxw_row_t row = consol_xlsx_frame(w, ws, l);
	size_t missing = 0;
	for (size_t i = 0; i < doc->nunits; i++)
		missing += doc->units[i].state == CONSOL_MISSING;
	strbuf_reset(&w->line);
	strbuf_addf(&w->line, "Số đơn vị chưa gửi báo cáo: %zu/%zu (hạn gửi: %s).", missing,
		    doc->nunits, doc->deadline_text ? doc->deadline_text : "");
	row = text_row(w, ws, l, row, 0, l->ncols - 1, strbuf_str(&w->line), f->note, 12);
	lxw_row_t header = row;
	consol_xlsx_table_header(w, ws, l, row++, missing_titles);
	size_t n = 0;
	for (size_t i = 0; i < doc->nunits; i++) {
		const struct consol_unit *u = &doc->units[i];
		if (u->state != CONSOL_MISSING)
			continue;
		strbuf_reset(&w->line);
		for (size_t k = 0; k < u->nemails; k++)
			strbuf_addf(&w->line, "%s%s", k ? "; " : "", u->emails[k]);
		const char *group = consol_group_title(doc, u->group);
		consol_xlsx_num(w, ws, row, M_STT, (double)++n, f->center, "STT");
		consol_xlsx_str(w, ws, row, M_CODE, u->code, f->center, "unit code");
		consol_xlsx_str(w, ws, row, M_NAME, u->name, f->text, "unit name");
		consol_xlsx_str(w, ws, row, M_GROUP, group, f->text, "group");
		consol_xlsx_str(w, ws, row, M_CONTACTS, strbuf_str(&w->line), f->text, "contacts");
		const char *texts[M_NCOLS] = { [M_CODE] = u->code, [M_NAME] = u->name,
					       [M_GROUP] = group,
					       [M_CONTACTS] = strbuf_str(&w->line) };
		unsigned lines = 1;
		for (int c = M_CODE; c < M_NCOLS; c++) {
			double width = missing_widths[c] - (c == M_CODE ? 0 : CONSOL_INDENT_CHARS);
			unsigned k = consol_xlsx_lines(texts[c], width, 12);
			lines = k > lines ? k : lines;
		}
		consol_xlsx_height(w, ws, row++, consol_xlsx_row_points(lines));
	}
	if (n == 0)
		row = text_row(w, ws, l, row, 0, l->ncols - 1, "Tất cả các đơn vị đã gửi báo cáo.",
			       f->note, 12);
	consol_xlsx_finish(w, ws, l, header, header, row - 1);
}

/* ---- Đánh giá ---- */

static const double assessment_widths[] = { 30, 28, 40, 40 };
static const struct consol_layout assessment_layout = { assessment_widths, 4, 2 };

/* Who approved the document, or why nobody did. */
static char *approval_text(const struct consol_doc *doc)
{
	if (doc->edition != CONSOL_FINAL)
		return xstrdup("Phê duyệt: Chưa phê duyệt");
	if (doc->automatic)
		return xstrdup("Phê duyệt: Tự động (không có phê duyệt trước thời hạn)");
	if (!has_text(doc->approved_by))
		return xstrdup("Phê duyệt: Chưa phê duyệt");
	if (has_text(doc->approved_at_text))
		return xasprintf("Phê duyệt: %s, lúc %s", doc->approved_by, doc->approved_at_text);
	return xasprintf("Phê duyệt: %s", doc->approved_by);
}

/* "Đánh giá": the coordinator's assessment (a row per paragraph), the approval, "Nơi nhận:". */
void consol_sheet_assessment(struct consol_xlsx *w, lxw_worksheet *ws)
{
	const struct consol_doc *doc = w->doc;
	const struct consol_formats *f = &w->f;
	const struct consol_layout *l = &assessment_layout;
	lxw_col_t last = l->ncols - 1;
	lxw_row_t row = consol_xlsx_frame(w, ws, l);
	consol_xlsx_merge(w, ws, row, 0, last, "ĐÁNH GIÁ CHUNG", f->section, "section");
	consol_xlsx_height(w, ws, row++, 24);
	size_t paragraphs = 0;
	for (const char *p = doc->assessment ? doc->assessment : ""; *p;) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *para = xstrndup(p, n);
		if (n > 0 && para[n - 1] == '\r')
			para[n - 1] = '\0';
		if (para[strspn(para, " \t")] != '\0') {	/* blank lines only separate */
			row = text_row(w, ws, l, row, 0, last, para, f->para, 13);
			paragraphs++;
		}
		free(para);
		p += n + (end ? 1 : 0);
	}
	if (paragraphs == 0)
		row = text_row(w, ws, l, row, 0, last, "(Chưa có đánh giá.)", f->note, 12);
	char *approval = approval_text(doc);
	row = text_row(w, ws, l, row + 1, 0, last, approval, f->note, 12);
	free(approval);

	/* Nghị định 30/2020: "Nơi nhận:" 12 pt bold italic, recipients 11 pt, "- Lưu: ...". */
	row++;
	consol_xlsx_merge(w, ws, row, 0, 1, "Nơi nhận:", f->recv_title, "recipients");
	consol_xlsx_height(w, ws, row++, 17);
	for (size_t i = 0; i < doc->nrecipients; i++) {
		strbuf_reset(&w->line);
		strbuf_addf(&w->line, "- %s;", doc->recipients[i]);
		row = text_row(w, ws, l, row, 0, 1, strbuf_str(&w->line), f->recv_line, 11);
	}
	strbuf_reset(&w->line);
	strbuf_addf(&w->line, "- Lưu: VT, %s.", doc->archive_code ? doc->archive_code : "");
	row = text_row(w, ws, l, row, 0, 1, strbuf_str(&w->line), f->recv_line, 11);
	consol_xlsx_finish(w, ws, l, 1, 0, row - 1);
}

/* ---- Chuyên cần ---- */

/* Columns before and after the periods. */
enum { T_STT, T_NAME, T_PERIODS };
#define T_AFTER 4
#define T_NAME_WIDTH 30
#define T_PERIOD_WIDTH 5.5
#define T_COUNT_WIDTH 8.5

/* A mark's letter: "Đ" on time, "M" late, "K" missing, "" not required. */
static const char *mark_letter(enum consol_mark m)
{
	switch (m) {
	case CONSOL_MARK_ON_TIME:
		return "Đ";
	case CONSOL_MARK_LATE:
		return "M";
	case CONSOL_MARK_MISSING:
		return "K";
	case CONSOL_MARK_EXTENDED:
		return "G";
	case CONSOL_MARK_NONE:
		break;
	}
	return "";
}

/* "Chuyên cần": each unit's marks over the last periods and its on-time rate (DHIS2: reports on
 * time ÷ reports expected, the periods it did not have to report in left out). */
void consol_sheet_timeliness(struct consol_xlsx *w, lxw_worksheet *ws)
{
	const struct consol_doc *doc = w->doc;
	const struct consol_formats *f = &w->f;
	size_t nh = doc->nhistory <= CONSOL_HISTORY ? doc->nhistory : CONSOL_HISTORY;
	lxw_col_t ncols = (lxw_col_t)(T_PERIODS + nh + T_AFTER), after = (lxw_col_t)(T_PERIODS + nh);
	double widths[T_PERIODS + CONSOL_HISTORY + T_AFTER] = { 5, T_NAME_WIDTH };
	const char *titles[T_PERIODS + CONSOL_HISTORY + T_AFTER] = { "STT", "Đơn vị" };
	/* The periods share what the other columns leave of about 135 characters. */
	double period_width = nh ? (135 - 5 - T_NAME_WIDTH - T_AFTER * T_COUNT_WIDTH) / nh : 0;
	if (period_width < T_PERIOD_WIDTH)
		period_width = T_PERIOD_WIDTH;
	if (period_width > 10)
		period_width = 10;
	for (size_t i = 0; i < nh; i++) {
		widths[T_PERIODS + i] = period_width;
		titles[T_PERIODS + i] = doc->history_labels[i] ? doc->history_labels[i] : "";
	}
	static const char *const counts[T_AFTER] = {
		"Số kỳ đúng hạn", "Số kỳ nộp muộn", "Số kỳ không nộp", "Tỷ lệ đúng hạn",
	};
	double total = 5 + T_NAME_WIDTH + (double)nh * period_width;
	for (int i = 0; i < T_AFTER; i++) {
		widths[after + i] = T_COUNT_WIDTH;
		titles[after + i] = counts[i];
		total += T_COUNT_WIDTH;
	}
	/* The header's left block: about two fifths of the width. */
	lxw_col_t split = 1;
	for (double x = widths[0]; split < ncols - 1 && x < 0.38 * total; split++)
		x += widths[split];
	const struct consol_layout layout = { widths, ncols, split }, *l = &layout;

	lxw_row_t row = consol_xlsx_frame(w, ws, l);
	row = text_row(w, ws, l, row, 0, ncols - 1,
		       "Ký hiệu: Đ - nộp đúng hạn; M - nộp muộn; K - không nộp; G - nộp trong "
		       "thời gian được gia hạn (tính là đúng hạn); ô trống - đơn vị "
		       "không phải báo cáo kỳ đó. Tỷ lệ đúng hạn = số kỳ nộp đúng hạn / số kỳ phải "
		       "báo cáo. Các kỳ xếp từ cũ đến mới; kỳ cuối là kỳ này.", f->note, 12);
	lxw_row_t header = row;
	consol_xlsx_table_header(w, ws, l, row++, titles);
	const char *group = NULL;
	for (size_t i = 0; i < doc->nunits; i++) {
		const struct consol_unit *u = &doc->units[i];
		if (consol_new_group(u, group, i == 0)) {
			consol_xlsx_merge(w, ws, row, 0, ncols - 1, consol_group_title(doc, u->group),
					  f->group, "group row");
			consol_xlsx_height(w, ws, row++, consol_xlsx_row_points(1));
		}
		group = u->group;
		unsigned n[5] = { 0 };	/* by enum consol_mark */
		consol_xlsx_num(w, ws, row, T_STT, (double)(i + 1), f->center, "STT");
		consol_xlsx_str(w, ws, row, T_NAME, u->name, f->text, "unit name");
		for (size_t k = 0; k < nh; k++) {
			enum consol_mark m = u->history[k];
			if ((unsigned)m > CONSOL_MARK_EXTENDED)
				m = CONSOL_MARK_NONE;
			n[m]++;
			consol_xlsx_str(w, ws, row, (lxw_col_t)(T_PERIODS + k), mark_letter(m),
					f->mark, "mark");
		}
		/* on time under an extension counts on time */
		n[CONSOL_MARK_ON_TIME] += n[CONSOL_MARK_EXTENDED];
		unsigned expected = n[CONSOL_MARK_ON_TIME] + n[CONSOL_MARK_LATE] +
				    n[CONSOL_MARK_MISSING];
		consol_xlsx_num(w, ws, row, after, n[CONSOL_MARK_ON_TIME], f->count, "on time");
		consol_xlsx_num(w, ws, row, after + 1, n[CONSOL_MARK_LATE], f->count, "late");
		consol_xlsx_num(w, ws, row, after + 2, n[CONSOL_MARK_MISSING], f->count, "missing");
		consol_xlsx_ratio(w, ws, row, after + 3, n[CONSOL_MARK_ON_TIME], expected, f->pct,
				  "on-time rate");
		consol_xlsx_height(w, ws, row++, consol_xlsx_row_points(
			consol_xlsx_lines(u->name, T_NAME_WIDTH - CONSOL_INDENT_CHARS, 12)));
	}
	consol_xlsx_finish(w, ws, l, header, header, row - 1);
}
