/* baocaoctl jobs: the scheduled job runs, one line each, for all series or one series' period. */
#include "ctl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define JOBS_USAGE "usage: baocaoctl jobs [SERIES [PERIOD]]\n"
#define JOBS_LIST_MAX 500	/* rows listed: the latest due ones */
#define JOBS_COLUMNS 13
#define TIME_FORMAT "YYYY-MM-DD HH24:MI:SS"	/* times as the list prints them (to_char) */

/* Says why nothing is listed: no such series, or no runs yet (then CTL_OK). */
static int jobs_empty(PGconn *db, const char *series)
{
	if (series != NULL) {
		const char *p[] = { series };
		PGresult *r = ctl_query(db, "SELECT 1 FROM series WHERE name = $1", 1, p);
		if (r == NULL)
			return CTL_INTERNAL;
		bool exists = PQntuples(r) == 1;
		PQclear(r);
		if (!exists) {
			fprintf(stderr, "error: no series '%s'; list them with: baocaoctl series "
				"list\n", series);
			return CTL_USER;
		}
	}
	printf("no job runs%s%s; a running daemon plans them every minute\n",
	       series ? " for " : "", series ? series : "");
	return CTL_OK;
}

/* baocaoctl jobs [SERIES [PERIOD]]: one line per run, by due time, in the configured zone. */
int ctl_jobs(struct ctl *ctl, int argc, char **argv)
{
	if (argc > 3 || (argc > 1 && argv[1][0] == '-')) {
		fputs(JOBS_USAGE, stderr);
		return CTL_USER;
	}
	const char *series = argc > 1 ? argv[1] : NULL;
	const char *period = argc > 2 ? argv[2] : NULL;
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return CTL_USER;
	char max[16];
	snprintf(max, sizeof max, "%d", JOBS_LIST_MAX);
	const char *p[] = { series, period, max };
	PGresult *r = ctl_query(db,
		"SELECT * FROM (SELECT j.id::text, j.job, s.name, p.period_key, j.slot::text, "
		"  to_char(j.due_at, '" TIME_FORMAT "'), j.state, "
		"  CASE WHEN j.late THEN 'late' ELSE '-' END, j.attempt::text, "
		"  coalesce(to_char(j.started_at, '" TIME_FORMAT "'), '-'), "
		"  coalesce(to_char(j.finished_at, '" TIME_FORMAT "'), '-'), "
		"  coalesce(j.instance, '-'), "
		"  coalesce(nullif(translate(concat_ws(' / ', j.outcome, j.error), E'\\t\\r\\n', "
		"    '   '), ''), '-'), j.due_at AS due, j.id AS n "
		"  FROM job_run j JOIN series s ON s.id = j.series_id "
		"  JOIN period p ON p.id = j.period_id "
		"  WHERE ($1::text IS NULL OR s.name = $1) AND ($2::text IS NULL OR p.period_key = $2) "
		"  ORDER BY j.due_at DESC, j.id DESC LIMIT $3::int) latest ORDER BY due, n", 3, p);
	if (r == NULL)
		return CTL_INTERNAL;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return jobs_empty(db, series);
	}
	static const char *const header[JOBS_COLUMNS] = {
		"ID", "JOB", "SERIES", "PERIOD", "SLOT", "DUE", "STATE", "LATE", "TRY", "STARTED",
		"FINISHED", "INSTANCE", "OUTCOME / ERROR",
	};
	return ctl_print_table(header, JOBS_COLUMNS, r);
}
