/* A CSV reader (RFC 4180: quoted fields, doubled quotes, CRLF or LF, UTF-8 BOM), with flags
 * for the looser readings some files have always had (the calendar). */
#include "csv.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct record {
	struct strbuf *fields;
	int n, cap;
	bool quoted;		/* a field of the record was quoted */
};

/* Starts a new empty field in the record. */
static void record_next_field(struct record *r)
{
	if (r->n == r->cap) {
		int cap = r->cap ? r->cap * 2 : 8;
		r->fields = xrealloc(r->fields, (size_t)cap * sizeof *r->fields);
		for (int i = r->cap; i < cap; i++)
			r->fields[i] = (struct strbuf)STRBUF_INIT;
		r->cap = cap;
	}
	strbuf_reset(&r->fields[r->n]);
	strbuf_grow(&r->fields[r->n], 0);
	r->n++;
}

/* Hands a finished record to the callback; skips records that are one empty field (with
 * CSV_QUOTED_EMPTY, only those not quoted: blank lines). */
static int record_emit(struct record *r, unsigned flags, csv_record_fn fn, void *arg, int line)
{
	if (r->n == 1 && r->fields[0].len == 0 && !(r->quoted && (flags & CSV_QUOTED_EMPTY)))
		return 0;
	char **f = xmalloc((size_t)r->n * sizeof *f);
	for (int i = 0; i < r->n; i++)
		f[i] = r->fields[i].data;
	int rc = fn(arg, f, r->n, line);
	free(f);
	return rc;
}

/* Reads every record the RFC 4180 way. */
int csv_parse(const char *data, size_t len, csv_record_fn fn, void *arg, int *err_line)
{
	return csv_parse_flags(data, len, 0, fn, arg, err_line);
}

/* Reads every record with the readings of flags. */
int csv_parse_flags(const char *data, size_t len, unsigned flags, csv_record_fn fn, void *arg,
		    int *err_line)
{
	struct record r = { NULL, 0, 0, false };
	size_t i = 0;
	int line = 1, start_line = 1, rc = 0;
	bool quoted = false, after_quote = false;

	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	record_next_field(&r);
	for (; i < len; i++) {
		char c = data[i];
		struct strbuf *f = &r.fields[r.n - 1];
		if (quoted) {
			if (c == '"') {
				if (i + 1 < len && data[i + 1] == '"') {
					strbuf_addc(f, '"');
					i++;
				} else {
					quoted = false;
					after_quote = true;
				}
			} else {
				if (c == '\n' && !(flags & CSV_RECORD_LINES))
					line++;
				strbuf_addc(f, c);
			}
			continue;
		}
		if (c == ',') {
			record_next_field(&r);
			after_quote = false;
		} else if (c == '\n' || c == '\r') {
			if (c == '\r' && i + 1 < len && data[i + 1] == '\n')
				i++;
			rc = record_emit(&r, flags, fn, arg, start_line);
			if (rc)
				goto out;
			line++;
			start_line = line;
			r.n = 0;
			r.quoted = false;
			record_next_field(&r);
			after_quote = false;
		} else if (c == '"' && f->len != 0 && !after_quote && (flags & CSV_QUOTE_IN_FIELD)) {
			strbuf_addc(f, c);
		} else if (c == '"') {
			if (f->len != 0 || after_quote) {
				*err_line = line;
				rc = -1;
				goto out;
			}
			quoted = true;
			r.quoted = true;
		} else {
			if (after_quote) {
				*err_line = line;
				rc = -1;
				goto out;
			}
			strbuf_addc(f, c);
		}
	}
	if (quoted) {
		*err_line = start_line;
		rc = -1;
		goto out;
	}
	rc = record_emit(&r, flags, fn, arg, start_line);
out:
	for (int k = 0; k < r.cap; k++)
		strbuf_free(&r.fields[k]);
	free(r.fields);
	return rc;
}
