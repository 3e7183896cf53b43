/* A CSV reader (RFC 4180: quoted fields, doubled quotes, CRLF or LF, UTF-8 BOM). */
#ifndef BAOCAO_CSV_H
#define BAOCAO_CSV_H

#include <stddef.h>

/*
 * Called once per record with its fields (NUL-terminated) and the line the record starts on.
 * Returning non-zero stops the reading; csv_parse then returns that value.
 */
typedef int (*csv_record_fn)(void *arg, char **fields, int nfields, int line);

/*
 * Reads all records of data. Returns 0, the callback's non-zero value, or -1 on malformed
 * input with *err_line set (an unterminated quoted field or a quote inside an unquoted one).
 */
int csv_parse(const char *data, size_t len, csv_record_fn fn, void *arg, int *err_line);

#endif
