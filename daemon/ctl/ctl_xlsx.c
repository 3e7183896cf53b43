/* baocaoctl xlsx: look inside a workbook with the same reader the daemon uses. */
#include "ctl.h"

#include "util.h"
#include "xlsx_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the cell callback writes into. */
struct dump {
	struct strbuf *out;
	bool first;
};

/* Appends s (n bytes, possibly with NULs) as a JSON string. */
static void json_str(struct strbuf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	strbuf_grow(out, n + 2);
	strbuf_addc(out, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		strbuf_add(out, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': strbuf_adds(out, "\\\""); break;
		case '\\': strbuf_adds(out, "\\\\"); break;
		case '\n': strbuf_adds(out, "\\n"); break;
		case '\r': strbuf_adds(out, "\\r"); break;
		case '\t': strbuf_adds(out, "\\t"); break;
		default: {
			char esc[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], '\0' };
			strbuf_adds(out, esc);
			break;
		}
		}
	}
	strbuf_add(out, s + run, n - run);
	strbuf_addc(out, '"');
}

/* Appends the shortest decimal text that reads back to the same double. */
static void json_num(struct strbuf *out, double v)
{
	char buf[40];
	for (int prec = 15; prec <= 17; prec++) {
		int n = snprintf(buf, sizeof buf, "%.*g", prec, v);
		if (n > 0 && (size_t)n < sizeof buf && (strtod(buf, NULL) == v || prec == 17))
			break;
	}
	strbuf_adds(out, buf);
}

/* Appends one cell as ["A1","type",value]. */
static bool dump_cell(const struct xlsx_cell *c, void *arg)
{
	struct dump *d = arg;
	struct strbuf *out = d->out;
	char ref[XLSX_REF_MAX];
	if ((c->type == XLSX_STRING) && c->len == 0)
		return true;	/* an empty string is an empty cell */
	xlsx_ref_format(c->row, c->col, ref);
	strbuf_adds(out, d->first ? "[\"" : ",[\"");
	d->first = false;
	strbuf_adds(out, ref);
	strbuf_addf(out, "\",\"%c\",", (char)c->type);
	switch (c->type) {
	case XLSX_STRING:
	case XLSX_ERROR:
		json_str(out, c->str, c->len);
		break;
	case XLSX_NUMBER:
		json_num(out, c->num);
		break;
	case XLSX_BOOL:
		strbuf_adds(out, c->boolean ? "true" : "false");
		break;
	case XLSX_DATE:
		strbuf_addf(out, "\"%04d-%02d-%02dT%02d:%02d:%02d\"", c->dt.year, c->dt.month,
			    c->dt.day, c->dt.hour, c->dt.minute, c->dt.second);
		break;
	}
	strbuf_addc(out, ']');
	return true;
}

/* Prints a reader error for the user and the log. */
static int dump_error(const char *path, enum xlsx_error err, const char *detail)
{
	fprintf(stderr, "%s: %s\n", xlsx_error_code(err), xlsx_error_message(err));
	if (detail != NULL && detail[0] != '\0')
		fprintf(stderr, "detail: %s: %s\n", path, detail);
	return CTL_USER;
}

/* baocaoctl xlsx dump FILE: prints every sheet and non-empty cell as one JSON object. */
static int xlsx_dump(const char *path)
{
	struct xlsx *x;
	char *detail = NULL;
	enum xlsx_error err = xlsx_open_file(path, NULL, &x, &detail);
	if (err != XLSX_OK) {
		int rc = dump_error(path, err, detail);
		free(detail);
		return rc;
	}
	/* The whole object is built first so that a failure half-way prints no partial JSON. */
	struct strbuf out = STRBUF_INIT;
	strbuf_adds(&out, "{\"sheets\":[");
	for (size_t i = 0; i < xlsx_sheet_count(x); i++) {
		const char *name = xlsx_sheet_name(x, i);
		strbuf_adds(&out, i ? ",{\"name\":" : "{\"name\":");
		json_str(&out, name, strlen(name));
		strbuf_addf(&out, ",\"state\":\"%s\",\"cells\":[",
			    xlsx_sheet_state_name(xlsx_sheet_state(x, i)));
		struct dump d = { .out = &out, .first = true };
		err = xlsx_sheet_read(x, i, dump_cell, &d);
		if (err != XLSX_OK) {
			int rc = dump_error(path, err, xlsx_detail(x));
			strbuf_free(&out);
			xlsx_close(x);
			return rc;
		}
		strbuf_adds(&out, "]}");
	}
	strbuf_adds(&out, "]}\n");
	xlsx_close(x);
	size_t n = fwrite(out.data, 1, out.len, stdout);
	bool ok = n == out.len && fflush(stdout) == 0;
	strbuf_free(&out);
	if (!ok) {
		perror("baocaoctl: stdout");
		return CTL_INTERNAL;
	}
	return CTL_OK;
}

/* baocaoctl xlsx SUBCOMMAND ...: needs neither the configuration nor the database. */
int ctl_xlsx(struct ctl *ctl, int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "dump") == 0)
		return xlsx_dump(argv[2]);
	fprintf(stderr, "usage: baocaoctl xlsx dump FILE\n");
	return CTL_USER;
}
