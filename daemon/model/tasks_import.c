/* The task catalogue in the database: the directory of units and phrases, importing task
 * tables and alias phrases, each in one transaction. */
#include "tasks.h"
#include "audit.h"
#include "clock.h"
#include "csv.h"
#include "db.h"
#include "json.h"
#include "periods.h"
#include "units.h"
#include "util.h"
#include "xlsx_read.h"
#include "xmltext.h"
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Runs a parameterised query; returns its result, or NULL with *err. */
static PGresult *query(PGconn *conn, const char *sql, int n, const char *const *params,
		       char **err)
{
	return db_run(conn, "database", sql, n, params, err);
}

/* Splits s at spaces into a fresh array of words. */
static size_t split_words(const char *s, char ***out)
{
	char *copy = xstrdup(s), *save = NULL;
	size_t n = 0;
	*out = NULL;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		*out = xrealloc(*out, (n + 1) * sizeof **out);
		(*out)[n++] = xstrdup(w);
	}
	free(copy);
	return n;
}

/* Frees an array of n strings. */
static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Loads units and aliases into a directory. */
int tasks_directory_load(PGconn *conn, bool with_aliases, struct tasks_directory **out,
			 char **err)
{
	*out = NULL;
	PGresult *r = query(conn, "SELECT code, name, unit_group, active FROM unit ORDER BY id",
			    0, NULL, err);
	if (r == NULL)
		return 2;
	struct tasks_directory *d = tasks_directory_new();
	for (int i = 0; i < PQntuples(r); i++) {
		if (tasks_directory_add_unit(d, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
					     PQgetvalue(r, i, 2),
					     strcmp(PQgetvalue(r, i, 3), "t") == 0, err) != 0) {
			PQclear(r);
			tasks_directory_free(d);
			return 1;
		}
	}
	PQclear(r);
	if (with_aliases) {
		r = query(conn, "SELECT label, array_to_string(targets, ' ') FROM unit_alias "
			  "ORDER BY phrase", 0, NULL, err);
		if (r == NULL) {
			tasks_directory_free(d);
			return 2;
		}
		for (int i = 0; i < PQntuples(r); i++) {
			char **targets;
			size_t n = split_words(PQgetvalue(r, i, 1), &targets);
			int rc = tasks_directory_add_alias(d, PQgetvalue(r, i, 0),
							   (const char *const *)targets, n, err);
			strv_free(targets, n);
			if (rc != 0) {
				char *e = xasprintf("unit_alias: %s (correct the aliases file and "
						    "import it again)", *err);
				free(*err);
				*err = e;
				PQclear(r);
				tasks_directory_free(d);
				return 1;
			}
		}
		PQclear(r);
	}
	*out = d;
	return 0;
}

/* A PostgreSQL array literal of strings that need no escaping beyond quotes (codes, roles). */
static char *array_literal(char *const *v, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addc(&sb, '{');
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s\"%s\"", i ? "," : "", v[i]);
	strbuf_addc(&sb, '}');
	return strbuf_detach(&sb);
}

/* Orders strings bytewise, for qsort. */
static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The task's units as "CODE:role" strings, sorted bytewise. */
static size_t task_unit_keys(const struct tasks_task *t, char ***out)
{
	size_t n = t->leads.n + t->coops.n, k = 0;
	*out = xmalloc((n ? n : 1) * sizeof **out);
	for (size_t i = 0; i < t->leads.n; i++)
		(*out)[k++] = xasprintf("%s:lead", t->leads.codes[i]);
	for (size_t i = 0; i < t->coops.n; i++)
		(*out)[k++] = xasprintf("%s:cooperator", t->coops.codes[i]);
	qsort(*out, n, sizeof **out, str_ptr_cmp);
	return n;
}

/* Replaces a task's task_unit rows if they differ; *changed says whether they did. */
static int write_task_units(PGconn *conn, const char *task_id, const struct tasks_task *t,
			    bool *changed, char **err)
{
	char **keys;
	size_t n = task_unit_keys(t, &keys);
	struct strbuf want = STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&want, "%s%s", i ? " " : "", keys[i]);
	strv_free(keys, n);
	const char *p1[] = { task_id };
	PGresult *r = query(conn,
		"SELECT coalesce(string_agg(u.code || ':' || tu.role, ' ' "
		"  ORDER BY (u.code || ':' || tu.role) COLLATE \"C\"), '') "
		"FROM task_unit tu JOIN unit u ON u.id = tu.unit_id WHERE tu.task_id = $1",
		1, p1, err);
	if (r == NULL) {
		strbuf_free(&want);
		return -1;
	}
	*changed = strcmp(PQgetvalue(r, 0, 0), strbuf_str(&want)) != 0;
	PQclear(r);
	strbuf_free(&want);
	if (!*changed)
		return 0;
	r = query(conn, "DELETE FROM task_unit WHERE task_id = $1", 1, p1, err);
	if (r == NULL)
		return -1;
	PQclear(r);
	size_t total = t->leads.n + t->coops.n;
	char **codes = xmalloc((total ? total : 1) * sizeof *codes);
	char **roles = xmalloc((total ? total : 1) * sizeof *roles);
	for (size_t i = 0; i < t->leads.n; i++) {
		codes[i] = t->leads.codes[i];
		roles[i] = "lead";
	}
	for (size_t i = 0; i < t->coops.n; i++) {
		codes[t->leads.n + i] = t->coops.codes[i];
		roles[t->leads.n + i] = "cooperator";
	}
	char *codes_lit = array_literal(codes, total);
	char *roles_lit = array_literal(roles, total);
	free(codes);
	free(roles);
	const char *p3[] = { task_id, codes_lit, roles_lit };
	r = query(conn,
		"INSERT INTO task_unit (task_id, unit_id, role) "
		"SELECT $1, u.id, x.role FROM unnest($2::text[], $3::text[]) AS x (code, role) "
		"JOIN unit u ON u.code = x.code",
		3, p3, err);
	free(codes_lit);
	free(roles_lit);
	if (r == NULL)
		return -1;
	bool all = strtoul(PQcmdTuples(r), NULL, 10) == total;
	PQclear(r);
	if (!all) {
		*err = xasprintf("task %s: a unit disappeared during the import", t->code);
		return -1;
	}
	return 0;
}

/* Upserts one task and its units; counts it in res. */
static int write_task(PGconn *conn, const char *series_id, const struct tasks_task *t,
		      const char *source_doc, struct tasks_import_result *res, char **err)
{
	char ordinal[16], deadline[CAL_DATE_BUF];
	snprintf(ordinal, sizeof ordinal, "%d", t->ordinal);
	if (t->deadline.has_date)
		cal_format_date(t->deadline.day, deadline);
	const char *params[] = {
		series_id, t->code, ordinal, t->section, t->title, t->lead_text, t->coop_text,
		t->result, t->deadline.has_date ? deadline : NULL, t->deadline_text, source_doc,
	};
	PGresult *r = query(conn,
		"INSERT INTO task AS t (series_id, code, ordinal, section, title, lead_text, "
		"  cooperators_text, expected_result, deadline, deadline_text, source_document) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::date, $10, coalesce($11::text, '')) "
		"ON CONFLICT (series_id, code) DO UPDATE SET ordinal = EXCLUDED.ordinal, "
		"  section = EXCLUDED.section, title = EXCLUDED.title, "
		"  lead_text = EXCLUDED.lead_text, cooperators_text = EXCLUDED.cooperators_text, "
		"  expected_result = EXCLUDED.expected_result, deadline = EXCLUDED.deadline, "
		"  deadline_text = EXCLUDED.deadline_text, "
		"  source_document = coalesce($11::text, t.source_document), "
		"  active = true, updated_at = now() "
		"WHERE (t.ordinal, t.section, t.title, t.lead_text, t.cooperators_text, "
		"       t.expected_result, t.deadline, t.deadline_text, t.source_document, t.active) "
		"  IS DISTINCT FROM (EXCLUDED.ordinal, EXCLUDED.section, EXCLUDED.title, "
		"       EXCLUDED.lead_text, EXCLUDED.cooperators_text, EXCLUDED.expected_result, "
		"       EXCLUDED.deadline, EXCLUDED.deadline_text, "
		"       coalesce($11::text, t.source_document), true) "
		"RETURNING id, (xmax = 0)",
		(int)nitems(params), params, err);
	if (r == NULL)
		return -1;
	bool added = false, row_changed = PQntuples(r) == 1;
	char *id;
	if (row_changed) {
		id = xstrdup(PQgetvalue(r, 0, 0));
		added = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
		PQclear(r);
	} else {
		PQclear(r);
		const char *p2[] = { series_id, t->code };
		r = query(conn, "SELECT id FROM task WHERE series_id = $1 AND code = $2", 2, p2, err);
		if (r == NULL)
			return -1;
		id = xstrdup(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	bool units_changed = false;
	int rc = write_task_units(conn, id, t, &units_changed, err);
	free(id);
	if (rc != 0)
		return -1;
	if (added) {
		res->added++;
		tasks_units_add(&res->added_codes, t->code);
	} else if (row_changed || units_changed) {
		res->updated++;
		tasks_units_add(&res->updated_codes, t->code);
	} else {
		res->unchanged++;
	}
	return 0;
}

/* Writes the audit entry of a task import. */
static int audit_tasks(PGconn *conn, const char *series, const char *file_label,
		       const char *source_doc, const struct audit_who *who,
		       const struct tasks_import_result *res, PGresult *gone, char **err)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb);
	json_object_begin(&j);
	json_kv_string(&j, "series", series);
	json_kv_string(&j, "file", file_label);
	if (source_doc)
		json_kv_string(&j, "source", source_doc);
	json_kv_int(&j, "tasks", res->tasks);
	json_kv_int(&j, "added", res->added);
	json_kv_int(&j, "updated", res->updated);
	json_kv_int(&j, "unchanged", res->unchanged);
	json_kv_int(&j, "deactivated", res->deactivated);
	json_key(&j, "deactivated_codes");
	json_array_begin(&j);
	for (int i = 0; i < PQntuples(gone); i++)
		json_string(&j, PQgetvalue(gone, i, 0));
	json_array_end(&j);
	json_object_end(&j);
	int rc = audit_write_by(conn, who, "import", "task", series, strbuf_str(&sb), err);
	strbuf_free(&sb);
	return rc;
}

/* Reads, resolves and writes a task table; the caller has begun the transaction. */
static int import_in_tx(PGconn *conn, const char *series, const char *file_label,
			const void *data, size_t len, const char *source_doc,
			const struct audit_who *who, struct tasks_import_result *res, char **err)
{
	const char *p1[] = { series };
	PGresult *r = query(conn, "SELECT id FROM series WHERE name = $1 FOR UPDATE", 1, p1, err);
	if (r == NULL)
		return 2;
	if (PQntuples(r) == 0) {
		PQclear(r);
		*err = xasprintf("unknown series '%s': define it in the series file and run "
				 "baocaoctl series sync", series);
		return 1;
	}
	char *series_id = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);

	struct tasks_errors errs = { 0 };
	struct tasks_table table;
	struct tasks_directory *dir = NULL;
	int rc = 1;
	int read_rc = tasks_table_read(data, len, &table, &errs);
	int drc = tasks_directory_load(conn, true, &dir, err);
	if (drc != 0) {
		rc = drc;
		goto out;
	}
	int resolve_rc = tasks_table_resolve(&table, dir, &errs);
	if (read_rc != 0 || resolve_rc != 0) {
		tasks_errors_sort(&errs);
		*err = errs.total == 1 ? xstrdup(errs.msgs[0]) : tasks_errors_join(&errs, "  ");
		if (errs.total > 1) {
			char *e = xasprintf("%zu problems:\n%s", errs.total, *err);
			free(*err);
			*err = e;
		}
		res->errors = errs;
		memset(&errs, 0, sizeof errs);
		goto out;
	}
	rc = 2;
	res->tasks = (int)table.n;
	char **codes = xmalloc((table.n ? table.n : 1) * sizeof *codes);
	for (size_t i = 0; i < table.n; i++) {
		codes[i] = table.tasks[i].code;
		if (write_task(conn, series_id, &table.tasks[i], source_doc, res, err) != 0) {
			char *e = xasprintf("%s: task %s: %s", table.tasks[i].where,
					    table.tasks[i].code, *err);
			free(*err);
			*err = e;
			free(codes);
			goto out;
		}
	}
	char *codes_lit = array_literal(codes, table.n);
	free(codes);
	const char *p2[] = { series_id, codes_lit };
	PGresult *gone = query(conn,
		"UPDATE task SET active = false, updated_at = now() "
		"WHERE series_id = $1 AND active AND code <> ALL ($2::text[]) RETURNING code",
		2, p2, err);
	free(codes_lit);
	if (gone == NULL)
		goto out;
	res->deactivated = PQntuples(gone);
	for (int i = 0; i < PQntuples(gone); i++)
		tasks_units_add(&res->deactivated_codes, PQgetvalue(gone, i, 0));
	int arc = audit_tasks(conn, series, file_label, source_doc, who, res, gone, err);
	PQclear(gone);
	if (arc == 0 && periods_roster_refresh(conn, series_id, clock_now(), err) >= 0)
		rc = 0;
out:
	free(series_id);
	tasks_directory_free(dir);
	tasks_table_free(&table);
	tasks_errors_free(&errs);
	return rc;
}

/* What an import's transaction returns after a dry run that went well: roll back. */
#define TASKS_DRY_RUN_DONE 3

/* The body of an import's transaction. */
static int import_tx(PGconn *conn, void *arg, char **err)
{
	struct tasks_import_req *q = ((void **)arg)[0];
	struct tasks_import_result *res = ((void **)arg)[1];
	int rc = import_in_tx(conn, q->series, q->file_label, q->data, q->len, q->source_doc,
			      q->who, res, err);
	return rc == 0 && q->dry_run ? TASKS_DRY_RUN_DONE : rc;
}

/* Frees the lists of a result. */
void tasks_import_result_free(struct tasks_import_result *res)
{
	tasks_units_free(&res->added_codes);
	tasks_units_free(&res->updated_codes);
	tasks_units_free(&res->deactivated_codes);
	tasks_errors_free(&res->errors);
	memset(&res->added_codes, 0, sizeof res->added_codes);
	memset(&res->updated_codes, 0, sizeof res->updated_codes);
	memset(&res->deactivated_codes, 0, sizeof res->deactivated_codes);
	memset(&res->errors, 0, sizeof res->errors);
}

/* Imports a task table, or tries it and rolls back. */
int tasks_import_run(PGconn *conn, const struct tasks_import_req *req,
		     struct tasks_import_result *res, char **err)
{
	memset(res, 0, sizeof *res);
	void *args[] = { (void *)req, res };
	int rc = db_tx(conn, import_tx, args, err);
	if (rc == TASKS_DRY_RUN_DONE)
		return 0;
	if (rc != 0) {
		/* Nothing was stored: no counts, only the problems. */
		struct tasks_errors keep = res->errors;
		memset(&res->errors, 0, sizeof res->errors);
		tasks_import_result_free(res);
		memset(res, 0, sizeof *res);
		res->errors = keep;
	}
	return rc == DB_TX_FAILED ? 2 : rc;
}

/* Imports a task table into a series. */
int tasks_import(PGconn *conn, const char *series, const char *file_label, const void *data,
		 size_t len, const char *source_doc, const char *actor,
		 struct tasks_import_result *res, char **err)
{
	struct audit_who who = { 0, actor, NULL };
	struct tasks_import_req req = { series, file_label, source_doc, data, len, &who, false };
	int rc = tasks_import_run(conn, &req, res, err);
	tasks_import_result_free(res);
	return rc;
}

/* ---- aliases ---- */

struct alias_row {
	int line;
	char *phrase;		/* as written */
	char *key;		/* folded */
	char **targets;
	size_t ntargets;
};

struct alias_reader {
	int col_phrase, col_units, col_note;
	int ncols;
	bool header_done;
	struct alias_row *rows;
	size_t n;
	struct tasks_errors *errs;
};

/* Reads the header line of an aliases file; returns non-zero to stop. */
static int alias_header(struct alias_reader *ar, char **f, int n, int line)
{
	ar->col_phrase = ar->col_units = ar->col_note = -1;
	for (int i = 0; i < n; i++) {
		char *h = str_trim(f[i]);
		int *slot = strcasecmp(h, "phrase") == 0 ? &ar->col_phrase :
			    strcasecmp(h, "units") == 0 ? &ar->col_units :
			    strcasecmp(h, "note") == 0 ? &ar->col_note : NULL;
		if (slot == NULL || *slot >= 0) {
			tasks_errors_add(ar->errs, "line %d: %s column '%s' (expected phrase, units and "
				   "optionally note)", line, slot ? "a second" : "unknown", h);
			return 1;
		}
		*slot = i;
	}
	if (ar->col_phrase < 0 || ar->col_units < 0) {
		tasks_errors_add(ar->errs, "line %d: the header must name the columns phrase and units "
			   "(and optionally note)", line);
		return 1;
	}
	ar->ncols = n;
	ar->header_done = true;
	return 0;
}

/* Checks the form of one alias line and keeps it; problems go to errs. */
static int alias_record(void *arg, char **f, int n, int line)
{
	struct alias_reader *ar = arg;
	if (!ar->header_done)
		return alias_header(ar, f, n, line);
	if (n != ar->ncols) {
		tasks_errors_add(ar->errs, "line %d: %d fields, but the header has %d (quote a phrase "
			   "that contains a comma)", line, n, ar->ncols);
		return 0;
	}
	char *phrase = tasks_squash(f[ar->col_phrase]);
	char *key = task_fold(phrase);
	if (key == NULL || key[0] == '\0') {
		tasks_errors_add(ar->errs, "line %d: the phrase is empty", line);
		free(phrase);
		free(key);
		return 0;
	}
	for (size_t i = 0; i < ar->n; i++) {
		if (strcmp(ar->rows[i].key, key) == 0) {
			tasks_errors_add(ar->errs, "line %d: the phrase '%s' already appears on line %d",
				   line, phrase, ar->rows[i].line);
			free(phrase);
			free(key);
			return 0;
		}
	}
	struct alias_row row = { line, phrase, key, NULL, 0 };
	row.ntargets = split_words(f[ar->col_units], &row.targets);
	ar->rows = xrealloc(ar->rows, (ar->n + 1) * sizeof *ar->rows);
	ar->rows[ar->n++] = row;
	return 0;
}

/* Frees the kept alias rows. */
static void alias_reader_free(struct alias_reader *ar)
{
	for (size_t i = 0; i < ar->n; i++) {
		free(ar->rows[i].phrase);
		free(ar->rows[i].key);
		strv_free(ar->rows[i].targets, ar->rows[i].ntargets);
	}
	free(ar->rows);
}

/* Checks the aliases against the units and writes them; the transaction is begun. */
static int aliases_in_tx(PGconn *conn, struct alias_reader *ar, const char *actor,
			 struct tasks_aliases_result *res, char **err)
{
	struct tasks_directory *d = NULL;
	int rc = tasks_directory_load(conn, false, &d, err);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < ar->n; i++) {
		struct alias_row *a = &ar->rows[i];
		char *e = NULL;
		if (tasks_directory_add_alias(d, a->phrase, (const char *const *)a->targets,
					      a->ntargets, &e) != 0) {
			tasks_errors_add(ar->errs, "line %d: %s", a->line, e);
			free(e);
		}
	}
	if (ar->errs->total > 0) {
		tasks_directory_free(d);
		return 1;
	}
	for (size_t i = 0; i < ar->n; i++) {
		struct alias_row *a = &ar->rows[i];
		/* The directory has the targets in canonical form. */
		size_t ntargets;
		const char *const *canon = tasks_directory_alias_targets(d, i, &ntargets);
		char *targets = array_literal((char *const *)canon, ntargets);
		const char *params[] = { a->key, a->phrase, targets };
		PGresult *r = query(conn,
			"INSERT INTO unit_alias AS a (phrase, label, targets) "
			"VALUES ($1, $2, $3::text[]) "
			"ON CONFLICT (phrase) DO UPDATE SET label = EXCLUDED.label, "
			"  targets = EXCLUDED.targets, updated_at = now() "
			"WHERE (a.label, a.targets) IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.targets) "
			"RETURNING (xmax = 0)", 3, params, err);
		free(targets);
		if (r == NULL) {
			char *e2 = xasprintf("line %d: %s", a->line, *err);
			free(*err);
			*err = e2;
			tasks_directory_free(d);
			return 2;
		}
		if (PQntuples(r) == 0)
			res->unchanged++;
		else if (strcmp(PQgetvalue(r, 0, 0), "t") == 0)
			res->added++;
		else
			res->updated++;
		PQclear(r);
	}
	tasks_directory_free(d);
	res->rows = (int)ar->n;
	char *detail = xasprintf("{\"rows\":%d,\"added\":%d,\"updated\":%d,\"unchanged\":%d}",
				 res->rows, res->added, res->updated, res->unchanged);
	struct audit_entry e = { 0, actor, "import", "unit_alias", NULL, detail, NULL };
	rc = audit_write(conn, &e, err);
	free(detail);
	return rc == 0 ? 0 : 2;
}

/* An alias import's arguments, for its transaction. */
struct aliases_args {
	struct alias_reader *ar;
	const char *actor;
	struct tasks_aliases_result *res;
};

/* The body of an alias import's transaction. */
static int aliases_tx(PGconn *conn, void *arg, char **err)
{
	struct aliases_args *a = arg;
	return aliases_in_tx(conn, a->ar, a->actor, a->res, err);
}

/* Imports alias phrases from CSV text. */
int tasks_aliases_import(PGconn *conn, const char *data, size_t len, const char *actor,
			 struct tasks_aliases_result *res, char **err)
{
	memset(res, 0, sizeof *res);
	struct tasks_errors errs = { 0 };
	struct alias_reader ar = { .errs = &errs };
	int rc = 1;
	char *problem = xmltext_file_problem(data, len);
	if (problem != NULL) {
		tasks_errors_add(&errs, "%s", problem);
		free(problem);
	} else {
		int bad_line = 0;
		if (csv_parse(data, len, alias_record, &ar, &bad_line) == -1)
			tasks_errors_add(&errs, "line %d: malformed CSV (a quote that is not closed, or "
				   "a quote inside an unquoted field)", bad_line);
		else if (errs.total == 0 && ar.n == 0)
			tasks_errors_add(&errs, "no aliases: the file needs a header line phrase,units "
				   "and at least one row");
	}
	if (errs.total == 0) {
		struct aliases_args a = { &ar, actor, res };
		rc = db_tx(conn, aliases_tx, &a, err);
		if (rc == DB_TX_FAILED)
			rc = 2;
		if (rc != 1)
			goto out;
	}
	/* rc == 1: every problem found, in one message. */
	if (errs.total == 1) {
		*err = xstrdup(errs.msgs[0]);
	} else if (errs.total > 1) {
		char *all = tasks_errors_join(&errs, "  ");
		*err = xasprintf("%zu problems:\n%s", errs.total, all);
		free(all);
	}
out:
	alias_reader_free(&ar);
	tasks_errors_free(&errs);
	return rc;
}
