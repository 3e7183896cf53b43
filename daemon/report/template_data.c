/* The unit's workbook's data: the unit, its tasks of the series, and what its previous report
 * carries forward, loaded from the database. */
#include "template_data.h"
#include "submissions.h"
#include "unittasks.h"
#include "calendar.h"
#include "db.h"
#include "util.h"
#include "workbook.h"
#include "xmltext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Frees what a tpl_data holds (not the unit name, which goes to the caller). */
void template_data_free(struct tpl_data *d)
{
	for (size_t i = 0; i < d->ntasks; i++) {
		free(d->tasks[i].code);
		free(d->tasks[i].title);
		free(d->tasks[i].leads);
	}
	free(d->tasks);
	d->tasks = NULL;
	d->ntasks = 0;
}

/* Loads the unit and its tasks of the series (the same question the intake asks). */
enum template_result template_data_unit(PGconn *conn, struct tpl_data *d,
					struct template_file *out, char **err)
{
	struct unit_tasks ut;
	enum unit_tasks_result ur = unit_tasks_load(conn, d->pi->series->name, d->pi->db_id,
						    d->unit_code, &ut, err);
	if (ur == UNIT_TASKS_DB) {
		unit_tasks_free(&ut);
		char *msg = *err;
		*err = xasprintf("template: %s", msg);
		free(msg);
		return TEMPLATE_DB;
	}
	if (ur != UNIT_TASKS_UNKNOWN_UNIT) {
		d->unit_id = ut.unit_id;
		/* Names and titles stored before the text rule may break it: U+FFFD for those
		 * characters, so that they cannot break the workbook (xmltext.h). */
		d->unit_name = xmltext_clean(ut.unit_name);
		out->unit_name = xmltext_clean(ut.unit_name);
	}
	if (ur != UNIT_TASKS_OK) {
		out->refusal = ur == UNIT_TASKS_UNKNOWN_UNIT ? TEMPLATE_UNKNOWN_UNIT
							     : TEMPLATE_NOT_MEMBER;
		unit_tasks_free(&ut);
		return TEMPLATE_REFUSED;
	}
	d->ntasks = ut.n;
	d->tasks = xcalloc(d->ntasks ? d->ntasks : 1, sizeof *d->tasks);
	for (size_t i = 0; i < d->ntasks; i++) {
		struct tpl_task *t = &d->tasks[i];
		const struct unit_task *u = &ut.items[i];
		t->id = u->id;
		t->code = xmltext_clean(u->code);
		t->title = xmltext_clean(u->title);
		t->has_deadline = u->has_deadline;
		t->deadline = u->deadline;
		t->lead = u->lead;
		t->leads = xmltext_clean(u->leads);
		t->progress = -1;
	}
	unit_tasks_free(&ut);
	return TEMPLATE_OK;
}

/* The drop-down word of a stored status, or NULL. */
static const char *status_word(const char *status)
{
	if (strcmp(status, "done") == 0)
		return WB_STATUS_DONE;
	if (strcmp(status, "in_progress") == 0)
		return WB_STATUS_IN_PROGRESS;
	if (strcmp(status, "not_started") == 0)
		return WB_STATUS_NOT_STARTED;
	return NULL;
}

/*
 * Carries forward status, progress and completion date from the unit's current (not
 * superseded) report of the latest earlier period of the series that has one: last week's
 * as a rule, the week before a skipped one, or the last the unit sent if it missed a week.
 */
enum template_result template_data_carried(PGconn *conn, struct tpl_data *d, char **err)
{
	cal_day first, last;
	if (!d->pi->has_span || period_bounds(&d->pi->period, &first, &last) != 0)
		return TEMPLATE_OK;	/* ad hoc periods stand alone */
	char starts[CAL_DATE_BUF];
	cal_format_date(first, starts);
	PGresult *r = submissions_carried(conn, d->pi->series->name, d->unit_id, starts, err);
	if (r == NULL)
		return TEMPLATE_DB;
	int n = PQntuples(r);
	for (int row = 0; row < n; row++) {
		long long task_id = atoll(PQgetvalue(r, row, 1));
		struct tpl_task *t = NULL;
		for (size_t i = 0; i < d->ntasks && t == NULL; i++)
			if (d->tasks[i].id == task_id)
				t = &d->tasks[i];
		if (t == NULL)
			continue;	/* a task the unit no longer has */
		snprintf(d->carried_from, sizeof d->carried_from, "%s", PQgetvalue(r, row, 0));
		t->status = status_word(PQgetvalue(r, row, 2));
		if (!PQgetisnull(r, row, 3))
			t->progress = atoi(PQgetvalue(r, row, 3));
		t->has_completed = !PQgetisnull(r, row, 4) &&
				   cal_parse_date(PQgetvalue(r, row, 4), &t->completed) == 0;
		d->carried++;
	}
	PQclear(r);
	return TEMPLATE_OK;
}
