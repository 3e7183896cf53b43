/* The coordinator's board as a one-sheet workbook (GET .../status?format=xlsx). */
#ifndef BAOCAO_BOARD_XLSX_H
#define BAOCAO_BOARD_XLSX_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* The largest board workbook read back (4,000 units make about 200 KiB). */
#define BOARD_XLSX_MAX (16u * 1024 * 1024)

/* One unit of the board, as the status query gives it. */
struct board_row {
	const char *code, *name, *group, *state;
	const char *received_at;	/* RFC 3339 in the zone of the province, or NULL */
	long long version, items;
	const char *comment;		/* the coordinator's comment, or NULL */
	bool extended;			/* on time only by the unit's extension */
};

/* What the sheet's title says. */
struct board_title {
	const char *series_title, *period_title, *made_at;	/* made_at: "09:00 ngày 11/12/2026" */
};

/*
 * Writes the board: a title, the counts, then one row per unit (STT, code, name, group, state,
 * time received, version, tasks, comment) in Times New Roman with the header row repeated on
 * every printed page. Sets *data (free it) and *len; 0, or -1 with *err (English).
 */
int board_xlsx_write(const struct board_title *t, const struct board_row *rows, size_t n,
		     unsigned char **data, size_t *len, char **err);

#endif
