/* A CSV reader (RFC 4180: quoted fields, doubled quotes, CRLF or LF, UTF-8 BOM), with flags
 * for the looser readings some files have always had (the calendar). */
#ifndef BAOCAO_CSV_H
#define BAOCAO_CSV_H

#include <stddef.h>

/*
 * Called once per record with its fields (NUL-terminated) and the line the record starts on.
 * Returning non-zero stops the reading; csv_parse then returns that value.
 */
typedef int (*csv_record_fn)(void *arg, char **fields, int nfields, int line);

/* Readings that differ from RFC 4180, for files that have always been read so. */
enum csv_flags {
	/* A quote inside an unquoted field (or after spaces) is text, not an error. */
	CSV_QUOTE_IN_FIELD = 1 << 0,
	/* Lines are counted without the line breaks inside quoted fields: a record that spans
	 * two lines counts as one, and later lines are numbered one less. */
	CSV_RECORD_LINES = 1 << 1,
	/* A record of one quoted empty field ("") is handed on; only a blank line is skipped. */
	CSV_QUOTED_EMPTY = 1 << 2,
};

/*
 * Reads all records of data. Returns 0, the callback's non-zero value, or -1 on malformed
 * input with *err_line set (an unterminated quoted field or a quote inside an unquoted one).
 * Blank lines are skipped.
 */
int csv_parse(const char *data, size_t len, csv_record_fn fn, void *arg, int *err_line);
/* Reads all records as csv_parse() does, with the readings of flags (enum csv_flags). */
int csv_parse_flags(const char *data, size_t len, unsigned flags, csv_record_fn fn, void *arg,
		    int *err_line);

#endif
