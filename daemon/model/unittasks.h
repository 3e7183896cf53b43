/* The tasks a unit reports on in a series: one question for the workbook and the intake. */
#ifndef BAOCAO_UNITTASKS_H
#define BAOCAO_UNITTASKS_H

#include "calendar.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* One task of the unit. */
struct unit_task {
	long long id;
	char *code;
	char *title;
	bool lead;		/* the unit leads it (else it cooperates) */
	char *leads;		/* the lead units as the plan wrote them, or their names */
	bool has_deadline;
	cal_day deadline;
	bool has_start;
	cal_day starts_on;
};

/* The unit and its active tasks: those it leads first, then those it cooperates in. */
struct unit_tasks {
	long long unit_id;
	char *unit_name;
	struct unit_task *items;
	size_t n;
};

enum unit_tasks_result { UNIT_TASKS_OK, UNIT_TASKS_UNKNOWN_UNIT, UNIT_TASKS_NOT_MEMBER,
			 UNIT_TASKS_DB };

/*
 * Loads an active unit by code and, when it reports in the series, its tasks. With a stored
 * period (period_id > 0), membership and tasks are the period's roster (fixed when it
 * opened); with 0, the series' members and tasks as they are now. UNKNOWN_UNIT
 * and NOT_MEMBER set *err to an English sentence for the log (unit_name is filled for
 * NOT_MEMBER); DB sets it to the database's message.
 */
enum unit_tasks_result unit_tasks_load(PGconn *conn, const char *series, long long period_id,
				       const char *unit_code, struct unit_tasks *out, char **err);
void unit_tasks_free(struct unit_tasks *ut);

#endif
