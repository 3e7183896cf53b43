/* The units' reports as they are read back: the one in force, its items, its versions and
 * file, the board of a period, timeliness over periods, the review of the one in force. */
#ifndef BAOCAO_SUBMISSIONS_H
#define BAOCAO_SUBMISSIONS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

/* Each returns the rows named, or NULL with *err ("<what>: <PostgreSQL's message>"). */

/* The unit's report in force for a period (no row when none): id, version, received_at (Unix
 * seconds), sha256 (hex), on_time, items, receipt_signature, channel, general_difficulties,
 * general_proposals, on_behalf, review, review_comment, reviewed_at (RFC 3339), extended_until
 * (Unix seconds; NULL unless on time only by the unit's extension). */
PGresult *submissions_current(PGconn *conn, long long period_id, const char *unit, char **err);
/* A report's items in the tasks' order: task code, title, status, progress, completed_on
 * (YYYY-MM-DD), result, difficulties, proposals, note. */
PGresult *submissions_items(PGconn *conn, long long submission_id, char **err);
/* Every version the unit sent for a period, oldest first: id, version, received_at (Unix
 * seconds), sha256 (hex), on_time, superseded, channel, items, login (NULL: not by an
 * account), on_behalf, whether the file is kept, whether it has a document. */
PGresult *submissions_list(PGconn *conn, long long period_id, const char *unit, char **err);
/* The file of the unit's report in force (version NULL) or of that version, in binary
 * format: file (bytea, NULL once removed), version (int4), removed (bool), superseded
 * (bool: a later version replaced it). */
PGresult *submissions_file(PGconn *conn, long long period_id, const char *unit,
			   const char *version, char **err);
/* The items of the unit's report in force of the latest period of the series that starts
 * before starts (YYYY-MM-DD), carried forward into the next: period_key, task_id, status,
 * progress, completed_on (YYYY-MM-DD). */
PGresult *submissions_carried(PGconn *conn, const char *series, long long unit_id,
			      const char *starts, char **err);
/* The board of a stored period: one row per unit of its roster, in the units' order: code,
 * name, unit_group, state (missing, returned, no_document, on_time, late), received_at (RFC
 * 3339), version, items, review, review_comment, on_time of the report in force, its
 * document's state (missing, also without a report; unchecked; or the signatures' state), the
 * series' require_document. With require_document a report without its document is
 * no_document, and on time only when its document came by the deadline too. Then the report's
 * extended_until (Unix seconds or NULL) and the unit's extension (EXTENSION_COLS, NULLs). */
PGresult *submissions_board(PGconn *conn, long long period_id, char **err);
/* The last limit periods of a series (not skipped) whose units' deadline has passed at now,
 * oldest first: period_key, starts_on, ends_on. */
PGresult *submissions_timeliness_periods(PGconn *conn, const char *series, time_t now,
					 int limit, char **err);
/* For the same periods, one row per unit of each roster, by unit then period: code, name,
 * unit_group, period_key, and on_time, late (sent only after the deadline) or missing. In a
 * series with require_document, a version is on time only with its document on time. */
PGresult *submissions_timeliness(PGconn *conn, const char *series, time_t now, int limit,
				 char **err);
/* The unit's report in force for a period (no row when none): version, received_at (RFC
 * 3339) and in Unix seconds. */
PGresult *submissions_in_force(PGconn *conn, long long period_id, const char *unit,
			       char **err);

/* A coordinator's verdict on a version of a unit's report. */
struct submission_review {
	long long period_id;
	const char *unit;	/* its code */
	bool returned;		/* returned for correction, or accepted */
	const char *comment;	/* when returned */
	long long account_id;	/* who judged */
	time_t at;
	int version;		/* the version judged */
};
/* Records the verdict on the version judged while it is in force (an upload in between
 * supersedes it): one row (submission id, version, unit name), none when that version is not
 * in force. */
PGresult *submissions_review(PGconn *conn, const struct submission_review *rv, char **err);

#endif
