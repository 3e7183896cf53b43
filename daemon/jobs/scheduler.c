/* The scheduler: each occurrence of a job is a job_run row planned from the series and their
 * periods, claimed under a lease when due and run once across the daemons of one database. */
#include "scheduler.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "recurring.h"
#include "periods.h"
#include "series_store.h"
#include "util.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEASE_S 300			/* how long a claimed run is this daemon's */
#define BATCH 16			/* runs claimed by one statement */
#define LATE_AFTER_S 300		/* a run started later than this after its time is late */
#define SLOTS_MAX 32			/* occurrences of one job in one period */
#define SAFETY_MS (60 * 1000)		/* the runner also looks every minute, whatever the timer */
#define SLEEP_MAX_S 3600		/* the longest the timer sleeps before looking again */
#define CLOCK_SKEW_S 5.0		/* a difference from PostgreSQL's clock worth a warning */
#define SKEW_WARN_EVERY_MS (3600 * 1000LL)	/* that warning again at most hourly */
#define INTERRUPTED "lease expired: the daemon that ran it stopped"
#define PLANNED_LATE "skipped: its time had passed when it was first planned (baocao did not " \
		     "run then); nothing done"

/* The kinds of job handed to scheduler_start (none before it). */
static struct scheduler_table table;

/* The kind of that name, or NULL. */
static const struct scheduler_kind *kind_find(const char *name)
{
	for (size_t i = 0; i < table.nkinds; i++)
		if (strcmp(table.kinds[i].name, name) == 0)
			return &table.kinds[i];
	return NULL;
}

/* The kinds' names as a PostgreSQL text array literal (new string). */
static char *kind_names(void)
{
	char *list = xstrdup("{");
	for (size_t i = 0; i < table.nkinds; i++) {
		char *more = xasprintf("%s%s%s", list, i ? "," : "", table.kinds[i].name);
		free(list);
		list = more;
	}
	char *done = xasprintf("%s}", list);
	free(list);
	return done;
}

/* Marks runs whose lease ran out as interrupted; they are claimed again when still due. */
static int scheduler_recover(PGconn *conn, time_t now, char **err)
{
	char nowbuf[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	const char *p[] = { nowbuf, INTERRUPTED };
	PGresult *r = db_run(conn, "jobs",
		"UPDATE job_run j SET state = 'interrupted', locked_by = NULL, lease_until = NULL, "
		"  error = $2 FROM series s, period p "
		"WHERE j.state = 'running' AND j.lease_until < to_timestamp($1::bigint) "
		"  AND s.id = j.series_id AND p.id = j.period_id "
		"RETURNING j.id, j.job, s.name, p.period_key, j.instance, j.attempt", 2, p, err);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++)
		log_warn("jobs", "run %s (%s %s %s, attempt %s on %s): %s; it runs again",
			 PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			 PQgetvalue(r, i, 3), PQgetvalue(r, i, 5), PQgetvalue(r, i, 4),
			 INTERRUPTED);
	PQclear(r);
	return 0;
}

static _Atomic bool skew_explained;		/* the test clock's difference was logged */
static _Atomic long long skew_warned_ms = -1;	/* when the last warning was logged */

/* Whether this daemon's clock is set by hand for tests. */
static bool clock_is_test(void)
{
	const char *fake = getenv("BAOCAO_FAKE_NOW");
	return config_current()->clock_control || (fake != NULL && fake[0] != '\0');
}

/* Warns when this daemon's clock and PostgreSQL's differ by more than a few seconds. */
static int scheduler_check_clock(PGconn *conn, char **err)
{
	PGresult *r = db_run(conn, "jobs", "SELECT extract(epoch FROM clock_timestamp())", 0,
			     NULL, err);
	if (r == NULL)
		return -1;
	double theirs = atof(PQgetvalue(r, 0, 0));
	PQclear(r);
	double diff = (double)clock_now_ms() / 1000.0 - theirs;
	if (fabs(diff) <= CLOCK_SKEW_S)
		return 0;
	if (clock_is_test()) {
		if (!atomic_exchange(&skew_explained, true))
			log_info("jobs", "this daemon's clock is %.0f s %s PostgreSQL's, as expected "
				 "with a test clock; due times follow this daemon's clock",
				 fabs(diff), diff > 0 ? "ahead of" : "behind");
		return 0;
	}
	long long mono = clock_mono_ms(), last = atomic_load(&skew_warned_ms);
	if (last < 0 || mono - last >= SKEW_WARN_EVERY_MS) {
		atomic_store(&skew_warned_ms, mono);
		log_warn("jobs", "this daemon's clock is %.0f s %s PostgreSQL's; jobs run by this "
			 "daemon's clock: check time synchronisation (NTP) on both hosts", fabs(diff),
			 diff > 0 ? "ahead of" : "behind");
	}
	return 0;
}

/* Inserts one occurrence, or moves its due time while it is still due. An occurrence of a
 * kind that catches up only what it knew of is inserted as skipped when its time has passed
 * already: it was due before baocao ran (a first start, a series added with past periods). */
static int plan_one(PGconn *conn, const struct scheduler_kind *k, long long period_id, int slot,
		    time_t due, time_t now, char **err)
{
	char pid[24], slotbuf[16], duebuf[24], nowbuf[24];
	snprintf(pid, sizeof pid, "%lld", period_id);
	snprintf(slotbuf, sizeof slotbuf, "%d", slot);
	snprintf(duebuf, sizeof duebuf, "%lld", (long long)due);
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	bool never = k->catchup == SCHEDULER_RUN_LATE_IF_PLANNED && due < now;
	const char *p[] = { k->name, pid, slotbuf, duebuf, never ? "skipped" : "due", nowbuf,
			    never ? PLANNED_LATE : NULL, PLANNED_LATE };
	PGresult *r = db_run(conn, "jobs",
		"INSERT INTO job_run (job, series_id, period_id, slot, due_at, state, finished_at, "
		"  outcome) "
		"SELECT $1, p.series_id, p.id, $3::int, to_timestamp($4::bigint), $5, "
		"  CASE WHEN $5 = 'skipped' THEN to_timestamp($6::bigint) END, $7 FROM period p "
		"WHERE p.id = $2::bigint "
		"ON CONFLICT (job, series_id, period_id, slot) DO UPDATE SET due_at = EXCLUDED.due_at, "
		"  state = 'due', finished_at = NULL, outcome = NULL "
		"WHERE (job_run.state = 'due' AND job_run.due_at <> EXCLUDED.due_at) "
		/* skipped as first planned too late, and now moved into the future: due again */
		"  OR (job_run.state = 'skipped' AND job_run.outcome = $8 "
		"      AND EXCLUDED.due_at > to_timestamp($6::bigint)) "
		"RETURNING (xmax = 0) AND job_run.state = 'skipped'", 8, p, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
		char text[40] = "?";
		if (cal_format_rfc3339(due, text, sizeof text) != 0)
			snprintf(text, sizeof text, "%lld", (long long)due);
		log_info("jobs", "%s of period %lld was due at %s, before this installation planned "
			 "it: recorded as skipped", k->name, period_id, text);
	}
	PQclear(r);
	return 0;
}

/* Plans the occurrences of every kind in one stored period of a series. */
static int plan_period(PGconn *conn, const struct series_def *s, const struct period *per,
		       time_t now, char **err)
{
	char id[PERIOD_ID_BUF];
	period_format(per, id);
	struct period_info pi;
	memset(&pi, 0, sizeof pi);
	char *why = NULL;
	enum periods_result rc = periods_lookup(conn, s, id, now, &pi, &why);
	if (rc == PERIODS_DB) {
		*err = why;
		return -1;
	}
	if (rc != PERIODS_OK) {
		log_debug("jobs", "%s %s not planned: %s", s->name, id, why ? why : "no period");
		free(why);
		return 0;
	}
	int ret = 0;
	if (pi.db_id > 0) {
		for (size_t k = 0; k < table.nkinds && ret == 0; k++) {
			time_t due;
			for (int slot = 0; slot < SLOTS_MAX && ret == 0 &&
			     table.kinds[k].due(s, &pi, slot, &due); slot++)
				ret = plan_one(conn, &table.kinds[k], pi.db_id, slot, due, now, err);
		}
	}
	period_info_free(&pi);
	return ret;
}

/* Recovers, checks the clock, plans the current and next period of every dated series. */
int scheduler_plan(PGconn *conn, time_t now, char **err)
{
	if (scheduler_recover(conn, now, err) != 0 || scheduler_check_clock(conn, err) != 0)
		return -1;
	const struct series_list *list = series_current();
	for (size_t i = 0; i < list->n; i++) {
		const struct series_def *s = &list->items[i];
		if (s->kind == PERIOD_ADHOC || !s->has_rules)
			continue;
		struct period cur, next;
		if (period_at_time(s->kind, now, &cur) != 0 || period_next(&cur, &next) != 0)
			continue;
		if (plan_period(conn, s, &cur, now, err) != 0 ||
		    plan_period(conn, s, &next, now, err) != 0)
			return -1;
	}
	return 0;
}

/* Records a run's outcome, fenced by its lease (this row, this attempt, this daemon). */
static void scheduler_record(PGconn *conn, const struct scheduler_run *run, const char *state,
			 const char *outcome, const char *error)
{
	char nowbuf[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)clock_now());
	const char *p[] = { run->id, run->attempt, run->instance, state, nowbuf, outcome, error };
	char *err = NULL;
	PGresult *r = db_run(conn, "jobs",
		"UPDATE job_run SET state = $4, locked_by = NULL, lease_until = NULL, "
		"  finished_at = to_timestamp($5::bigint), outcome = $6, error = $7 "
		"WHERE id = $1::bigint AND attempt = $2::int AND locked_by = $3 "
		"  AND state = 'running'", 7, p, &err);
	if (r == NULL) {
		log_error("jobs", "run %s: cannot record the outcome (%s): %s", run->id, state, err);
		free(err);
		return;
	}
	if (atoi(PQcmdTuples(r)) == 0)
		log_warn("jobs", "run %s: its lease had passed to another daemon; outcome %s not "
			 "recorded", run->id, state);
	PQclear(r);
}

/* Extends the lease of a long run once half of it has passed. */
int scheduler_lease_keep(PGconn *conn, struct scheduler_run *run, char **err)
{
	long long now_ms = clock_mono_ms();
	if (now_ms - run->lease_from_ms < LEASE_S * 1000LL / 2)
		return 0;
	char nowbuf[24], lease[16];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)clock_now());
	snprintf(lease, sizeof lease, "%d", LEASE_S);
	const char *p[] = { run->id, run->attempt, run->instance, nowbuf, lease };
	PGresult *r = db_run(conn, "jobs",
		"UPDATE job_run SET lease_until = to_timestamp($4::bigint) + "
		"  make_interval(secs => $5::int) "
		"WHERE id = $1::bigint AND attempt = $2::int AND locked_by = $3 "
		"  AND state = 'running'", 5, p, err);
	if (r == NULL)
		return -1;
	bool kept = atoi(PQcmdTuples(r)) == 1;
	PQclear(r);
	if (!kept) {
		*err = xasprintf("run %s: its lease passed to another daemon", run->id);
		return -1;
	}
	run->lease_from_ms = now_ms;
	return 0;
}

/* Whether a late run of a skipping kind is past its deadline (then *why says so). */
static bool past_deadline(PGconn *conn, const struct scheduler_run *run, time_t now, char **why,
			  char **err)
{
	if (run->kind->catchup != SCHEDULER_SKIP_PAST || run->kind->deadline == NULL)
		return false;
	const struct series_def *s = series_current_find(run->series);
	if (s == NULL)
		return false;
	struct period_info pi;
	memset(&pi, 0, sizeof pi);
	if (periods_lookup(conn, s, run->period, now, &pi, err) != PERIODS_OK) {
		free(*err);
		*err = NULL;
		return false;
	}
	time_t deadline;
	bool past = run->kind->deadline(&pi, run->slot, &deadline) && now > deadline;
	if (past) {
		char text[40] = "?";
		if (cal_format_rfc3339(deadline, text, sizeof text) != 0)
			snprintf(text, sizeof text, "%lld", (long long)deadline);
		*why = xasprintf("skipped: past its deadline %s", text);
	}
	period_info_free(&pi);
	return past;
}

/* Runs one claimed occurrence and records what came of it. */
static void scheduler_run_one(PGconn *conn, struct scheduler_run *run)
{
	time_t now = clock_now();
	char *outcome = NULL, *err = NULL;
	if (run->late && past_deadline(conn, run, now, &outcome, &err)) {
		log_warn("jobs", "run %s (%s %s %s): %s", run->id, run->kind->name, run->series,
			 run->period, outcome);
		scheduler_record(conn, run, "skipped", outcome, NULL);
		free(outcome);
		return;
	}
	if (run->late) {
		char due[40] = "?";
		if (cal_format_rfc3339(run->due, due, sizeof due) != 0)
			snprintf(due, sizeof due, "%lld", (long long)run->due);
		log_warn("jobs", "run %s (%s %s %s) is late: it was due at %s; running it now",
			 run->id, run->kind->name, run->series, run->period, due);
	}
	if (run->kind->run(conn, run, &outcome, &err) == 0) {
		log_info("jobs", "run %s (%s %s %s, attempt %s) done: %s", run->id, run->kind->name,
			 run->series, run->period, run->attempt, outcome);
		scheduler_record(conn, run, "done", outcome, NULL);
		if (table.after_run != NULL)
			table.after_run();
	} else {
		log_error("jobs", "run %s (%s %s %s, attempt %s) failed: %s", run->id,
			  run->kind->name, run->series, run->period, run->attempt,
			  err ? err : "unknown error");
		scheduler_record(conn, run, "failed", NULL, err ? err : "unknown error");
	}
	free(outcome);
	free(err);
}

/* Claims a batch of due occurrences and runs them; the number claimed, or -1 with *err. */
static int scheduler_claim_and_run(PGconn *conn, const char *instance, char **err)
{
	time_t now = clock_now();
	char nowbuf[24], lease[16], batch[16], late[16];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	snprintf(lease, sizeof lease, "%d", LEASE_S);
	snprintf(batch, sizeof batch, "%d", BATCH);
	snprintf(late, sizeof late, "%d", LATE_AFTER_S);
	char *names = kind_names();
	const char *p[] = { nowbuf, instance, lease, batch, names, late };
	PGresult *r = db_run(conn, "jobs",
		"WITH claimed AS (UPDATE job_run SET state = 'running', locked_by = $2, "
		"  lease_until = to_timestamp($1::bigint) + make_interval(secs => $3::int), "
		"  attempt = attempt + 1, started_at = to_timestamp($1::bigint), instance = $2, "
		"  finished_at = NULL, "
		"  late = late OR to_timestamp($1::bigint) > due_at + make_interval(secs => $6::int) "
		"  WHERE id IN (SELECT id FROM job_run WHERE state IN ('due', 'interrupted') "
		"    AND due_at <= to_timestamp($1::bigint) AND job = ANY ($5::text[]) "
		"    ORDER BY due_at, id FOR UPDATE SKIP LOCKED LIMIT $4::int) "
		"  RETURNING id, job, attempt, series_id, period_id, slot, due_at, late) "
		"SELECT c.id, c.job, c.attempt, s.name, p.period_key, c.slot, "
		"  extract(epoch FROM c.due_at)::bigint, c.late "
		"FROM claimed c JOIN series s ON s.id = c.series_id "
		"JOIN period p ON p.id = c.period_id ORDER BY c.due_at, c.id", 6, p, err);
	free(names);
	if (r == NULL)
		return -1;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		struct scheduler_run run = {
			.kind = kind_find(PQgetvalue(r, i, 1)),
			.id = PQgetvalue(r, i, 0),
			.attempt = PQgetvalue(r, i, 2),
			.series = PQgetvalue(r, i, 3),
			.period = PQgetvalue(r, i, 4),
			.slot = atoi(PQgetvalue(r, i, 5)),
			.due = (time_t)atoll(PQgetvalue(r, i, 6)),
			.late = strcmp(PQgetvalue(r, i, 7), "t") == 0,
			.lease_from_ms = clock_mono_ms(),
			.instance = instance,
		};
		if (run.kind == NULL) {
			/* Claimed only by name from the table above, so this cannot happen. */
			scheduler_record(conn, &run, "failed", NULL, "unknown job kind");
			continue;
		}
		scheduler_run_one(conn, &run);
	}
	PQclear(r);
	return n;
}

/* The earliest due time of an occurrence this daemon can run, in ms; -1 when none. */
static long long scheduler_next_due_ms(PGconn *conn, char **err)
{
	char *names = kind_names();
	const char *p[] = { names };
	PGresult *r = db_run(conn, "jobs",
		"SELECT (extract(epoch FROM min(due_at)) * 1000)::bigint FROM job_run "
		"WHERE state IN ('due', 'interrupted') AND job = ANY ($1::text[])", 1, p, err);
	free(names);
	if (r == NULL)
		return -2;
	long long ms = PQgetisnull(r, 0, 0) ? -1 : atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return ms;
}

static struct recurring *runner;		/* runs the due occurrences on a worker */
static struct event *timer;		/* sleeps until the next due time (loop thread) */
static struct event *arm;		/* made active by the runner: arm the timer again */
static _Atomic long long next_due_ms = -1;	/* the runner's latest answer; -1 none */
static char scheduler_instance[128];

/* One round on conn: recovers, runs what is due, and finds when the next occurrence is due
 * (ms, -1 when none); -2 with *err when a statement failed. */
static long long scheduler_round(PGconn *conn, char **err)
{
	int n = 0;
	if (scheduler_recover(conn, clock_now(), err) != 0)
		return -2;
	while ((n = scheduler_claim_and_run(conn, scheduler_instance, err)) == BATCH)
		;
	return n < 0 ? -2 : scheduler_next_due_ms(conn, err);
}

/* Worker: a round, and the loop told when the next occurrence is due. A connection found
 * broken (the database restarted or failed over since this worker last used it) is dropped
 * and the round made once more on a new one; a round that could not be made at all (the
 * database away) is made again after a short backoff, not at the next minute: what fell due
 * meanwhile runs as soon as the database answers. */
static void scheduler_tick(struct db *db, void *arg)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		PGconn *conn = db_conn(db);
		if (conn == NULL) {
			log_debug("jobs", "the database is unavailable; trying again shortly");
			break;
		}
		char *err = NULL;
		long long due = scheduler_round(conn, &err);
		if (due != -2) {
			atomic_store(&next_due_ms, due);
			event_active(arm, EV_TIMEOUT, 0);
			return;
		}
		db_check_failure(db, NULL);
		if (!db_connection_lost(db)) {	/* an SQL error: the safety minute tries again */
			log_warn("jobs", "%s", err ? err : "failed");
			free(err);
			return;
		}
		log_info("jobs", "the database connection was broken (%s)%s", db_last_error(db),
			 attempt == 0 ? "; running once more on a new one" : "");
		free(err);
	}
	recurring_retry(runner);
}

/* The next due time the runner found (ms), or -1. */
long long scheduler_next_due(void)
{
	long long due = atomic_load(&next_due_ms);
	return due < 0 ? -1 : due;
}

/* Loop: the timer went off; run what is due. */
static void scheduler_wake(evutil_socket_t fd, short what, void *arg)
{
	recurring_kick(runner);
}

/* Loop: arms the timer for the next due time the runner found. */
static void scheduler_arm(evutil_socket_t fd, short what, void *arg)
{
	long long due = atomic_load(&next_due_ms);
	if (event_del(timer) != 0)
		log_warn("jobs", "cannot stop the timer");
	if (due < 0)
		return;
	long long wait = due - clock_now_ms();
	if (wait < 0)
		wait = 0;
	if (wait > SLEEP_MAX_S * 1000LL)
		wait = SLEEP_MAX_S * 1000LL;
	struct timeval tv = { (time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000 };
	if (event_add(timer, &tv) != 0)
		log_error("jobs", "cannot arm the timer; due runs wait for the next minute");
}

/* Keeps the table of kinds, creates the timer and starts the runner. */
int scheduler_start(struct event_base *base, const char *instance,
		    const struct scheduler_table *kinds)
{
	table = *kinds;
	snprintf(scheduler_instance, sizeof scheduler_instance, "%s", instance);
	timer = event_new(base, -1, 0, scheduler_wake, NULL);
	arm = event_new(base, -1, 0, scheduler_arm, NULL);
	if (timer == NULL || arm == NULL) {
		scheduler_stop();
		return -1;
	}
	runner = recurring_start(base, "jobs", SAFETY_MS, scheduler_tick, NULL);
	if (runner == NULL) {
		scheduler_stop();
		return -1;
	}
	recurring_kick(runner);
	return 0;
}

/* From any thread: a run soon, which arms the timer again from the database. */
void scheduler_request(void)
{
	recurring_request(runner);
}

/* Stops it all. */
void scheduler_stop(void)
{
	recurring_stop(runner);
	runner = NULL;
	if (timer)
		event_free(timer);
	if (arm)
		event_free(arm);
	timer = arm = NULL;
}
