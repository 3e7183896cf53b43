/* Report series: their definitions, read from the series file or from the database's copy,
 * and the writing of the file's definitions into the database (series_sync.c). */
#ifndef BAOCAO_SERIES_H
#define BAOCAO_SERIES_H

#include "ack_rule.h"
#include "calendar.h"
#include "reminder_rule.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* One [series NAME] section. */
struct series_def {
	char *name;			/* slug: nq57-weekly */
	char *title;			/* Vietnamese title of the report */
	char *source;			/* the document that orders it: "Thông báo số 15-TB/BCĐ" */
	enum period_kind kind;
	bool has_rules;			/* false only for ad hoc series */
	struct cal_rule unit_rule;	/* units' deadline */
	struct cal_rule consolidation_rule;
	enum cal_shift shift;		/* for a deadline on a non-working day */
	char *consolidator;		/* unit code */
	char **recipients;		/* unit codes */
	size_t nrecipients;
	char **units;			/* who must report: unit codes, "group:NAME", "all" */
	size_t nunits;
	char **exclude;			/* unit codes left out of units */
	size_t nexclude;
	struct reminder_rule *reminders;	/* when reminders go out, before the deadline */
	size_t nreminders;
	char *header;			/* "state" (Nghị định 30/2020) or "party" (HD 36-HD/VPTW) */
	bool require_document;		/* a report is complete only with its document (PDF) */
	struct ack_rule ack_by;		/* when the recipients should have acknowledged */
	bool require_consolidated_document;	/* an approval needs the signed document */
	char *first_text;		/* first_period as written */
	bool has_first;			/* first_period is set */
	struct period first;		/* the series' first period: none before it exists */
	char *file;
	int line;			/* where the section's first key is */
};

struct series_list {
	struct series_def *items;
	size_t n;
};

/* Reads a series file; returns 0, or -1 with *err naming the file, line and key. */
int series_load(const char *path, struct series_list *out, char **err);
void series_list_free(struct series_list *list);
/* Reads definitions held as text (the sections of a series file); as series_load. */
int series_parse_text(const char *text, const char *origin, struct series_list *out, char **err);
struct strbuf;
/* Writes a definition as the keys of its [series NAME] section (the database keeps this). */
void series_format(const struct series_def *d, struct strbuf *out);
/* The series of that name, or NULL. */
const struct series_def *series_find(const struct series_list *list, const char *name);

/*
 * Writes the definitions (and their text, which daemons read) into the series,
 * series_member and series_recipient tables in one transaction (series no longer defined are
 * marked inactive). Returns 0; 1 with *err when a
 * unit code or group names nothing (import the units first); 2 with *err on a database failure.
 */
int series_sync(PGconn *conn, const struct series_list *list, char **err);

#endif
