/* Query results as JSON: the rows of a PGresult written by a description of its columns. */
#include "db_json.h"

#include <stdlib.h>
#include <string.h>

/* Writes one value of r as its column's type says. */
static void value_json(struct json *j, const PGresult *r, int row, int col,
		       enum db_json_type type)
{
	const char *v = PQgetvalue(r, row, col);
	if ((type == DBJ_TEXT_NULL || type == DBJ_INT_NULL || type == DBJ_BOOL_NULL) &&
	    PQgetisnull(r, row, col)) {
		json_null(j);
		return;
	}
	switch (type) {
	case DBJ_TEXT:
	case DBJ_TEXT_NULL:
		json_string(j, v);
		break;
	case DBJ_INT:
	case DBJ_INT_NULL:
		json_int(j, atoll(v));
		break;
	case DBJ_BOOL:
	case DBJ_BOOL_NULL:
		json_bool(j, strcmp(v, "t") == 0);
		break;
	case DBJ_JSON:
		json_raw(j, v);
		break;
	}
}

/* Writes the described columns of one row as members. */
void db_json_members(struct json *j, const PGresult *r, int row, const struct db_json_col *cols,
		     size_t ncols)
{
	for (size_t k = 0; k < ncols; k++) {
		if (cols[k].key == NULL)
			continue;
		json_key(j, cols[k].key);
		value_json(j, r, row, (int)k, cols[k].type);
	}
}

/* Writes every row as an object in an array. */
void db_json_rows(struct json *j, const PGresult *r, const struct db_json_col *cols,
		  size_t ncols)
{
	json_array_begin(j);
	for (int i = 0; i < PQntuples(r); i++) {
		json_object_begin(j);
		db_json_members(j, r, i, cols, ncols);
		json_object_end(j);
	}
	json_array_end(j);
}
