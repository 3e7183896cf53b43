/* The task catalogue: the plans' task tables (CSV or .xlsx), the units they name, the import. */
#ifndef BAOCAO_TASKS_H
#define BAOCAO_TASKS_H

#include "audit.h"
#include "taskstatus.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * A task table has the columns of the plans' appendices: TT, Nội dung, Cơ quan chủ trì,
 * Cơ quan phối hợp, Kết quả, Thời gian hoàn thành, and optionally Mã nhiệm vụ; titles are
 * matched without regard to case or diacritics, and the header row may have title rows above
 * it. docs/calendar.md ("Task catalogue") describes the layout, the codes and the matching.
 *
 * Reading and resolving are pure (no database, no globals) so that they can be tested alone;
 * tasks_import() and tasks_aliases_import() do the database work in one transaction each.
 */

/* Every problem found in one file, in the order found; English, each naming its row. */
struct tasks_errors {
	char **msgs;
	size_t n;		/* messages kept */
	size_t total;		/* problems found; more than n when there were too many to keep */
};

void tasks_errors_free(struct tasks_errors *e);
/* All messages, one per line, each after indent; "" when there are none. Free the result. */
char *tasks_errors_join(const struct tasks_errors *e, const char *indent);
/* Adds a message (after the first 200 they are only counted). */
void tasks_errors_add(struct tasks_errors *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Orders the messages by the row they are about, keeping each row's messages in order. */
void tasks_errors_sort(struct tasks_errors *e);
/* A copy of text with surrounding white space trimmed and inner runs made one space. */
char *tasks_squash(const char *text);

/* ---- naming units ---- */

/* The units and alias phrases a cell of units is matched against. */
struct tasks_directory;

struct tasks_directory *tasks_directory_new(void);
/* Frees the directory; NULL is allowed. */
void tasks_directory_free(struct tasks_directory *d);
/* The targets of the directory's i-th alias (in the order added), in canonical form. */
const char *const *tasks_directory_alias_targets(const struct tasks_directory *d, size_t i,
						 size_t *n);
/*
 * Adds a unit. Its code and its name both name it. Two units whose names fold to the same
 * text make that name ambiguous (an error only where a cell uses it). Returns 0, or -1 with
 * *err when the code is malformed, used twice, or the name is not UTF-8 text.
 */
int tasks_directory_add_unit(struct tasks_directory *d, const char *code, const char *name,
			     const char *group, bool active, char **err);
/*
 * Adds a phrase ("UBND các phường, xã") standing for targets: unit codes (any case) and
 * "group:NAME" (every active unit of that group); no targets means "no particular unit",
 * accepted only among cooperating units. Returns 0, or -1 with *err when the phrase folds to
 * nothing, is a unit's name or code or another phrase already, or a target names nothing.
 * Add the units first.
 */
int tasks_directory_add_alias(struct tasks_directory *d, const char *phrase,
			      const char *const *targets, size_t ntargets, char **err);

/* Unit codes, in the order named, each once. */
struct tasks_units {
	char **codes;
	size_t n;
};

void tasks_units_free(struct tasks_units *u);
/* Whether a list has a unit code; adds one unless it is there. */
bool tasks_units_has(const struct tasks_units *u, const char *code);
void tasks_units_add(struct tasks_units *u, const char *code);

/*
 * Resolves a cell that names units: unit names, codes and alias phrases separated by ';',
 * ',', line breaks or " và ". Since names contain " và " and ", " themselves, the cell is
 * cut only where every piece is known, preferring the fewest (so the longest) pieces. An
 * empty cell gives no units. allow_none accepts phrases that name no particular unit.
 * Returns 0, or -1 with *err (English, quoting each unknown piece as written).
 */
int tasks_resolve(const struct tasks_directory *d, const char *cell, bool allow_none,
		  struct tasks_units *out, char **err);

/* ---- the table ---- */

struct tasks_task {
	char *code;		/* "Mã nhiệm vụ", or section.TT: "III.8" */
	char *tt;		/* the TT cell as written, without a final '.' or ')' */
	char *section;		/* "II. Tăng cường, ..." of the heading above, or "" */
	char *title;		/* Nội dung */
	char *lead_text;	/* Cơ quan chủ trì as written */
	char *coop_text;	/* Cơ quan phối hợp as written */
	char *result;		/* Kết quả */
	char *deadline_text;	/* Thời gian hoàn thành as written */
	struct task_deadline deadline;
	int ordinal;		/* 1, 2, ... in the order of the file */
	char *where;		/* "line 12" (CSV) or "row 12" (.xlsx): the task's first row */
	char *lead_where;	/* "line 12" or "cell C12": its lead units' cell */
	char *coop_where;
	struct tasks_units leads;	/* filled by tasks_table_resolve() */
	struct tasks_units coops;	/* never repeats a lead unit */
};

struct tasks_table {
	struct tasks_task *tasks;
	size_t n;
	bool xlsx;		/* read from a workbook (locations are cells) */
	char *sheet;		/* the worksheet read, for a workbook */
};

/*
 * Reads a task table from the bytes of a CSV file (UTF-8) or an .xlsx workbook (its first
 * visible worksheet), told apart by their content. Rows whose TT is a Roman numeral and whose
 * other cells are empty are section headings; a row without TT, code and units continues the
 * row above it (tables extracted from PDF files wrap like that). Returns 0, or -1 with every
 * problem in errs; out holds the tasks that could be read either way (free it).
 */
int tasks_table_read(const void *data, size_t len, struct tasks_table *out,
		     struct tasks_errors *errs);
/* Resolves every task's lead and cooperating units; returns 0, or -1 with errs appended. */
int tasks_table_resolve(struct tasks_table *t, const struct tasks_directory *d,
			struct tasks_errors *errs);
void tasks_table_free(struct tasks_table *t);

/* ---- the database ---- */

/*
 * Fills a directory with the unit table (active and inactive units) and, if with_aliases,
 * the unit_alias table. Returns 0; 1 with *err when an alias is inconsistent with the units;
 * 2 with *err on a database failure.
 */
int tasks_directory_load(PGconn *conn, bool with_aliases, struct tasks_directory **out,
			 char **err);

struct tasks_import_result {
	int tasks;
	int added;
	int updated;
	int unchanged;
	int deactivated;
	/* The codes of each kind of change, in the file's order (deactivated: the database's). */
	struct tasks_units added_codes, updated_codes, deactivated_codes;
	/* A bad file (tasks_import_run's 1): every problem, ordered by row. */
	struct tasks_errors errors;
};

/* Frees the lists of a result (the counts stay). */
void tasks_import_result_free(struct tasks_import_result *res);

/*
 * Imports a task table into a series in one transaction: tasks are upserted by (series,
 * code), their task_unit rows replaced, the series' active tasks missing from the file
 * deactivated (never deleted), an audit entry written, and the rosters of periods still open
 * refreshed (periods_roster_refresh). source_doc (e.g. "282/KH-UBND") may be NULL to keep
 * what existing tasks have. file_label names the file in the audit log.
 * Returns 0; 1 with *err (every problem, one per line) for an unknown series or a bad file,
 * when nothing is stored; 2 with *err on a database failure.
 */
int tasks_import(PGconn *conn, const char *series, const char *file_label, const void *data,
		 size_t len, const char *source_doc, const char *actor,
		 struct tasks_import_result *res, char **err);

/* An import as the admin pages ask for it. */
struct tasks_import_req {
	const char *series, *file_label, *source_doc;
	const void *data;
	size_t len;
	const struct audit_who *who;
	bool dry_run;		/* do it all, then roll back: what would change */
};

/* As tasks_import, filling every list of res (free it with tasks_import_result_free). */
int tasks_import_run(PGconn *conn, const struct tasks_import_req *req,
		     struct tasks_import_result *res, char **err);

struct tasks_aliases_result {
	int rows;
	int added;
	int updated;
	int unchanged;
};

/*
 * Imports alias phrases from CSV text (columns phrase,units and optionally note, which is for
 * people reading the file and is not stored): units are space-separated unit codes and
 * group:NAME, or empty. Phrases are stored folded, with the text as written as the label;
 * existing phrases are updated, others kept. Returns 0; 1 with *err (every problem, one per
 * line) when nothing is stored; 2 with *err on a database failure.
 */
int tasks_aliases_import(PGconn *conn, const char *data, size_t len, const char *actor,
			 struct tasks_aliases_result *res, char **err);

#endif
