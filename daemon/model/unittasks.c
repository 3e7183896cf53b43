/* The tasks a unit reports on in a series: one question for the workbook and the intake. */
#include "unittasks.h"
#include "db.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Loads the unit, its membership of the series and its tasks. */
enum unit_tasks_result unit_tasks_load(PGconn *conn, const char *series, long long period_id,
				       const char *unit_code, struct unit_tasks *out, char **err)
{
	memset(out, 0, sizeof *out);
	char pid[24];
	snprintf(pid, sizeof pid, "%lld", period_id);
	const char *p1[] = { unit_code, series, pid };
	PGresult *r = db_run(conn, "unit tasks",
		"SELECT u.id, u.name, CASE WHEN $3::bigint > 0 "
		"  THEN EXISTS (SELECT 1 FROM period_units($3::bigint) pu WHERE pu.unit_id = u.id) "
		"  ELSE EXISTS (SELECT 1 FROM series_member m JOIN series s "
		"    ON s.id = m.series_id WHERE s.name = $2 AND m.unit_id = u.id) END "
		"FROM unit u WHERE u.code = $1 AND u.active", 3, p1, err);
	if (r == NULL)
		return UNIT_TASKS_DB;
	if (PQntuples(r) == 0) {
		PQclear(r);
		*err = xasprintf("no active unit has the code '%s'", unit_code);
		return UNIT_TASKS_UNKNOWN_UNIT;
	}
	out->unit_id = atoll(PQgetvalue(r, 0, 0));
	out->unit_name = xstrdup(PQgetvalue(r, 0, 1));
	bool member = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
	PQclear(r);
	if (!member) {
		*err = xasprintf("unit %s (%s) does not report in series %s; add it to the units "
				 "of the series in the series file", unit_code, out->unit_name, series);
		return UNIT_TASKS_NOT_MEMBER;
	}
	char unit_id[24];
	snprintf(unit_id, sizeof unit_id, "%lld", out->unit_id);
	const char *p2[] = { series, unit_id, pid };
	r = db_run(conn, "unit tasks",
		"WITH tu AS (SELECT pt.task_id, pt.role FROM period_unit_tasks($3::bigint, $2::bigint) pt "
		"  WHERE $3::bigint > 0 "
		"  UNION ALL SELECT x.task_id, x.role FROM task_unit x "
		"  WHERE $3::bigint <= 0 AND x.unit_id = $2::bigint) "
		"SELECT t.id, t.code, t.title, to_char(t.deadline, 'YYYY-MM-DD'), "
		"  to_char(t.starts_on, 'YYYY-MM-DD'), tu.role = 'lead', "
		"  COALESCE(NULLIF(btrim(t.lead_text), ''), "
		"    (SELECT string_agg(lu.name, '; ' ORDER BY lu.name) FROM task_unit l "
		"     JOIN unit lu ON lu.id = l.unit_id WHERE l.task_id = t.id AND l.role = 'lead'), "
		"    '') "
		"FROM task t JOIN series s ON s.id = t.series_id "
		"JOIN tu ON tu.task_id = t.id "
		"WHERE s.name = $1 AND ($3::bigint > 0 OR t.active) "
		"ORDER BY tu.role = 'lead' DESC, t.ordinal, t.code", 3, p2, err);
	if (r == NULL)
		return UNIT_TASKS_DB;
	out->n = (size_t)PQntuples(r);
	out->items = xcalloc(out->n ? out->n : 1, sizeof *out->items);
	for (size_t i = 0; i < out->n; i++) {
		struct unit_task *t = &out->items[i];
		int row = (int)i;
		t->id = atoll(PQgetvalue(r, row, 0));
		t->code = xstrdup(PQgetvalue(r, row, 1));
		t->title = xstrdup(PQgetvalue(r, row, 2));
		t->has_deadline = !PQgetisnull(r, row, 3) &&
				  cal_parse_date(PQgetvalue(r, row, 3), &t->deadline) == 0;
		t->has_start = !PQgetisnull(r, row, 4) &&
			       cal_parse_date(PQgetvalue(r, row, 4), &t->starts_on) == 0;
		t->lead = strcmp(PQgetvalue(r, row, 5), "t") == 0;
		t->leads = xstrdup(PQgetvalue(r, row, 6));
	}
	PQclear(r);
	return UNIT_TASKS_OK;
}

/* Frees what unit_tasks_load filled. */
void unit_tasks_free(struct unit_tasks *ut)
{
	for (size_t i = 0; i < ut->n; i++) {
		free(ut->items[i].code);
		free(ut->items[i].title);
		free(ut->items[i].leads);
	}
	free(ut->items);
	free(ut->unit_name);
	memset(ut, 0, sizeof *ut);
}
