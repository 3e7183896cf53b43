/* Private to the unit's workbook (template.c): what it is made of, loaded from the database by
 * template_data.c. */
#ifndef BAOCAO_TEMPLATE_DATA_H
#define BAOCAO_TEMPLATE_DATA_H

#include "calendar.h"
#include "periods.h"
#include "template_types.h"
#include "workbook.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* One task row. */
struct tpl_task {
	long long id;
	char *code;
	char *title;
	char *leads;		/* who leads it, as the plan says; for cooperating units */
	bool lead;		/* the unit leads it (else it cooperates) */
	bool has_deadline;
	cal_day deadline;
	const char *status;	/* carried forward: a WB_STATUS_* word, or NULL */
	int progress;		/* carried forward; -1 for none */
	bool has_completed;
	cal_day completed;
};

/* What the workbook is made of. */
struct tpl_data {
	const struct period_info *pi;
	const char *unit_code;
	long long unit_id;
	char *unit_name;
	struct tpl_task *tasks;
	size_t ntasks;
	size_t carried;
	char carried_from[PERIOD_ID_BUF];	/* the period the carried values come from */
	char mac[WB_MAC_HEX];
};

/*
 * Loads the unit (d->unit_code) and its tasks of the series, as the intake asks for them;
 * sets out->unit_name once the unit is known. TEMPLATE_OK, TEMPLATE_REFUSED with
 * out->refusal, or TEMPLATE_DB with *err.
 */
enum template_result template_data_unit(PGconn *conn, struct tpl_data *d,
					struct template_file *out, char **err);
/* Carries forward status, progress and completion date from the unit's latest earlier
 * report of the series. TEMPLATE_OK, or TEMPLATE_DB with *err. */
enum template_result template_data_carried(PGconn *conn, struct tpl_data *d, char **err);
/* Frees what a tpl_data holds (not the unit name, which goes to the caller). */
void template_data_free(struct tpl_data *d);

#endif
