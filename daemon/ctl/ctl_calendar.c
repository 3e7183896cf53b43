/* baocaoctl import calendar and calendar: holidays and swapped working days. */
#include "audit.h"
#include "calendar.h"
#include "calendar_store.h"
#include "ctl.h"
#include "db.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cal_import {
	PGconn *db;
	int added, updated, unchanged;
	char *err;
};

/* Writes one calendar row; stops the import on a database error. */
static int calendar_row(void *ctx, unsigned line, cal_day day, enum cal_day_kind kind,
			const char *note)
{
	struct cal_import *ci = ctx;
	char *why = NULL;
	int outcome = calendar_store_day(ci->db, day, kind, note, &why);
	if (outcome < 0) {
		ci->err = xasprintf("line %u: %s", line, why);
		free(why);
		return -1;
	}
	if (outcome == CALENDAR_UNCHANGED)
		ci->unchanged++;
	else if (outcome == CALENDAR_ADDED)
		ci->added++;
	else
		ci->updated++;
	return 0;
}

/* baocaoctl import calendar FILE.csv: adds or updates days; days not in the file stay. */
int ctl_import_calendar(struct ctl *ctl, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: baocaoctl import calendar FILE.csv  (columns date,kind,note; "
			"kind holiday or workday)\n");
		return CTL_USER;
	}
	const char *path = argv[1];
	char *data;
	size_t len;
	if (file_read_all(path, 16 * 1024 * 1024, &data, &len) != 0) {
		fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(errno));
		return CTL_USER;
	}
	/* Check the whole file before touching the database. */
	struct cal_calendar *check = cal_calendar_new();
	char *err = NULL;
	int rc = cal_calendar_load_csv(check, data, len, &err);
	cal_calendar_free(check);
	if (rc != 0) {
		fprintf(stderr, "error: %s: %s\n  nothing was imported; correct the file and run the "
			"command again\n", path, err);
		free(err);
		free(data);
		return CTL_USER;
	}
	PGconn *db = ctl_db(ctl);
	if (db == NULL || !ctl_begin(db)) {
		free(data);
		return db ? CTL_INTERNAL : CTL_USER;
	}
	struct cal_import ci = { db, 0, 0, 0, NULL };
	rc = cal_csv_parse(data, len, calendar_row, &ci, &err);
	free(data);
	if (rc != 0) {
		fprintf(stderr, "error: %s: %s\n", path, ci.err ? ci.err : err);
		free(ci.err);
		free(err);
		ctl_finish(db, false, CTL_INTERNAL);
		return CTL_INTERNAL;
	}
	char *detail = xasprintf("{\"file\":\"%s\",\"added\":%d,\"updated\":%d,\"unchanged\":%d}",
				 strrchr(path, '/') ? strrchr(path, '/') + 1 : path, ci.added,
				 ci.updated, ci.unchanged);
	struct audit_entry e = { 0, ctl_actor(), "import", "calendar", NULL, detail, NULL };
	rc = audit_write(db, &e, &err);
	free(detail);
	if (rc != 0) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		ctl_finish(db, false, CTL_INTERNAL);
		return CTL_INTERNAL;
	}
	if (ctl_finish(db, true, CTL_INTERNAL) != CTL_OK)
		return CTL_INTERNAL;
	printf("%s: %d days: %d added, %d updated, %d unchanged\n", path,
	       ci.added + ci.updated + ci.unchanged, ci.added, ci.updated, ci.unchanged);
	/* Open periods' deadlines follow the calendar at once, not at the daemon's next run. */
	return ctl_periods_sync(ctl);
}

/* baocaoctl calendar list [YEAR] */
int ctl_calendar(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2 || argc > 3 || strcmp(argv[1], "list") != 0) {
		fprintf(stderr, "usage: baocaoctl calendar list [YEAR]\n");
		return CTL_USER;
	}
	PGconn *db = ctl_db(ctl);
	if (db == NULL)
		return CTL_USER;
	char *err = NULL;
	PGresult *r = calendar_store_list(db, argc == 3 ? argv[2] : NULL, &err);
	if (r == NULL) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		return CTL_INTERNAL;
	}
	for (int i = 0; i < PQntuples(r); i++)
		printf("%s %s  %-8s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 3),
		       PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
	PQclear(r);
	return CTL_OK;
}
