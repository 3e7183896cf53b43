/* libFuzzer target: any bytes as the texts of a consolidated report (unit names, comments, the
 * items' texts, the assessment, the document's header) must give a workbook whose every XML
 * part is well-formed (xlsxw_check, the check that guards what is stored and delivered). */
#include "consol.h"
#include "util.h"
#include "xlsxw.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The texts of one document the input fills, in the order the input's pieces go to them. */
enum {
	T_NAME1, T_RESULT1, T_DIFF1, T_PROP1, T_NOTE1, T_TITLE1, T_NAME2, T_COMMENT2,
	T_RESULT2, T_GDIFF2, T_GPROP2, T_ASSESSMENT, T_SUBJECT, T_ISSUER, T_DEADLINE, T_GROUP,
	T_DOCUMENT2, NTEXTS
};

/* Inputs are cut into texts at this byte (so that the fuzzer can place a text anywhere). */
#define SEP 0xFE
/* Longer inputs cost time without reaching more of the writer. */
#define MAX_INPUT 16384

/* The next piece of the input (a new string: bytes up to SEP, NUL bytes dropped since the
 * database cannot hold them), or "" when the input is used up. */
static char *next_text(const uint8_t **p, const uint8_t *end)
{
	struct strbuf sb = STRBUF_INIT;
	while (*p < end && **p != SEP) {
		if (**p != 0)
			strbuf_addc(&sb, (char)**p);
		(*p)++;
	}
	if (*p < end)
		(*p)++;
	return strbuf_detach(&sb);
}

/* One item with the given texts. */
static void item(struct consol_item *it, const char *code, char *title, char *result,
		 char *diff, char *prop, char *note, enum task_status status)
{
	it->task_code = xstrdup(code);
	it->task_title = title;
	it->deadline_text = xstrdup("31/12/2026");
	it->state = TASK_STATE_IN_PROGRESS;
	it->status = status;
	it->behind = status == TASK_OVERDUE;
	it->progress = 40;
	it->result = result;
	it->difficulties = diff;
	it->proposals = prop;
	it->note = note;
}

/* The document of two units, one returned with a comment, from the input's texts. */
static void make_doc(struct consol_doc *doc, char **t)
{
	memset(doc, 0, sizeof *doc);
	doc->header = CONSOL_HEADER_STATE;
	doc->edition = CONSOL_FINAL;
	doc->version = 1;
	doc->parent_body = xstrdup("UBND TỈNH HÀ TĨNH");
	doc->issuing_body = t[T_ISSUER];
	doc->number = xstrdup("Số: ......./BC-SKHCN");
	doc->place = xstrdup("Hà Tĩnh");
	doc->date = cal_from_ymd(2026, 12, 11);
	doc->subject = t[T_SUBJECT];
	doc->series_name = xstrdup("nq57-weekly");
	doc->period_key = xstrdup("2026-W50");
	doc->deadline_text = t[T_DEADLINE];
	doc->built_at_text = xstrdup("11 giờ 00, ngày 11/12/2026");
	doc->assessment = t[T_ASSESSMENT];
	doc->approved_by = xstrdup("Nguyễn Văn Hùng");
	doc->approved_at_text = xstrdup("14 giờ 05, ngày 11/12/2026");
	doc->nrecipients = 1;
	doc->recipients = xcalloc(1, sizeof *doc->recipients);
	doc->recipients[0] = xstrdup("Văn phòng Tỉnh ủy");
	doc->archive_code = xstrdup("SKHCN");
	doc->ngroups = 1;
	doc->groups = xcalloc(1, sizeof *doc->groups);
	doc->groups[0].name = xstrdup("so-nganh");
	doc->groups[0].title = t[T_GROUP];
	doc->nhistory = 1;
	doc->history_labels[0] = xstrdup("T50");
	doc->nunits = 3;
	doc->units = xcalloc(3, sizeof *doc->units);
	struct consol_unit *u = &doc->units[0];
	u->code = xstrdup("SNV");
	u->name = t[T_NAME1];
	u->group = xstrdup("so-nganh");
	u->state = CONSOL_ON_TIME;
	u->received_at = xstrdup("09:12 11/12/2026");
	u->version = 1;
	u->emails = xcalloc(1, sizeof *u->emails);
	u->general_difficulties = xstrdup("");
	u->general_proposals = xstrdup("");
	u->history[0] = CONSOL_MARK_ON_TIME;
	u->nitems = 1;
	u->items = xcalloc(1, sizeof *u->items);
	item(&u->items[0], "NQ57-01", t[T_TITLE1], t[T_RESULT1], t[T_DIFF1], t[T_PROP1],
	     t[T_NOTE1], TASK_OVERDUE);
	u->status_counts[TASK_OVERDUE]++;

	u = &doc->units[1];
	u->code = xstrdup("STC");
	u->name = t[T_NAME2];
	u->group = xstrdup("xa-phuong");	/* a group without a title: its name is shown */
	u->state = CONSOL_RETURNED;
	u->late = true;
	u->received_at = xstrdup("14:02 11/12/2026");
	u->version = 2;
	u->comment = t[T_COMMENT2];
	u->document = t[T_DOCUMENT2];	/* the signature line comes from a signer's certificate */
	u->emails = xcalloc(1, sizeof *u->emails);
	u->general_difficulties = t[T_GDIFF2];
	u->general_proposals = t[T_GPROP2];
	u->history[0] = CONSOL_MARK_LATE;
	u->nitems = 1;
	u->items = xcalloc(1, sizeof *u->items);
	item(&u->items[0], "NQ57-02", xstrdup("Số hóa hồ sơ"), t[T_RESULT2], xstrdup(""),
	     xstrdup("Đề nghị hỗ trợ."), xstrdup(""), TASK_IN_PROGRESS_ON_TIME);
	u->status_counts[TASK_IN_PROGRESS_ON_TIME]++;

	u = &doc->units[2];	/* missing: listed with its contacts */
	u->code = xstrdup("SYT");
	u->name = xstrdup("Sở Y tế");
	u->group = xstrdup("so-nganh");
	u->state = CONSOL_MISSING;
	u->nemails = 1;
	u->emails = xcalloc(2, sizeof *u->emails);
	u->emails[0] = xstrdup("syt@hatinh.gov.vn");
	u->general_difficulties = xstrdup("");
	u->general_proposals = xstrdup("");
	u->history[0] = CONSOL_MARK_MISSING;
	doc->created = 1796977800;
}

/* Writes the document of the input's texts; the workbook must be well-formed. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return -1;	/* not added to the corpus */
	const uint8_t *p = data, *end = data + size;
	char *t[NTEXTS];
	for (size_t i = 0; i < NTEXTS; i++)
		t[i] = next_text(&p, end);
	struct consol_doc doc;
	make_doc(&doc, t);	/* takes the texts */
	unsigned char *out = NULL;
	size_t len = 0;
	char *err = NULL;
	int rc = consol_write_xlsx(&doc, &out, &len, &err);
	if (rc != 0) {
		/* The writer's own check refused what it wrote: a text broke the file. */
		fprintf(stderr, "fuzz_consolidate: the writer failed (%d): %s\n", rc,
			err ? err : "?");
		abort();
	}
	if (xlsxw_check(out, len, &err) != 0) {
		fprintf(stderr, "fuzz_consolidate: the workbook is not well-formed: %s\n", err);
		abort();
	}
	free(out);
	consol_doc_free(&doc);
	return 0;
}
