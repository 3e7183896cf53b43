/* What the unit's workbook is made of and its results: shared by template.c (the layout) and
 * template_data.c (the loading), without either including the other. */
#ifndef BAOCAO_TEMPLATE_TYPES_H
#define BAOCAO_TEMPLATE_TYPES_H

#include <stddef.h>

/* The largest unit workbook written or locked: a workbook is a few tens of kilobytes, anything
 * near this is a fault. */
#define TEMPLATE_FILE_MAX (64 * 1024 * 1024)

/* Results of template_build(). */
enum template_result {
	TEMPLATE_OK = 0,
	TEMPLATE_REFUSED = 1,	/* out->refusal says why; *err says it in English */
	TEMPLATE_DB = 2,	/* a database failure; *err for the log */
	TEMPLATE_FAILED = 3,	/* the workbook could not be written; *err for the log */
};

/* Why there is no workbook for a unit and period. */
enum template_refusal {
	TEMPLATE_NO_REFUSAL = 0,
	TEMPLATE_UNKNOWN_UNIT,	/* no active unit has that code */
	TEMPLATE_NOT_MEMBER,	/* the unit does not report in this series (series_member) */
	TEMPLATE_SKIPPED,	/* the period expects no report (no working day) */
};

/* A built workbook. */
struct template_file {
	unsigned char *data;	/* the .xlsx bytes */
	size_t len;
	char *unit_name;	/* the unit's name, once the unit is known */
	size_t tasks;		/* task rows written */
	size_t carried;		/* rows pre-filled from the unit's previous report */
	enum template_refusal refusal;
};

#endif
