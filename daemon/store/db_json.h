/* Query results as JSON: the rows of a PGresult written by a description of its columns. */
#ifndef BAOCAO_DB_JSON_H
#define BAOCAO_DB_JSON_H

#include "json.h"

#include <libpq-fe.h>
#include <stddef.h>

/* How a column is written. */
enum db_json_type {
	DBJ_TEXT,	/* a string; SQL NULL as "" (what PQgetvalue gives) */
	DBJ_TEXT_NULL,	/* a string, or null */
	DBJ_INT,	/* an integer (SQL NULL as 0) */
	DBJ_INT_NULL,	/* an integer, or null */
	DBJ_BOOL,	/* true for 't' */
	DBJ_BOOL_NULL,	/* a boolean, or null */
	DBJ_JSON,	/* JSON text made by PostgreSQL, written as it is */
};

/* One column of a result: its member name (NULL: not written) and how it is written. */
struct db_json_col {
	const char *key;
	enum db_json_type type;
};

/* Writes row of r as members of the object being written: column k as cols[k], for the first
 * ncols columns. */
void db_json_members(struct json *j, const PGresult *r, int row, const struct db_json_col *cols,
		     size_t ncols);
/* Writes every row of r as an array of objects (db_json_members). */
void db_json_rows(struct json *j, const PGresult *r, const struct db_json_col *cols,
		  size_t ncols);

#endif
