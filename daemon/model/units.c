/* Units: validation and the idempotent CSV import (columns code,name,group[,emails][,webhook]). */
#include "units.h"
#include "unit_webhook.h"
#include "db.h"
#include "audit.h"
#include "csv.h"
#include "util.h"
#include "xmltext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit_row {
	int line;
	char *code, *name, *group;
	char *emails;		/* PostgreSQL array literal */
	char *webhook;		/* "" for none; NULL when the file has no such column */
};

struct import_state {
	int col_code, col_name, col_group, col_emails, col_webhook;
	int ncols;
	bool header_done;
	struct unit_row *rows;
	int nrows;
	char *err;
};

/* Whether a unit code has the allowed form. */
bool units_code_valid(const char *code)
{
	size_t n = strlen(code);
	if (n == 0 || n > 32 || code[0] == '-' || code[0] == '_')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = code[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* Whether a group name has the allowed form (lower-case slug). */
bool units_group_valid(const char *g)
{
	size_t n = strlen(g);
	if (n == 0 || n > 32 || g[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((g[i] >= 'a' && g[i] <= 'z') || (g[i] >= '0' && g[i] <= '9') || g[i] == '-'))
			return false;
	return true;
}

/* Whether an e-mail address is plausible: one '@', something on each side, no spaces or quotes. */
bool units_email_valid(const char *e)
{
	const char *at = strchr(e, '@');
	if (at == NULL || at == e || at[1] == '\0' || strchr(at + 1, '@') || strlen(e) > 254)
		return false;
	for (const char *p = e; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\' || *p == ',' || *p == ';' ||
		    *p == '{' || *p == '}')
			return false;
	return strchr(at, '.') != NULL;
}

/* Turns "a@x.vn; head:b@y.vn" into a PostgreSQL array literal; NULL with *bad set if one is
 * wrong. */
static char *emails_to_array(const char *list, char **bad)
{
	struct strbuf sb = STRBUF_INIT;
	char *copy = xstrdup(list), *save = NULL;
	strbuf_addc(&sb, '{');
	int n = 0;
	for (char *tok = strtok_r(copy, ";, \t", &save); tok; tok = strtok_r(NULL, ";, \t", &save)) {
		/* "head:addr" is the unit's head, copied only on units that keep missing. */
		const char *addr = strncmp(tok, "head:", 5) == 0 ? tok + 5 : tok;
		if (!units_email_valid(addr)) {
			*bad = xstrdup(tok);
			free(copy);
			strbuf_free(&sb);
			return NULL;
		}
		strbuf_addf(&sb, "%s\"%s\"", n++ ? "," : "", tok);
	}
	strbuf_addc(&sb, '}');
	free(copy);
	return strbuf_detach(&sb);
}

/* Reads the header line: which column is which. */
static int import_header(struct import_state *st, char **f, int n, int line)
{
	st->col_code = st->col_name = st->col_group = st->col_emails = st->col_webhook = -1;
	for (int i = 0; i < n; i++) {
		char *h = str_trim(f[i]);
		int *slot = strcasecmp(h, "code") == 0 ? &st->col_code :
			    strcasecmp(h, "name") == 0 ? &st->col_name :
			    strcasecmp(h, "group") == 0 ? &st->col_group :
			    strcasecmp(h, "emails") == 0 ? &st->col_emails :
			    strcasecmp(h, "webhook") == 0 ? &st->col_webhook : NULL;
		if (slot == NULL) {
			st->err = xasprintf("line %d: unknown column '%s' (expected code, name, group "
					    "and optionally emails and webhook)", line, h);
			return 1;
		}
		if (*slot >= 0) {
			st->err = xasprintf("line %d: column '%s' appears twice", line, h);
			return 1;
		}
		*slot = i;
	}
	if (st->col_code < 0 || st->col_name < 0 || st->col_group < 0) {
		st->err = xasprintf("line %d: the header must name the columns code, name and group "
				    "(and optionally emails and webhook)", line);
		return 1;
	}
	st->ncols = n;
	st->header_done = true;
	return 0;
}

/* Checks one data row and keeps it. */
static int import_record(void *arg, char **f, int n, int line)
{
	struct import_state *st = arg;
	if (!st->header_done)
		return import_header(st, f, n, line);
	if (n != st->ncols) {
		st->err = xasprintf("line %d: %d fields, but the header has %d (quote a name that "
				    "contains a comma)", line, n, st->ncols);
		return 1;
	}
	char *code = str_trim(f[st->col_code]);
	char *name = str_trim(f[st->col_name]);
	char *group = str_trim(f[st->col_group]);
	if (!units_code_valid(code)) {
		st->err = xasprintf("line %d: invalid unit code '%s' (letters, digits, '-' and '_', "
				    "at most 32)", line, code);
		return 1;
	}
	struct xmltext_bad badchar;
	if (xmltext_find(name, strlen(name), &badchar) && badchar.cp >= 0) {
		st->err = xasprintf("line %d: unit %s: the name holds a character that is not "
				    "allowed (U+%04lX); remove it and import again", line, code,
				    (unsigned long)badchar.cp);
		return 1;
	}
	if (name[0] == '\0' || strlen(name) > 300 || !xmltext_valid(name, strlen(name))) {
		st->err = xasprintf("line %d: unit %s: the name must be 1 to 300 characters of "
				    "UTF-8 text", line, code);
		return 1;
	}
	if (!units_group_valid(group)) {
		st->err = xasprintf("line %d: unit %s: invalid group '%s' (lower-case letters, "
				    "digits and '-', e.g. so-nganh)", line, code, group);
		return 1;
	}
	if (st->nrows >= UNITS_MAX_ROWS) {
		st->err = xasprintf("line %d: more than %d units in one file; a province has far "
				    "fewer: check the file", line, UNITS_MAX_ROWS);
		return 1;
	}
	for (int i = 0; i < st->nrows; i++) {
		if (strcmp(st->rows[i].code, code) == 0) {
			st->err = xasprintf("line %d: unit code %s already appears on line %d",
					    line, code, st->rows[i].line);
			return 1;
		}
	}
	char *emails = NULL;
	if (st->col_emails >= 0) {
		char *bad = NULL;
		emails = emails_to_array(f[st->col_emails], &bad);
		if (emails == NULL) {
			st->err = xasprintf("line %d: unit %s: invalid e-mail address '%s'", line,
					    code, bad);
			free(bad);
			return 1;
		}
	}
	char *webhook = st->col_webhook >= 0 ? str_trim(f[st->col_webhook]) : NULL;
	if (webhook != NULL && webhook[0] != '\0' && !unit_push_url_allowed(webhook)) {
		st->err = xasprintf("line %d: unit %s: the webhook must be an https:// URL (http:// "
				    "only to this machine), at most %d characters", line, code,
				    UNIT_WEBHOOK_URL_MAX);
		free(emails);
		return 1;
	}
	st->rows = xrealloc(st->rows, (size_t)(st->nrows + 1) * sizeof *st->rows);
	st->rows[st->nrows++] = (struct unit_row){ line, xstrdup(code), xstrdup(name),
						   xstrdup(group), emails,
						   webhook ? xstrdup(webhook) : NULL };
	return 0;
}

/* Frees the kept rows. */
static void import_state_free(struct import_state *st)
{
	for (int i = 0; i < st->nrows; i++) {
		free(st->rows[i].code);
		free(st->rows[i].name);
		free(st->rows[i].group);
		free(st->rows[i].emails);
		free(st->rows[i].webhook);
	}
	free(st->rows);
	free(st->err);
}

/* What the import transaction writes. */
struct import_write {
	struct import_state *st;
	const struct audit_who *who;
	struct units_import_result *res;
};

/* The body of the import transaction: every row, then the audit entry. */
static int import_tx(PGconn *conn, void *arg, char **err)
{
	struct import_write *w = arg;
	struct units_import_result *res = w->res;
	for (int i = 0; i < w->st->nrows; i++) {
		struct unit_row *u = &w->st->rows[i];
		const char *params[] = { u->code, u->name, u->group, u->emails ? u->emails : "{}",
					 u->emails ? "t" : "f", u->webhook ? u->webhook : "",
					 u->webhook ? "t" : "f" };
		char *why = NULL;
		PGresult *r = db_run(conn, "unit",
			"INSERT INTO unit AS u (code, name, unit_group, emails, webhook) "
			"VALUES ($1, $2, $3, $4::text[], nullif($6, '')) "
			"ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, "
			"  unit_group = EXCLUDED.unit_group, "
			"  emails = CASE WHEN $5::boolean THEN EXCLUDED.emails ELSE u.emails END, "
			"  webhook = CASE WHEN $7::boolean THEN EXCLUDED.webhook ELSE u.webhook END, "
			"  active = true, updated_at = now() "
			"WHERE (u.name, u.unit_group, u.active) IS DISTINCT FROM "
			"      (EXCLUDED.name, EXCLUDED.unit_group, true) "
			"   OR ($5::boolean AND u.emails IS DISTINCT FROM EXCLUDED.emails) "
			"   OR ($7::boolean AND u.webhook IS DISTINCT FROM EXCLUDED.webhook) "
			"RETURNING (xmax = 0)", 7, params, &why);
		if (r == NULL) {
			*err = xasprintf("line %d: %s %s", u->line, u->code, why);
			free(why);
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
	res->rows = w->st->nrows;
	char *detail = xasprintf("{\"rows\":%d,\"added\":%d,\"updated\":%d,\"unchanged\":%d}",
				 res->rows, res->added, res->updated, res->unchanged);
	int rc = audit_write_by(conn, w->who, "import", "unit", NULL, detail, err);
	free(detail);
	return rc != 0 ? 2 : 0;
}

/* Writes the checked rows in one transaction. */
static int import_write(PGconn *conn, struct import_state *st, const struct audit_who *who,
			struct units_import_result *res, char **err)
{
	struct import_write w = { st, who, res };
	int rc = db_tx(conn, import_tx, &w, err);
	if (rc != 0) {
		res->added = res->updated = res->unchanged = res->rows = 0;
		return 2;
	}
	return 0;
}

/* Imports units from CSV text. */
int units_import_csv(PGconn *conn, const char *data, size_t len, const struct audit_who *who,
		     struct units_import_result *res, char **err)
{
	memset(res, 0, sizeof *res);
	char *problem = xmltext_file_problem(data, len);
	if (problem != NULL) {
		*err = problem;
		return 1;
	}
	struct import_state st = { 0 };
	int bad_line = 0;
	int rc = csv_parse(data, len, import_record, &st, &bad_line);
	if (rc == -1) {
		*err = xasprintf("line %d: malformed CSV (a quote that is not closed, or a quote "
				 "inside an unquoted field)", bad_line);
		import_state_free(&st);
		return 1;
	}
	if (rc != 0) {
		*err = st.err;
		st.err = NULL;
		import_state_free(&st);
		return 1;
	}
	if (!st.header_done || st.nrows == 0) {
		*err = xstrdup("no units: the file needs a header line code,name,group[,emails][,webhook] "
			       "and at least one row");
		import_state_free(&st);
		return 1;
	}
	rc = import_write(conn, &st, who, res, err);
	import_state_free(&st);
	return rc;
}

/* What units_update writes. */
struct update {
	const char *code, *name, *group, *emails;	/* emails: an array literal */
	const char *webhook;				/* NULL: left as it is; "": none */
	const struct audit_who *who;
};

/* The body of units_update: the row before, the new one, the audit entry. */
static int update_tx(PGconn *conn, void *arg, char **err)
{
	struct update *u = arg;
	const char *p[] = { u->code, u->name, u->group, u->emails, u->webhook ? u->webhook : "",
			    u->webhook ? "t" : "f" };
	PGresult *r = db_run(conn, "unit",
		"WITH old AS (SELECT id, name, unit_group, emails, webhook FROM unit "
		"  WHERE code = $1 FOR UPDATE) "
		"UPDATE unit AS u SET name = $2, unit_group = $3, emails = $4::text[], "
		"  webhook = CASE WHEN $6::boolean THEN nullif($5, '') ELSE old.webhook END, "
		"  updated_at = now() FROM old WHERE u.id = old.id "
		"RETURNING json_build_object('name', old.name, 'group', old.unit_group, "
		"  'emails', old.emails, 'webhook', old.webhook)::text, json_build_object('name', "
		"  u.name, 'group', u.unit_group, 'emails', u.emails, 'webhook', u.webhook)::text",
		6, p, err);
	if (r == NULL)
		return UNITS_DB;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return UNITS_NOT_FOUND;
	}
	char *detail = xasprintf("{\"before\":%s,\"after\":%s}", PQgetvalue(r, 0, 0),
				 PQgetvalue(r, 0, 1));
	PQclear(r);
	int rc = audit_write_by(conn, u->who, "update", "unit", u->code, detail, err);
	free(detail);
	return rc == 0 ? UNITS_OK : UNITS_DB;
}

/* Sets one unit's name, group and contacts. */
enum units_result units_update(PGconn *conn, const char *code, const char *name,
			       const char *group, const char *emails, const char *webhook,
			       const struct audit_who *who, char **err)
{
	if (name[0] == '\0' || strlen(name) > 300 || !xmltext_valid(name, strlen(name)))
		return UNITS_BAD_NAME;
	if (!units_group_valid(group))
		return UNITS_BAD_GROUP;
	if (webhook != NULL && webhook[0] != '\0' && !unit_push_url_allowed(webhook))
		return UNITS_BAD_WEBHOOK;
	char *list = emails_to_array(emails, err);
	if (list == NULL)
		return UNITS_BAD_EMAIL;
	struct update u = { code, name, group, list, webhook, who };
	int rc = db_tx(conn, update_tx, &u, err);
	free(list);
	return rc == DB_TX_FAILED ? UNITS_DB : (enum units_result)rc;
}

/* Every unit with its contacts and how many accounts it has. */
PGresult *units_list(PGconn *conn, char **err)
{
	return db_run(conn, "units",
		"SELECT code, name, unit_group, array_to_json(emails)::text, active, "
		"  (SELECT count(*) FROM account a WHERE a.unit_id = u.id), webhook, "
		"  webhook_secret IS NOT NULL "
		"FROM unit u ORDER BY unit_group, code", 0, NULL, err);
}

/* The name of a unit by its code. */
char *units_name(PGconn *conn, const char *code)
{
	const char *p[] = { code };
	PGresult *r = db_query(conn, "SELECT name FROM unit WHERE code = $1", 1, p, NULL, NULL);
	char *name = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ?
		     xstrdup(PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	return name;
}

/* A unit's report addresses. */
PGresult *units_report_addresses(PGconn *conn, const char *code, char **err)
{
	const char *p[] = { code };
	return db_run(conn, "unit addresses",
		"SELECT lower(a.email) AS email FROM account a JOIN unit u "
		"  ON u.id = a.unit_id WHERE u.code = $1 AND a.role = 'reporter' AND NOT a.disabled "
		"UNION SELECT lower(e) FROM unit u, unnest(u.emails) e "
		"  WHERE u.code = $1 AND e NOT LIKE 'head:%' ORDER BY email", 1, p, err);
}
