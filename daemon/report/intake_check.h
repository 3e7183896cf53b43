/* What the two readers of an upload (workbook and JSON) share: where a field came from, an
 * item as read, and the checks and errors. Private to intake*.c. */
#ifndef BAOCAO_INTAKE_CHECK_H
#define BAOCAO_INTAKE_CHECK_H

#include "intake.h"
#include "workbook.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the fields of one item came from, for messages. */
struct loc {
	bool json;
	size_t index;			/* JSON: position in items */
	const char *json_prefix;	/* JSON: instead of "items[index]" */
	const char *sheet;		/* xlsx: sheet name */
	uint32_t row;			/* xlsx: 1-based row */
	int col[WB_NCOLS];		/* xlsx: 1-based column of each field, 0 if absent */
};

/*
 * One item's fields as read (strings, with progress and date already parsed by the
 * caller where the source had typed values) and the rules that tie them together.
 */
struct raw_item {
	const char *code;
	const char *status;		/* NULL or "" when empty */
	bool progress_given;
	bool progress_ok;		/* a whole number */
	double progress;
	bool date_given;
	bool date_ok;
	cal_day date;
	const char *date_text;		/* for messages */
	const char *result, *difficulties, *proposals, *note;
};

/* Adds one error; after a few hundred the rest are summed up in one. */
void intake_err_add(struct intake_errors *e, const char *sheet, const char *cell,
		    const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Adds an error about one field of an item, named by its cell or its JSON path. */
void intake_err_at(struct intake_errors *e, const struct loc *l, enum wb_column col,
		   const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Checks a text field's length; keeps it (trimmed) in *out. */
void intake_take_text(struct intake_context *ctx, const char *text, char **out,
		      const struct loc *l, enum wb_column col, struct intake_errors *e);
/* Validates a raw item and appends it to the report. */
void intake_check_item(struct intake_context *ctx, const struct raw_item *raw,
		       const struct loc *l, struct intake_report *out, struct intake_errors *e);
/* Adds an error for every task of the unit the upload did not mention. */
void intake_check_missing(struct intake_context *ctx, const char *sheet, bool json,
			  struct intake_errors *e);

#endif
