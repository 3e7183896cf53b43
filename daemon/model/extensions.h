/* A unit's later deadline for one period (an extension, "gia hạn"): reading it, granting and
 * taking it back, its JSON, and what a unit's page says about when it may send (the window). */
#ifndef BAOCAO_EXTENSIONS_H
#define BAOCAO_EXTENSIONS_H

#include "json.h"
#include "periods.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

/* The longest reason, in characters (the schema's limit too). */
#define EXTENSION_REASON_MAX 500

/* The columns of an extension row e joined with its granting account a, in the order
 * extension_from_row reads them: until, reason, who granted it, when (NULLs when none). */
#define EXTENSION_COLS(E, A) \
	"extract(epoch FROM " E ".until)::bigint, " E ".reason, " \
	"coalesce(nullif(" A ".display_name, ''), " A ".login), " \
	"extract(epoch FROM " E ".granted_at)::bigint"
#define EXTENSION_NCOLS 4

/* One unit's extension for one period. */
struct extension {
	bool present;
	time_t until;
	char *reason;
	char *granted_by;	/* the coordinator's name (login when it has none) */
	time_t granted_at;
};

/* Reads EXTENSION_COLS at col of row into out (present false when they are NULL). */
void extension_from_row(PGresult *r, int row, int col, struct extension *out);
/* The extension of a unit (code) in a period (row id): 0 (out->present says whether there is
 * one), or -1 with *err. */
int extension_get(PGconn *conn, long long period_id, const char *unit, struct extension *out,
		  char **err);
void extension_free(struct extension *e);

/* Writes null, or {"until","until_text","reason","granted_by","granted_at"}. */
void extension_json(struct json *j, const struct extension *e);

/* What a grant or a revocation changes (the caller's transaction). */
struct extension_change {
	long long period_id;
	const char *unit;		/* the unit's code */
	time_t until;			/* grant only */
	const char *reason;		/* grant only */
	long long account_id;		/* who grants (grant only) */
	time_t now;
};
/* Grants (or replaces) a unit's extension: 0, 1 when the unit is not one of the period's
 * units, -1 with *err. */
int extension_grant(PGconn *conn, const struct extension_change *c, char **err);
/* Takes a unit's extension back: 0, 1 when it had none, -1 with *err. */
int extension_revoke(PGconn *conn, const struct extension_change *c, char **err);

/* Where a unit stands with a period at now, for its page and for refusals. */
enum window_state {
	WINDOW_NOT_STARTED,	/* the period has not begun: uploads are refused */
	WINDOW_OPEN,		/* before the deadline */
	WINDOW_EXTENDED,	/* after the period's deadline, before the unit's extension ends */
	WINDOW_LATE,		/* after every deadline: accepted and marked late */
	WINDOW_SKIPPED,		/* nothing to report: uploads are refused */
};

/* The window's code ("open", "not_started", "extended", "late", "skipped"). */
const char *window_code(enum window_state w);
/* The window of a unit in a period at now (e: its extension, may be NULL). */
enum window_state window_of(const struct period_info *pi, const struct extension *e, time_t now);
/* The window in one Vietnamese sentence or two (new string). */
char *window_text(const struct period_info *pi, const struct extension *e, time_t now);
/* Writes {"state": code, "text": sentence, "deadline": RFC 3339 or null}: the deadline that
 * applies to the unit (its extension's when it has one). */
void window_json(struct json *j, const struct period_info *pi, const struct extension *e,
		 time_t now);

/* How a version's timeliness reads: "Đúng hạn", "Đúng hạn (gia hạn đến 17 giờ 00, thứ Sáu,
 * ngày 04/12/2026)" when extended_until is not 0, "Gửi muộn" (new string). */
char *extension_timeliness_text(bool on_time, time_t extended_until);

#endif
