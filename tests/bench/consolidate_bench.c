/* Benchmark of the consolidated workbook (not a test): our writer against a bare libxlsxwriter
 * program writing the same cells, each run in a process of its own.
 *   consolidate_bench ours|bare UNITS ITEMS OUT.xlsx
 * prints one JSON line: seconds, bytes, cells, the resident memory before writing (the
 * document) and the peak (VmHWM). tests/bench/consolidate/run drives it. */
#include "../unit/consolidate_fixture.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <xlsxwriter.h>

/* Seconds on the monotonic clock. */
static double now(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		abort();
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User and system CPU seconds of this process so far. */
static double cpu(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		abort();
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* A field of /proc/self/status in KiB ("VmHWM", "VmRSS"). */
static long status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	size_t n = strlen(field);
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			kib = atol(line + n + 1);
			break;
		}
	if (fclose(f) != 0)
		return -1;
	return kib;
}

static unsigned long cells;

/* A string cell; an empty one is a bordered blank, as in any printed table. */
static void s(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *v, lxw_format *f)
{
	if (v && *v)
		worksheet_write_string(ws, r, c, v, f);
	else
		worksheet_write_blank(ws, r, c, f);
	cells++;
}

/* A row with text in its first cell and bordered blanks across (a unit's row). */
static void across(lxw_worksheet *ws, lxw_row_t r, const char *v, lxw_col_t ncols, lxw_format *f)
{
	s(ws, r, 0, v, f);
	for (lxw_col_t c = 1; c < ncols; c++)
		s(ws, r, c, NULL, f);
}

/* A number cell. */
static void n(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, double v, lxw_format *f)
{
	worksheet_write_number(ws, r, c, v, f);
	cells++;
}

/* The cells of one item row. */
static void item(lxw_worksheet *ws, lxw_row_t r, size_t k, const struct consol_item *it,
		 bool note, lxw_format *f)
{
	n(ws, r, 0, (double)k, f);
	s(ws, r, 1, it->task_code, f);
	s(ws, r, 2, it->task_title, f);
	s(ws, r, 3, it->deadline_text, f);
	s(ws, r, 4, task_status_label_vi(it->status), f);
	if (it->progress >= 0)
		n(ws, r, 5, it->progress, f);
	else
		s(ws, r, 5, NULL, f);
	s(ws, r, 6, it->result, f);
	s(ws, r, 7, it->difficulties, f);
	s(ws, r, 8, it->proposals, f);
	if (note)
		s(ws, r, 9, it->note, f);
}

/* The same cells as our workbook's tables (empty ones as bordered blanks), without its
 * document header, merges, row heights or read-back: what any program writing this report
 * with libxlsxwriter must at least do. */
static int bare(const struct consol_doc *doc, const char *path)
{
	lxw_workbook_options opts = { .constant_memory = LXW_TRUE };
	lxw_workbook *wb = workbook_new_opt(path, &opts);
	if (wb == NULL)
		return -1;
	lxw_format *f = workbook_add_format(wb);
	format_set_font_name(f, "Times New Roman");
	format_set_border(f, LXW_BORDER_THIN);
	format_set_text_wrap(f);
	lxw_worksheet *summary = workbook_add_worksheet(wb, CONSOL_SHEET_SUMMARY);
	lxw_worksheet *detail = workbook_add_worksheet(wb, CONSOL_SHEET_DETAIL);
	lxw_worksheet *behind = workbook_add_worksheet(wb, CONSOL_SHEET_BEHIND);
	lxw_worksheet *proposals = workbook_add_worksheet(wb, CONSOL_SHEET_PROPOSALS);
	lxw_worksheet *missing = workbook_add_worksheet(wb, CONSOL_SHEET_MISSING);
	lxw_worksheet *timeliness = workbook_add_worksheet(wb, CONSOL_SHEET_TIMELINESS);
	lxw_row_t r = 0;
	for (size_t i = 0; i < doc->nunits; i++, r++) {
		const struct consol_unit *u = &doc->units[i];
		n(summary, r, 0, (double)i + 1, f);
		s(summary, r, 1, u->name, f);
		s(summary, r, 2, u->state == CONSOL_MISSING ? "Chưa báo cáo" : "Đúng hạn", f);
		s(summary, r, 3, u->received_at, f);
		for (int k = 0; k < 4; k++)
			n(summary, r, (lxw_col_t)(4 + k), u->status_counts[k], f);
		n(summary, r, 8, (double)u->nitems, f);
	}
	r = 0;
	for (size_t i = 0; i < doc->nunits; i++) {
		const struct consol_unit *u = &doc->units[i];
		across(detail, r++, u->name, 10, f);
		for (size_t k = 0; k < u->nitems; k++)
			item(detail, r++, k + 1, &u->items[k], true, f);
	}
	r = 0;
	for (size_t i = 0; i < doc->nunits; i++) {
		const struct consol_unit *u = &doc->units[i];
		across(behind, r++, u->name, 9, f);
		for (size_t k = 0; k < u->nitems; k++)
			if (u->items[k].status == TASK_OVERDUE || u->items[k].behind)
				item(behind, r++, k + 1, &u->items[k], false, f);
	}
	r = 0;
	for (size_t i = 0; i < doc->nunits; i++) {
		const struct consol_unit *u = &doc->units[i];
		across(proposals, r++, u->name, 5, f);
		for (size_t k = 0; k < u->nitems; k++) {
			const struct consol_item *it = &u->items[k];
			if (!*it->difficulties && !*it->proposals)
				continue;
			n(proposals, r, 0, (double)k + 1, f);
			s(proposals, r, 1, it->task_code, f);
			s(proposals, r, 2, it->task_title, f);
			s(proposals, r, 3, it->difficulties, f);
			s(proposals, r++, 4, it->proposals, f);
		}
	}
	r = 0;
	for (size_t i = 0; i < doc->nunits; i++) {
		const struct consol_unit *u = &doc->units[i];
		if (u->state != CONSOL_MISSING)
			continue;
		n(missing, r, 0, (double)i + 1, f);
		s(missing, r, 1, u->code, f);
		s(missing, r, 2, u->name, f);
		s(missing, r, 3, u->group, f);
		s(missing, r++, 4, u->emails[0], f);
	}
	for (size_t i = 0; i < doc->nunits; i++) {
		const struct consol_unit *u = &doc->units[i];
		n(timeliness, (lxw_row_t)i, 0, (double)i + 1, f);
		s(timeliness, (lxw_row_t)i, 1, u->name, f);
		for (size_t k = 0; k < doc->nhistory; k++)
			s(timeliness, (lxw_row_t)i, (lxw_col_t)(2 + k), "Đ", f);
		for (int k = 0; k < 4; k++)
			n(timeliness, (lxw_row_t)i, (lxw_col_t)(2 + doc->nhistory + k), 1, f);
	}
	return workbook_close(wb) == LXW_NO_ERROR ? 0 : -1;
}

/* Builds the document, writes it one way, prints the measures. */
int main(int argc, char **argv)
{
	if (argc != 5 || (strcmp(argv[1], "ours") != 0 && strcmp(argv[1], "bare") != 0)) {
		fprintf(stderr, "usage: consolidate_bench ours|bare UNITS ITEMS OUT.xlsx\n");
		return 2;
	}
	struct consol_doc doc;
	fixture_big(&doc, strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10));
	long before = status_kib("VmRSS");
	double t0 = now(), c0 = cpu(), t, c;
	int rc;
	if (strcmp(argv[1], "bare") == 0) {
		rc = bare(&doc, argv[4]);
		t = now() - t0;
		c = cpu() - c0;
	} else {
		unsigned char *data;
		size_t len;
		char *err = NULL;
		rc = consol_write_xlsx(&doc, &data, &len, &err);
		t = now() - t0;	/* the bytes are in memory: writing them out is not ours */
		c = cpu() - c0;
		if (rc != 0) {
			fprintf(stderr, "error: %s\n", err);
			free(err);
		} else {
			FILE *fp = fopen(argv[4], "wb");
			rc = fp && fwrite(data, 1, len, fp) == len ? 0 : -1;
			if (fp && fclose(fp) != 0)
				rc = -1;
			free(data);
		}
	}
	struct stat st;
	if (rc != 0 || stat(argv[4], &st) != 0) {
		fprintf(stderr, "error: writing %s failed\n", argv[4]);
		return 1;
	}
	struct consol_totals tot;
	consol_totals(&doc, &tot);
	printf("{\"who\": \"%s\", \"seconds\": %.3f, \"cpu\": %.3f, \"bytes\": %lld, "
	       "\"items\": %u, \"cells\": %lu, \"doc_kib\": %ld, \"peak_kib\": %ld}\n", argv[1], t, c,
	       (long long)st.st_size, tot.items, cells, before, status_kib("VmHWM"));
	consol_doc_free(&doc);
	return 0;
}
