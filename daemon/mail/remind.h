/* Who gets which reminder: every address of every unit that has not reported a period, and one
 * digest of the missing units for each coordinator of the series, queued in the outbox. */
#ifndef BAOCAO_REMIND_H
#define BAOCAO_REMIND_H

#include "periods.h"
#include "series.h"

#include <libpq-fe.h>
#include <time.h>

/*
 * Queues, in one transaction, a reminder to every address of every member unit of the series
 * without a current report for the period (the unit's contacts and its reporters' accounts,
 * each address once) and a digest listing those units to each coordinator of the series'
 * consolidating unit; each message expires at the units' deadline. occasion names the round
 * in the messages' keys ("-1d 15:00", "manual:..."), so a round queued twice sends nothing
 * twice. Sets the units missing and the messages queued; 0, or -1 with *err.
 */
int remind_queue(PGconn *conn, const struct series_def *s, const struct period_info *pi,
		 const char *occasion, time_t now, int *units, int *messages, char **err);

/* The late notice, once the deadline has passed, to the units still missing (and the digest),
 * expiring at the consolidation deadline; as remind_queue. */
int remind_late(PGconn *conn, const struct series_def *s, const struct period_info *pi,
		time_t now, int *units, int *messages, char **err);

/* A round asked for by hand is not repeated within this many seconds. */
#define REMIND_COOLDOWN_S 600

/*
 * A round a coordinator asked for (occasion "manual:<time>"), its messages expiring at the
 * consolidation deadline: 0 when queued, 1 when a round was asked for within the last ten
 * minutes (nothing new is queued), -1 with *err.
 */
int remind_now(PGconn *conn, const struct series_def *s, const struct period_info *pi,
	       time_t now, int *units, int *messages, char **err);

/*
 * Who a round asked for at now would reach, without queuing anything: one row per missing
 * unit (code, name, group, number of addresses, and the time of the period's latest round
 * asked for by hand or NULL, the same on every row); NULL with *err.
 */
PGresult *remind_preview(PGconn *conn, const struct series_def *s, const struct period_info *pi,
			 time_t now, char **err);

/* How long after an extension's end its late notice may still go (seconds). */
#define EXTENSION_LATE_S 86400

/*
 * The reminders that follow a unit's extension (schema/015_extension.sql), for every unit
 * with one that has not reported: at the series' reminder rules counted from the extension's
 * end (the latest due since the grant, once), and a late notice once it has passed (within
 * EXTENSION_LATE_S). The scheduled rounds of the period leave such units out. Adds the
 * messages queued to *messages; 0, or -1 with *err.
 */
int remind_extensions(PGconn *conn, time_t now, int *messages, char **err);

#endif
