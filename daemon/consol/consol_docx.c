/* The consolidated report drafted as a .docx in the layout of Nghị định 30/2020 (Hướng dẫn
 * 36-HD/VPTW for Party bodies): the header's two blocks, "BÁO CÁO" and the subject, the
 * counts and lists of the workbook's summary, the results and the difficulties and proposals
 * by group, the coordinator's assessment, "Nơi nhận" and the signer's title. The coordinator
 * completes it in Word or LibreOffice and has it signed. */
#include "consol.h"
#include "consol_xlsx.h"
#include "docxw.h"
#include "taskstatus.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NATIONAL_TITLE "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
#define MOTTO "Độc lập - Tự do - Hạnh phúc"
#define PARTY_TITLE "ĐẢNG CỘNG SẢN VIỆT NAM"

/* The body text's size (13-14 pt), the header's (13 pt) and the national title's (12 pt). */
#define PT_BODY 14
#define PT_HEADER 13
#define PT_NATION 12

/* The page: A4, top and bottom 20 mm, left 30 mm, right 15 mm (the decree's smallest). */
#define MARGIN_TOP DOCXW_MM(20)
#define MARGIN_BOTTOM DOCXW_MM(20)
#define MARGIN_LEFT DOCXW_MM(30)
#define MARGIN_RIGHT DOCXW_MM(15)
#define TEXT_WIDTH (DOCXW_MM(210) - MARGIN_LEFT - MARGIN_RIGHT)

/* The header's columns: they reach 10 mm into the left margin so that the national title fits
 * on one line, as the decree's models print it. */
#define HEAD_OUTDENT DOCXW_MM(10)
#define HEAD_LEFT DOCXW_MM(82)
#define HEAD_RIGHT (TEXT_WIDTH + HEAD_OUTDENT - HEAD_LEFT)
/* The foot's columns: "Nơi nhận" and the signer. */
#define FOOT_LEFT DOCXW_MM(80)
#define FOOT_RIGHT (TEXT_WIDTH - FOOT_LEFT)

/* The writer's state: the document, the sections written in one pass over the items, and a
 * line being put together. */
struct draft {
	const struct consol_doc *doc;
	struct docxw out;		/* the document, in order */
	struct docxw results;		/* section II, appended after I */
	struct docxw problems;		/* section III */
	const char *results_group;	/* the group of the last unit in II */
	const char *problems_group;	/* the group of the last unit in III */
	size_t results_n, problems_n;	/* groups numbered in II and III */
	bool results_first, problems_first;
	struct strbuf line;
};

/* Centred paragraph, no space. */
static const struct docxw_para centred = { .align = DOCXW_CENTER };

/* A paragraph of the body: justified, first line indented 10 mm, 6 pt below. */
static const struct docxw_para body_para = {
	.align = DOCXW_BOTH, .first_line = DOCXW_MM(10), .after = DOCXW_PT(6), .line = 252,
};

/* A unit's name over its lines: as the body, kept with the first of them. */
static const struct docxw_para lead_para = {
	.align = DOCXW_BOTH, .first_line = DOCXW_MM(10), .after = DOCXW_PT(6), .line = 252,
	.keep_next = true,
};

/* A section's title: as the body, bold, kept with what follows. */
static const struct docxw_para title_para = {
	.align = DOCXW_BOTH, .first_line = DOCXW_MM(10), .before = DOCXW_PT(6),
	.after = DOCXW_PT(6), .line = 252, .keep_next = true,
};

/* A rule centred in a column of width twips, len twips long, before twips below the text. */
static void centred_rule(struct docxw *d, int width, int len, int before)
{
	if (len > width)
		len = width;
	int side = (width - len) / 2;
	docxw_rule(d, side, side, before);
}

/* A text with lines split on the two characters "\n" (a setting's line breaks) as
 * paragraphs. */
static void setting_lines(struct docxw *d, const struct docxw_para *p, const char *text,
			  unsigned flags, double points)
{
	const char *s = text;
	for (;;) {
		const char *nl = strstr(s, "\\n");
		char *part = xstrndup(s, nl ? (size_t)(nl - s) : strlen(s));
		docxw_p(d, p, str_trim(part), flags, points);
		free(part);
		if (nl == NULL)
			break;
		s = nl + 2;
	}
}

/* ---- the header ---- */

/* The two blocks: the bodies and the national title over their rules, then the number and
 * the place and date on one line. */
static void write_header(struct draft *w)
{
	const struct consol_doc *doc = w->doc;
	struct docxw *d = &w->out;
	bool party = doc->header == CONSOL_HEADER_PARTY;
	const char *issuer = doc->issuing_body ? doc->issuing_body : "";
	const int widths[] = { HEAD_LEFT, HEAD_RIGHT };
	docxw_table_begin(d, widths, 2, HEAD_OUTDENT);

	docxw_row_begin(d);
	docxw_cell_begin(d, HEAD_LEFT);
	docxw_p(d, &centred, doc->parent_body, 0, PT_HEADER);
	docxw_p(d, &centred, issuer, DOCXW_BOLD, PT_HEADER);
	if (party) {
		docxw_p(d, &centred, "*", 0, PT_HEADER);
	} else {
		/* A short line under the issuing body: 2/5 of its width. */
		int len = docxw_text_width(issuer, PT_HEADER, true) * 2 / 5;
		centred_rule(d, HEAD_LEFT, len < DOCXW_MM(20) ? DOCXW_MM(20) : len, DOCXW_PT(2));
	}
	docxw_cell_end(d);
	docxw_cell_begin(d, HEAD_RIGHT);
	if (party) {
		docxw_p(d, &centred, PARTY_TITLE, DOCXW_BOLD | DOCXW_UNDERLINE, 15);
	} else {
		docxw_p(d, &centred, NATIONAL_TITLE, DOCXW_BOLD, PT_NATION);
		docxw_p(d, &centred, MOTTO, DOCXW_BOLD, PT_HEADER);
		/* A line as long as the motto. */
		centred_rule(d, HEAD_RIGHT, docxw_text_width(MOTTO, PT_HEADER, true), DOCXW_PT(2));
	}
	docxw_cell_end(d);
	docxw_row_end(d);

	char *number = consol_number_text(doc), *date = consol_place_date(doc);
	const struct docxw_para line = { .align = DOCXW_CENTER, .before = DOCXW_PT(6) };
	docxw_row_begin(d);
	docxw_cell_begin(d, HEAD_LEFT);
	docxw_p(d, &line, number, 0, PT_HEADER);
	docxw_cell_end(d);
	docxw_cell_begin(d, HEAD_RIGHT);
	docxw_p(d, &line, date, DOCXW_ITALIC, PT_BODY);
	docxw_cell_end(d);
	docxw_row_end(d);
	docxw_table_end(d);
	free(number);
	free(date);

	const struct docxw_para type = { .align = DOCXW_CENTER, .before = DOCXW_PT(18),
					 .keep_next = true };
	docxw_p(d, &type, "BÁO CÁO", DOCXW_BOLD, PT_BODY);
	const struct docxw_para subject = { .align = DOCXW_CENTER, .left = DOCXW_MM(10),
					    .right = DOCXW_MM(10), .keep_next = true };
	docxw_p(d, &subject, doc->subject, DOCXW_BOLD, PT_BODY);
	/* A short line under the subject, then space before the text. */
	centred_rule(d, TEXT_WIDTH, DOCXW_MM(35), DOCXW_PT(4));
	const struct docxw_para gap = { .after = DOCXW_PT(6) };
	docxw_p(d, &gap, "", 0, 0);
}

/* ---- I: the reports received ---- */

/* "83,3%" of n over all (new text in *sb). */
static void add_share(struct strbuf *sb, unsigned n, unsigned all)
{
	if (all == 0)
		return;
	char num[32];
	snprintf(num, sizeof num, "%.1f", 100.0 * n / all);
	char *dot = strchr(num, '.');
	if (dot != NULL)
		*dot = ',';
	strbuf_addf(sb, " (%s%%)", num);
}

/* Ends a group's line of a list: "- Sở, ban, ngành (2): A; B." */
static void list_flush(struct draft *w, const char *group, size_t k)
{
	if (k == 0)
		return;
	char *head = xasprintf("- %s (%zu): ", consol_group_title(w->doc, group), k);
	docxw_p_begin(&w->out, &body_para);
	docxw_run(&w->out, head, DOCXW_ITALIC, 0);
	strbuf_addc(&w->line, '.');
	docxw_run(&w->out, strbuf_str(&w->line), 0, 0);
	docxw_p_end(&w->out);
	free(head);
	strbuf_reset(&w->line);
}

/* The units in a state, a line per group: "Các đơn vị gửi muộn (2 đơn vị):", then "- Sở, ban,
 * ngành (2): A; B."; or the sentence none. */
static void state_list(struct draft *w, enum consol_state state, const char *lead,
		       const char *none)
{
	const struct consol_doc *doc = w->doc;
	size_t n = 0;
	for (size_t i = 0; i < doc->nunits; i++)
		n += doc->units[i].state == state;
	if (n == 0) {
		docxw_p(&w->out, &body_para, none, 0, 0);
		return;
	}
	char *head = xasprintf("%s (%zu đơn vị):", lead, n);
	docxw_p(&w->out, &body_para, head, DOCXW_ITALIC, 0);
	free(head);
	strbuf_reset(&w->line);
	const char *group = NULL;
	size_t k = 0;
	for (size_t i = 0; i < doc->nunits; i++) {
		const struct consol_unit *u = &doc->units[i];
		if (u->state != state)
			continue;
		if (consol_new_group(u, group, k == 0 && group == NULL)) {
			list_flush(w, group, k);
			k = 0;
		}
		group = u->group;
		if (k++ > 0)
			strbuf_adds(&w->line, "; ");
		strbuf_adds(&w->line, u->name ? u->name : u->code);
	}
	list_flush(w, group, k);
}

/* I: the counts of units by state and of items by status, and who was late or missing. */
static void write_counts(struct draft *w)
{
	const struct consol_doc *doc = w->doc;
	struct docxw *d = &w->out;
	struct consol_totals t;
	consol_totals(doc, &t);
	docxw_p(d, &title_para, "I. TÌNH HÌNH GỬI BÁO CÁO", DOCXW_BOLD, 0);
	if (doc->deadline_text && doc->deadline_text[0]) {
		strbuf_reset(&w->line);
		strbuf_addf(&w->line, "Hạn gửi báo cáo của các đơn vị: %s.", doc->deadline_text);
		docxw_p(d, &body_para, strbuf_str(&w->line), 0, 0);
	}
	strbuf_reset(&w->line);
	strbuf_addf(&w->line, "- Số đơn vị phải báo cáo: %u đơn vị.", t.expected);
	docxw_p(d, &body_para, strbuf_str(&w->line), 0, 0);
	for (int s = 0; s < CONSOL_NSTATES; s++) {
		strbuf_reset(&w->line);
		strbuf_addf(&w->line, "- %s: %u đơn vị", consol_state_label_vi((enum consol_state)s),
			    t.by_state[s]);
		add_share(&w->line, t.by_state[s], t.expected);
		strbuf_addc(&w->line, '.');
		docxw_p(d, &body_para, strbuf_str(&w->line), 0, 0);
	}
	state_list(w, CONSOL_LATE, "Các đơn vị gửi muộn", "Không có đơn vị nào gửi muộn.");
	state_list(w, CONSOL_MISSING, "Các đơn vị chưa gửi báo cáo",
		   "Tất cả các đơn vị đã gửi báo cáo.");
	state_list(w, CONSOL_RETURNED, "Các đơn vị được trả lại để bổ sung",
		   "Không có báo cáo nào bị trả lại để bổ sung.");
	unsigned all = t.by_status[0] + t.by_status[1] + t.by_status[2] + t.by_status[3];
	strbuf_reset(&w->line);
	strbuf_addf(&w->line, "Tổng số nhiệm vụ được báo cáo: %u; trong đó:", all);
	docxw_p(d, &body_para, strbuf_str(&w->line), 0, 0);
	for (int s = 0; s < 4; s++) {
		strbuf_reset(&w->line);
		strbuf_addf(&w->line, "- %s: %u nhiệm vụ",
			    task_status_label_vi((enum task_status)s), t.by_status[s]);
		add_share(&w->line, t.by_status[s], all);
		strbuf_adds(&w->line, s < 3 ? ";" : ".");
		docxw_p(d, &body_para, strbuf_str(&w->line), 0, 0);
	}
}

/* ---- II and III: by group, from the items ---- */

/* Whether a text says something. */
static bool has_text(const char *s)
{
	if (s == NULL)
		return false;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return true;
	return false;
}

/* A group's numbered title in a section, when u starts a new group there; in II with how
 * many of the group's units reported. */
static void group_title(struct draft *w, struct docxw *d, const struct consol_unit *u,
			const char **group, bool *first, size_t *n, bool counts)
{
	if (!consol_new_group(u, *group, *first))
		return;
	*first = false;
	*group = u->group;
	strbuf_reset(&w->line);
	strbuf_addf(&w->line, "%zu. %s", ++*n, consol_group_title(w->doc, u->group));
	docxw_p_begin(d, &title_para);
	docxw_run(d, strbuf_str(&w->line), DOCXW_BOLD | DOCXW_ITALIC, 0);
	if (counts) {
		size_t all = 0, sent = 0;
		for (size_t i = 0; i < w->doc->nunits; i++) {
			const struct consol_unit *v = &w->doc->units[i];
			if (consol_new_group(v, u->group, false))
				continue;	/* another group */
			all++;
			sent += v->state != CONSOL_MISSING;
		}
		strbuf_reset(&w->line);
		strbuf_addf(&w->line, " (%zu/%zu đơn vị đã gửi báo cáo)", sent, all);
		docxw_run(d, strbuf_str(&w->line), DOCXW_ITALIC, 0);
	}
	docxw_p_end(d);
}

/* The unit's name, bold, with what was special about its report. */
static void unit_lead(struct draft *w, struct docxw *d, const struct consol_unit *u)
{
	strbuf_reset(&w->line);
	strbuf_addf(&w->line, "- %s", u->name ? u->name : u->code);
	if (u->state == CONSOL_LATE)
		strbuf_adds(&w->line, " (gửi muộn)");
	else if (u->state == CONSOL_RETURNED)
		strbuf_adds(&w->line, " (trả lại để bổ sung)");
	strbuf_adds(&w->line, ":");
	docxw_run(d, strbuf_str(&w->line), DOCXW_BOLD, 0);
}

/* II: a unit's results, one line per item with a result; nothing for a unit that did not
 * report. */
static void unit_results(struct draft *w, const struct consol_unit *u)
{
	if (u->state == CONSOL_MISSING)	/* listed in I */
		return;
	struct docxw *d = &w->results;
	group_title(w, d, u, &w->results_group, &w->results_first, &w->results_n, true);
	size_t said = 0;
	for (size_t i = 0; i < u->nitems; i++)
		said += has_text(u->items[i].result);
	docxw_p_begin(d, said > 0 ? &lead_para : &body_para);
	unit_lead(w, d, u);
	if (said == 0)
		docxw_run(d, " không nêu kết quả thực hiện trong kỳ.", DOCXW_ITALIC, 0);
	docxw_p_end(d);
	for (size_t i = 0; i < u->nitems; i++) {
		const struct consol_item *it = &u->items[i];
		if (!has_text(it->result))
			continue;
		strbuf_reset(&w->line);
		strbuf_addf(&w->line, "+ %s (%s", it->task_title ? it->task_title : "",
			    task_status_label_vi(it->status));
		if (it->progress >= 0)
			strbuf_addf(&w->line, ", %d%%", it->progress);
		strbuf_adds(&w->line, "): ");
		docxw_p_begin(d, &body_para);
		docxw_run(d, strbuf_str(&w->line), DOCXW_ITALIC, 0);
		docxw_run(d, it->result, 0, 0);
		docxw_p_end(d);
	}
}

/* One line of III: "+ Khó khăn, vướng mắc: text" or with the task's title. */
static void problem_line(struct draft *w, const char *label, const char *task, const char *text)
{
	struct docxw *d = &w->problems;
	strbuf_reset(&w->line);
	if (task != NULL)
		strbuf_addf(&w->line, "+ %s (%s): ", label, task);
	else
		strbuf_addf(&w->line, "+ %s: ", label);
	docxw_p_begin(d, &body_para);
	docxw_run(d, strbuf_str(&w->line), DOCXW_ITALIC, 0);
	docxw_run(d, text, 0, 0);
	docxw_p_end(d);
}

/* III: a unit's difficulties and proposals, general then by item; nothing when it has none. */
static void unit_problems(struct draft *w, const struct consol_unit *u)
{
	bool any = has_text(u->general_difficulties) || has_text(u->general_proposals);
	for (size_t i = 0; !any && i < u->nitems; i++)
		any = has_text(u->items[i].difficulties) || has_text(u->items[i].proposals);
	if (!any)
		return;
	struct docxw *d = &w->problems;
	group_title(w, d, u, &w->problems_group, &w->problems_first, &w->problems_n, false);
	docxw_p_begin(d, &lead_para);
	unit_lead(w, d, u);
	docxw_p_end(d);
	if (has_text(u->general_difficulties))
		problem_line(w, "Khó khăn, vướng mắc", NULL, u->general_difficulties);
	for (size_t i = 0; i < u->nitems; i++)
		if (has_text(u->items[i].difficulties))
			problem_line(w, "Khó khăn, vướng mắc", u->items[i].task_title,
				     u->items[i].difficulties);
	if (has_text(u->general_proposals))
		problem_line(w, "Kiến nghị, đề xuất", NULL, u->general_proposals);
	for (size_t i = 0; i < u->nitems; i++)
		if (has_text(u->items[i].proposals))
			problem_line(w, "Kiến nghị, đề xuất", u->items[i].task_title,
				     u->items[i].proposals);
}

/* II and III in one pass over the items, a batch of units at a time. 0, or -1 with *err. */
static int write_groups(struct draft *w, const struct consol_batches *b, char **err)
{
	size_t n = w->doc->nunits;
	for (size_t from = 0, to; from < n; from = to) {
		to = n;
		if (b != NULL && b->fill(b->ctx, from, &to, err) != 0)
			return -1;
		if (to <= from || to > n)	/* a broken source would loop forever */
			to = n;
		for (size_t i = from; i < to; i++) {
			unit_results(w, &w->doc->units[i]);
			unit_problems(w, &w->doc->units[i]);
		}
		if (b != NULL)
			b->drop(b->ctx, from, to);
	}
	struct docxw *d = &w->out;
	docxw_p(d, &title_para, "II. KẾT QUẢ THỰC HIỆN THEO KHỐI ĐƠN VỊ", DOCXW_BOLD, 0);
	if (w->results_n == 0)
		docxw_p(d, &body_para, "Chưa có đơn vị nào gửi báo cáo trong kỳ.", 0, 0);
	strbuf_add(&d->body, w->results.body.data, w->results.body.len);
	docxw_p(d, &title_para, "III. KHÓ KHĂN, VƯỚNG MẮC VÀ KIẾN NGHỊ, ĐỀ XUẤT", DOCXW_BOLD, 0);
	if (w->problems_n == 0)
		docxw_p(d, &body_para, "Các đơn vị không nêu khó khăn, vướng mắc hay kiến nghị, "
			"đề xuất trong kỳ.", 0, 0);
	strbuf_add(&d->body, w->problems.body.data, w->problems.body.len);
	return 0;
}

/* ---- IV and the foot ---- */

/* IV: the coordinator's assessment, a paragraph per line, when there is one. */
static void write_assessment(struct draft *w)
{
	const char *s = w->doc->assessment;
	if (!has_text(s))
		return;
	struct docxw *d = &w->out;
	docxw_p(d, &title_para, "IV. ĐÁNH GIÁ CHUNG", DOCXW_BOLD, 0);
	for (;;) {
		const char *nl = strchr(s, '\n');
		char *part = xstrndup(s, nl ? (size_t)(nl - s) : strlen(s));
		if (has_text(part))
			docxw_p(d, &body_para, str_trim(part), 0, 0);
		free(part);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
}

/* "Nơi nhận:" and the recipients on the left; the signer's title and room to sign on the
 * right. */
static void write_foot(struct draft *w)
{
	const struct consol_doc *doc = w->doc;
	struct docxw *d = &w->out;
	const int widths[] = { FOOT_LEFT, FOOT_RIGHT };
	const struct docxw_para space = { .before = DOCXW_PT(12) };
	docxw_p(d, &space, "", 0, 0);
	docxw_table_begin(d, widths, 2, 0);
	docxw_row_begin(d);
	docxw_cell_begin(d, FOOT_LEFT);
	docxw_p(d, NULL, "Nơi nhận:", DOCXW_BOLD | DOCXW_ITALIC, 12);
	for (size_t i = 0; i < doc->nrecipients; i++) {
		strbuf_reset(&w->line);
		strbuf_addf(&w->line, "- %s;", doc->recipients[i]);
		docxw_p(d, NULL, strbuf_str(&w->line), 0, 11);
	}
	strbuf_reset(&w->line);
	strbuf_adds(&w->line, "- Lưu: VT");
	if (doc->archive_code && doc->archive_code[0])
		strbuf_addf(&w->line, ", %s", doc->archive_code);
	strbuf_adds(&w->line, ".");
	docxw_p(d, NULL, strbuf_str(&w->line), 0, 11);
	docxw_cell_end(d);
	docxw_cell_begin(d, FOOT_RIGHT);
	const char *title = doc->signer_title;
	setting_lines(d, &centred, title && title[0] ? title : "GIÁM ĐỐC", DOCXW_BOLD, PT_BODY);
	/* Room for the signature (and the seal); the name, bold, is typed under it. */
	for (int i = 0; i < 5; i++)
		docxw_p(d, &centred, "", 0, PT_BODY);
	docxw_p(d, &centred, "", DOCXW_BOLD, PT_BODY);
	docxw_cell_end(d);
	docxw_row_end(d);
	docxw_table_end(d);
	docxw_p(d, NULL, "", 0, 0);	/* a document ends with a paragraph */
}

/* Writes the draft of a document whose items the batches give (NULL: they are in doc). */
int consol_write_docx_batched(const struct consol_doc *doc, const struct consol_batches *b,
			      unsigned char **data, size_t *len, char **err)
{
	*data = NULL;
	*len = 0;
	struct draft w = { .doc = doc, .results_first = true, .problems_first = true,
			   .line = STRBUF_INIT };
	docxw_init(&w.out);
	docxw_init(&w.results);
	docxw_init(&w.problems);
	write_header(&w);
	write_counts(&w);
	int rc = write_groups(&w, b, err);
	if (rc == 0) {
		write_assessment(&w);
		write_foot(&w);
		char *title = xasprintf("Báo cáo: %s", doc->subject ? doc->subject : "");
		struct docxw_props props = { .title = title, .subject = doc->subject,
					     .created = doc->created };
		const struct docxw_page page = {
			.top = MARGIN_TOP, .bottom = MARGIN_BOTTOM, .left = MARGIN_LEFT,
			.right = MARGIN_RIGHT, .header = DOCXW_MM(10), .page_numbers = true,
		};
		rc = docxw_finish(&w.out, "draft", &page, &props, PT_BODY, data, len, err);
		free(title);
	}
	docxw_free(&w.out);
	docxw_free(&w.results);
	docxw_free(&w.problems);
	strbuf_free(&w.line);
	return rc;
}

/* Writes the draft of a document holding every item. */
int consol_write_docx(const struct consol_doc *doc, unsigned char **data, size_t *len,
		      char **err)
{
	return consol_write_docx_batched(doc, NULL, data, len, err);
}
