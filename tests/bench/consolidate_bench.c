/* Benchmark of the consolidated workbook (not a test), each mode in a process of its own:
 *   consolidate_bench cells OURS.xlsx CELLS.tsv   every non-empty cell of a workbook, read with
 *                                                  our reader: sheet, row, column, type, value
 *   consolidate_bench bare CELLS.tsv OUT.xlsx      a bare libxlsxwriter program writing those
 *                                                  cells (constant memory, one format): the floor
 *   consolidate_bench ours UNITS ITEMS OUT.xlsx    consol_write_xlsx() alone, on a made-up
 *                                                  document (no database)
 * bare and ours print one JSON line: seconds, CPU seconds, bytes, cells, peak memory (VmHWM).
 * tests/bench/consolidate/run drives them. */
#include "../unit/consolidate_fixture.c"
#include "xlsx_read.h"

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

/* Writes text with \\, \t, \n and \r escaped. */
static void put_escaped(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		switch (s[i]) {
		case '\\': fputs("\\\\", out); break;
		case '\t': fputs("\\t", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		default: fputc(s[i], out);
		}
}

struct dump {
	FILE *out;
	size_t sheet;
};

/* One cell as a line: sheet, row and column (0-based), s or n, the value. */
static bool dump_cell(const struct xlsx_cell *c, void *arg)
{
	struct dump *d = arg;
	if (c->type == XLSX_STRING) {
		fprintf(d->out, "%zu\t%u\t%u\ts\t", d->sheet, c->row - 1, c->col - 1);
		put_escaped(d->out, c->str, c->len);
		fputc('\n', d->out);
	} else if (c->type == XLSX_NUMBER) {
		fprintf(d->out, "%zu\t%u\t%u\tn\t%.17g\n", d->sheet, c->row - 1, c->col - 1, c->num);
	}
	cells++;
	return true;
}

/* Dumps every cell of a workbook: a "#" line per sheet with its name, then its cells. */
static int dump_cells(const char *in, const char *path)
{
	struct xlsx *x;
	char *detail = NULL;
	if (xlsx_open_file(in, NULL, &x, &detail) != XLSX_OK) {
		fprintf(stderr, "error: %s: %s\n", in, detail ? detail : "cannot read");
		free(detail);
		return -1;
	}
	struct dump d = { .out = fopen(path, "w") };
	int rc = d.out ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < xlsx_sheet_count(x); i++)
		fprintf(d.out, "#%s\n", xlsx_sheet_name(x, i));
	for (d.sheet = 0; rc == 0 && d.sheet < xlsx_sheet_count(x); d.sheet++)
		if (xlsx_sheet_read(x, d.sheet, dump_cell, &d) != XLSX_OK)
			rc = -1;
	if (d.out && fclose(d.out) != 0)
		rc = -1;
	xlsx_close(x);
	return rc;
}

/* Undoes put_escaped() in place; returns the length. */
static size_t unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (*r == '\\' && r[1]) {
			r++;
			*w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r == 'r' ? '\r' : *r;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* Writes the dumped cells with one format (Times New Roman, bordered, wrapped), in
 * constant-memory mode, without our workbook's document header, merges, row heights or
 * read-back: what any program writing these cells with libxlsxwriter must at least do. */
static int bare(const char *in, const char *path)
{
	FILE *fp = fopen(in, "r");
	if (fp == NULL)
		return -1;
	lxw_workbook_options opts = { .constant_memory = LXW_TRUE };
	lxw_workbook *wb = workbook_new_opt(path, &opts);
	if (wb == NULL) {
		fclose(fp);
		return -1;
	}
	lxw_format *f = workbook_add_format(wb);
	format_set_font_name(f, "Times New Roman");
	format_set_border(f, LXW_BORDER_THIN);
	format_set_text_wrap(f);
	lxw_worksheet *ws[16];
	size_t nws = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int rc = 0;
	while (rc == 0 && (got = getline(&line, &cap, fp)) > 0) {
		if (line[got - 1] == '\n')
			line[--got] = '\0';
		if (line[0] == '#') {
			if (nws == 16 || (ws[nws++] = workbook_add_worksheet(wb, line + 1)) == NULL)
				rc = -1;
			continue;
		}
		char *fields[5], *p = line;
		for (int k = 0; k < 5; k++) {
			fields[k] = p;
			p = k < 4 ? strchr(p, '\t') : NULL;
			if (k < 4 && p == NULL) {
				rc = -1;
				break;
			}
			if (p)
				*p++ = '\0';
		}
		if (rc != 0)
			break;
		size_t sheet = strtoul(fields[0], NULL, 10);
		lxw_row_t r = (lxw_row_t)strtoul(fields[1], NULL, 10);
		lxw_col_t c = (lxw_col_t)strtoul(fields[2], NULL, 10);
		if (sheet >= nws) {
			rc = -1;
			break;
		}
		lxw_error e;
		if (fields[3][0] == 'n') {
			e = worksheet_write_number(ws[sheet], r, c, strtod(fields[4], NULL), f);
		} else {
			unescape(fields[4]);
			e = worksheet_write_string(ws[sheet], r, c, fields[4], f);
		}
		if (e != LXW_NO_ERROR)
			rc = -1;
		cells++;
	}
	free(line);
	if (fclose(fp) != 0)
		rc = -1;
	if (workbook_close(wb) != LXW_NO_ERROR)
		rc = -1;
	return rc;
}

/* Runs one mode and prints its measures. */
int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "cells") == 0) {
		if (dump_cells(argv[2], argv[3]) != 0) {
			fprintf(stderr, "error: dumping %s into %s failed\n", argv[2], argv[3]);
			return 1;
		}
		printf("%lu cells\n", cells);
		return 0;
	}
	bool is_bare = argc == 4 && strcmp(argv[1], "bare") == 0;
	if (!is_bare && !(argc == 5 && strcmp(argv[1], "ours") == 0)) {
		fprintf(stderr, "usage: consolidate_bench cells IN.xlsx OUT.tsv | bare CELLS.tsv "
			"OUT.xlsx | ours UNITS ITEMS OUT.xlsx\n");
		return 2;
	}
	const char *out = argv[argc - 1];
	struct consol_doc doc = { 0 };
	if (!is_bare)
		fixture_big(&doc, strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10));
	long before = status_kib("VmRSS");
	double t0 = now(), c0 = cpu(), t, c;
	int rc;
	if (is_bare) {
		rc = bare(argv[2], out);
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
			FILE *fp = fopen(out, "wb");
			rc = fp && fwrite(data, 1, len, fp) == len ? 0 : -1;
			if (fp && fclose(fp) != 0)
				rc = -1;
			free(data);
		}
	}
	struct stat st;
	if (rc != 0 || stat(out, &st) != 0) {
		fprintf(stderr, "error: writing %s failed\n", out);
		return 1;
	}
	printf("{\"who\": \"%s\", \"seconds\": %.3f, \"cpu\": %.3f, \"bytes\": %lld, "
	       "\"cells\": %lu, \"before_kib\": %ld, \"peak_kib\": %ld}\n", argv[1], t, c,
	       (long long)st.st_size, cells, before, status_kib("VmHWM"));
	consol_doc_free(&doc);
	return 0;
}
