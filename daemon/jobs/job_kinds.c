/* The kinds of scheduled job: when each is due, what a run does, what a late run does. */
#include "job_kinds.h"
#include "clock.h"
#include "consol_ack.h"
#include "config.h"
#include "consolidation.h"
#include "db.h"
#include "periods.h"
#include "remind.h"
#include "series_store.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* open: due at the period's first day, 00:00 local time. */
static bool open_due(const struct series_def *s, const struct period_info *pi, int slot,
		     time_t *out)
{
	if (slot != 0 || !pi->has_span)
		return false;
	*out = pi->starts;
	return true;
}

/* The number of periods stored for a series, or -1 with *err. */
static long long periods_stored(PGconn *conn, const char *series, char **err)
{
	const char *p[] = { series };
	PGresult *r = db_run(conn, "jobs",
		"SELECT count(*) FROM period p JOIN series s ON s.id = p.series_id "
		"WHERE s.name = $1", 1, p, err);
	if (r == NULL)
		return -1;
	long long n = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

/* open: creates the period's row and the next one (periods_sync), counting what it made, and
 * fixes who must report in the period and on which tasks. */
static int open_run(PGconn *conn, struct scheduler_run *run, char **outcome, char **err)
{
	const struct series_def *s = series_current_find(run->series);
	if (s == NULL) {
		*err = xasprintf("the series %s is no longer in force", run->series);
		return -1;
	}
	long long before = periods_stored(conn, run->series, err);
	if (before < 0)
		return -1;
	if (periods_sync(conn, s, clock_now(), err) != PERIODS_OK) {
		if (*err == NULL)
			*err = xstrdup("periods: cannot create the periods");
		return -1;
	}
	long long after = periods_stored(conn, run->series, err);
	if (after < 0)
		return -1;
	struct period_info pi;
	memset(&pi, 0, sizeof pi);
	if (periods_lookup(conn, s, run->period, clock_now(), &pi, err) != PERIODS_OK)
		return -1;
	int fixed = periods_roster_fix(conn, pi.db_id, clock_now(), err);
	period_info_free(&pi);
	if (fixed < 0)
		return -1;
	*outcome = xasprintf("%lld period%s created; %s", after - before,
			     after - before == 1 ? "" : "s",
			     fixed ? "who must report fixed" : "who must report was fixed before");
	return 0;
}

/* remind: one slot per reminder rule of the series, before the units' deadline. */
static bool remind_due(const struct series_def *s, const struct period_info *pi, int slot,
		       time_t *out)
{
	if (pi->skipped || slot < 0 || (size_t)slot >= s->nreminders)
		return false;
	return reminder_due(&s->reminders[slot], pi->unit_deadline, out) == 0 &&
	       *out < pi->unit_deadline;
}

/* remind: a reminder is pointless once the units' deadline has passed. */
static bool remind_deadline(const struct period_info *pi, int slot, time_t *out)
{
	*out = pi->unit_deadline;
	return !pi->skipped;
}

/* remind: queues the round's messages to the units still missing and to the coordinators. */
static int remind_run(PGconn *conn, struct scheduler_run *run, char **outcome, char **err)
{
	const struct series_def *s = series_current_find(run->series);
	if (s == NULL || run->slot < 0 || (size_t)run->slot >= s->nreminders) {
		*err = xasprintf("the series %s or its reminder %d is no longer in force",
				 run->series, run->slot);
		return -1;
	}
	struct period_info pi;
	memset(&pi, 0, sizeof pi);
	time_t now = clock_now();
	if (periods_lookup(conn, s, run->period, now, &pi, err) != PERIODS_OK)
		return -1;
	char occasion[REMINDER_BUF];
	reminder_format(&s->reminders[run->slot], occasion);
	int units = 0, messages = 0;
	int rc = remind_queue(conn, s, &pi, occasion, now, &units, &messages, err);
	period_info_free(&pi);
	if (rc != 0)
		return -1;
	*outcome = xasprintf("%d unit%s missing, %d message%s queued", units, units == 1 ? "" : "s",
			     messages, messages == 1 ? "" : "s");
	return 0;
}

/* late_notice: a minute after the units' deadline. */
static bool late_due(const struct series_def *s, const struct period_info *pi, int slot,
		     time_t *out)
{
	if (pi->skipped || slot != 0 || s->nreminders == 0 ||
	    pi->consolidation_deadline <= pi->unit_deadline + 60)
		return false;
	*out = pi->unit_deadline + 60;
	return true;
}

/* late_notice: pointless once the consolidated report is due. */
static bool late_deadline(const struct period_info *pi, int slot, time_t *out)
{
	*out = pi->consolidation_deadline;
	return !pi->skipped;
}

/* late_notice: tells the units still missing that they are late (and the coordinators). */
static int late_run(PGconn *conn, struct scheduler_run *run, char **outcome, char **err)
{
	const struct series_def *s = series_current_find(run->series);
	if (s == NULL) {
		*err = xasprintf("the series %s is no longer in force", run->series);
		return -1;
	}
	struct period_info pi;
	memset(&pi, 0, sizeof pi);
	time_t now = clock_now();
	if (periods_lookup(conn, s, run->period, now, &pi, err) != PERIODS_OK)
		return -1;
	int units = 0, messages = 0;
	int rc = remind_late(conn, s, &pi, now, &units, &messages, err);
	period_info_free(&pi);
	if (rc != 0)
		return -1;
	*outcome = xasprintf("%d unit%s late, %d message%s queued", units, units == 1 ? "" : "s",
			     messages, messages == 1 ? "" : "s");
	return 0;
}

/* cutoff: at the units' deadline. */
static bool cutoff_due(const struct series_def *s, const struct period_info *pi, int slot,
		       time_t *out)
{
	if (pi->skipped || slot != 0)
		return false;
	*out = pi->unit_deadline;
	return true;
}

/* Looks the run's period up; 0, or -1 with *err. */
static int run_period(PGconn *conn, const struct scheduler_run *run, struct period_info *pi,
		      char **err)
{
	const struct series_def *s = series_current_find(run->series);
	memset(pi, 0, sizeof *pi);
	if (s == NULL) {
		*err = xasprintf("the series %s is no longer in force", run->series);
		return -1;
	}
	if (periods_lookup(conn, s, run->period, clock_now(), pi, err) != PERIODS_OK) {
		if (*err == NULL)
			*err = xasprintf("period %s of %s cannot be read", run->period, run->series);
		return -1;
	}
	if (pi->db_id <= 0) {
		period_info_free(pi);
		*err = xasprintf("period %s of %s is not stored", run->period, run->series);
		return -1;
	}
	return 0;
}

/* cutoff: the snapshot of what arrived, the draft, the mail to the coordinators. */
static int cutoff_run(PGconn *conn, struct scheduler_run *run, char **outcome, char **err)
{
	struct period_info pi;
	if (run_period(conn, run, &pi, err) != 0)
		return -1;
	int rc = consolidation_cutoff(conn, &pi, clock_now(), outcome, err);
	period_info_free(&pi);
	return rc;
}

/* deliver: [report] automatic_before the consolidation deadline (at the units' deadline at
 * the earliest). */
static bool deliver_due(const struct series_def *s, const struct period_info *pi, int slot,
			time_t *out)
{
	if (pi->skipped || slot != 0)
		return false;
	time_t at = pi->consolidation_deadline -
		    (time_t)(config_current()->automatic_before / 1000);
	*out = at > pi->unit_deadline ? at : pi->unit_deadline;
	return true;
}

/* deliver: when nobody approved, the final report goes to the recipients anyway, marked
 * "tự động"; after an approval it does nothing. */
static int deliver_run(PGconn *conn, struct scheduler_run *run, char **outcome, char **err)
{
	struct period_info pi;
	if (run_period(conn, run, &pi, err) != 0)
		return -1;
	struct consolidation_file f;
	int queued = 0;
	enum consolidation_result rc = consolidation_finalize(conn, &pi, clock_now(), NULL, &f,
							      &queued, err);
	period_info_free(&pi);
	switch (rc) {
	case CONSOLIDATION_OK:
		*outcome = xasprintf("nobody approved: final version %d (automatic, sha256 %.12s) "
				     "queued to %d recipient%s", f.version, f.sha256, queued,
				     queued == 1 ? "" : "s");
		consolidation_file_free(&f);
		return 0;
	case CONSOLIDATION_NONE:
		*outcome = xstrdup("approved before: nothing to deliver automatically");
		return 0;
	default:
		return -1;
	}
}

/* ack_by: the series' ack_by, after the consolidation deadline (16:30 that day by default). */
static bool ack_due(const struct series_def *s, const struct period_info *pi, int slot,
		    time_t *out)
{
	if (pi->skipped || slot != 0)
		return false;
	return ack_rule_due(&s->ack_by, pi->consolidation_deadline, out) == 0;
}

/* ack_by: when the delivered report was not acknowledged by a recipient, one mail to each
 * coordinator of the consolidating unit; nothing when it was, or when nothing was delivered. */
static int ack_run(PGconn *conn, struct scheduler_run *run, char **outcome, char **err)
{
	struct period_info pi;
	if (run_period(conn, run, &pi, err) != 0)
		return -1;
	int rc = consol_ack_overdue(conn, &pi, clock_now(), outcome, err);
	period_info_free(&pi);
	return rc;
}

const struct scheduler_kind job_kinds[] = {
	{ "open", open_due, open_run, SCHEDULER_RUN_LATE, NULL },
	{ "remind", remind_due, remind_run, SCHEDULER_SKIP_PAST, remind_deadline },
	{ "late_notice", late_due, late_run, SCHEDULER_SKIP_PAST, late_deadline },
	{ "cutoff", cutoff_due, cutoff_run, SCHEDULER_RUN_LATE_IF_PLANNED, NULL },
	{ "deliver", deliver_due, deliver_run, SCHEDULER_RUN_LATE_IF_PLANNED, NULL },
	{ "ack_by", ack_due, ack_run, SCHEDULER_RUN_LATE_IF_PLANNED, NULL },
};
const size_t job_nkinds = sizeof job_kinds / sizeof job_kinds[0];

