/* Report series: writing the series file's definitions into the database. */
#include "series.h"
#include "clock.h"
#include "db.h"
#include "periods.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A PostgreSQL array literal of the entries with a prefix (stripped) or, if NULL, of codes. */
static char *array_of(char **v, size_t n, const char *prefix)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addc(&sb, '{');
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		const char *s = v[i];
		if (prefix) {
			if (strncmp(s, prefix, strlen(prefix)) != 0)
				continue;
			s += strlen(prefix);
		} else if (strchr(s, ':') || strcmp(s, "all") == 0) {
			continue;
		}
		strbuf_addf(&sb, "%s\"%s\"", first ? "" : ",", s);
		first = false;
	}
	strbuf_addc(&sb, '}');
	return strbuf_detach(&sb);
}

/* Names the entries of a list that match no unit or group; NULL when all do. */
static char *unknown_units(PGconn *c, const char *codes, const char *groups, char **err,
			   bool *failed)
{
	const char *p[] = { codes, groups };
	PGresult *r = db_run(c, "series sync",
		"SELECT string_agg(x, ', ') FROM ("
		"  SELECT x FROM unnest($1::text[]) x WHERE NOT EXISTS "
		"    (SELECT 1 FROM unit WHERE code = x AND active)"
		"  UNION ALL"
		"  SELECT 'group:' || g FROM unnest($2::text[]) g WHERE NOT EXISTS "
		"    (SELECT 1 FROM unit WHERE unit_group = g AND active)) missing",
		2, p, err);
	if (r == NULL) {
		*failed = true;
		return NULL;
	}
	char *out = PQgetisnull(r, 0, 0) ? NULL : xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return out;
}

/* Writes one definition; returns 0, 1 (unknown units) or 2. */
static int sync_one(PGconn *c, const struct series_def *d, char **err)
{
	char unit_rule[CAL_RULE_BUF] = "", cons_rule[CAL_RULE_BUF] = "";
	if (d->has_rules) {
		cal_rule_format(&d->unit_rule, unit_rule);
		cal_rule_format(&d->consolidation_rule, cons_rule);
	}
	struct strbuf rem = STRBUF_INIT;
	strbuf_addc(&rem, '{');
	for (size_t i = 0; i < d->nreminders; i++) {
		char buf[REMINDER_BUF];
		reminder_format(&d->reminders[i], buf);
		strbuf_addf(&rem, "%s\"%s\"", i ? "," : "", buf);
	}
	strbuf_addc(&rem, '}');

	char *codes = array_of(d->units, d->nunits, NULL);
	char *groups = array_of(d->units, d->nunits, "group:");
	char *exclude = array_of(d->exclude, d->nexclude, NULL);
	char *recipients = array_of(d->recipients, d->nrecipients, NULL);
	char *consolidator = xasprintf("{\"%s\"}", d->consolidator);
	bool all = false;
	for (size_t i = 0; i < d->nunits; i++)
		all |= strcmp(d->units[i], "all") == 0;

	int rc = 2;
	bool failed = false;
	char *missing = unknown_units(c, codes, groups, err, &failed);
	char *missing2 = failed ? NULL : unknown_units(c, recipients, "{}", err, &failed);
	char *missing3 = failed ? NULL : unknown_units(c, consolidator, "{}", err, &failed);
	if (failed)
		goto out;
	if (missing || missing2 || missing3) {
		*err = xasprintf("%s:%d: series %s names units that are not in the database: %s%s%s"
				 "%s%s; import the units first (baocaoctl import units FILE.csv) "
				 "or correct the series file", d->file, d->line, d->name,
				 missing ? missing : "", missing && (missing2 || missing3) ? ", " : "",
				 missing2 ? missing2 : "", missing2 && missing3 ? ", " : "",
				 missing3 ? missing3 : "");
		rc = 1;
		goto out;
	}
	struct strbuf def = STRBUF_INIT;
	series_format(d, &def);
	const char *p[] = { d->name, d->title, period_kind_name(d->kind), unit_rule, cons_rule,
			    cal_shift_name(d->shift), d->consolidator, d->header, rem.data,
			    def.data, d->require_document ? "t" : "f" };
	PGresult *r = db_run(c, "series sync",
		"INSERT INTO series AS s (name, title, period_kind, unit_deadline_rule, "
		"  consolidation_deadline_rule, non_working_day, consolidator_unit_id, header_style, "
		"  reminders, definition, require_document) "
		"VALUES ($1, $2, $3, $4, $5, $6, (SELECT id FROM unit WHERE code = $7), $8, $9, $10, "
		"  $11) "
		"ON CONFLICT (name) DO UPDATE SET title = EXCLUDED.title, "
		"  period_kind = EXCLUDED.period_kind, unit_deadline_rule = EXCLUDED.unit_deadline_rule, "
		"  consolidation_deadline_rule = EXCLUDED.consolidation_deadline_rule, "
		"  non_working_day = EXCLUDED.non_working_day, "
		"  consolidator_unit_id = EXCLUDED.consolidator_unit_id, "
		"  header_style = EXCLUDED.header_style, reminders = EXCLUDED.reminders, "
		"  definition = EXCLUDED.definition, active = true, "
		"  require_document = EXCLUDED.require_document, "
		"  updated_at = CASE WHEN s.definition IS DISTINCT FROM EXCLUDED.definition OR "
		"    NOT s.active THEN now() ELSE s.updated_at END "
		"RETURNING id", 11, p, err);
	strbuf_free(&def);
	if (r == NULL)
		goto out;
	char *id = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *pm[] = { id, codes, groups, all ? "t" : "f", exclude };
	const char *pr[] = { id, recipients };
	if ((r = db_run(c, "series sync", "DELETE FROM series_member WHERE series_id = $1", 1, pm, err)) &&
	    (PQclear(r), r = db_run(c, "series sync",
		"INSERT INTO series_member (series_id, unit_id) SELECT $1, id FROM unit "
		"WHERE active AND (code = ANY($2::text[]) OR unit_group = ANY($3::text[]) OR $4) "
		"  AND NOT (code = ANY($5::text[]))", 5, pm, err)) &&
	    (PQclear(r), r = db_run(c, "series sync", "DELETE FROM series_recipient WHERE series_id = $1", 1,
				       pr, err)) &&
	    (PQclear(r), r = db_run(c, "series sync",
		"INSERT INTO series_recipient (series_id, unit_id) SELECT $1, id FROM unit "
		"WHERE code = ANY($2::text[])", 2, pr, err))) {
		PQclear(r);
		rc = 0;
	}
	free(id);
out:
	free(missing);
	free(missing2);
	free(missing3);
	free(codes);
	free(groups);
	free(exclude);
	free(recipients);
	free(consolidator);
	strbuf_free(&rem);
	return rc;
}

/* The body of the sync transaction. */
static int sync_tx(PGconn *conn, void *arg, char **err)
{
	const struct series_list *list = arg;
	int rc = 0;
	struct strbuf names = STRBUF_INIT;
	strbuf_addc(&names, '{');
	for (size_t i = 0; i < list->n && rc == 0; i++) {
		rc = sync_one(conn, &list->items[i], err);
		strbuf_addf(&names, "%s\"%s\"", i ? "," : "", list->items[i].name);
	}
	strbuf_addc(&names, '}');
	if (rc == 0) {
		const char *p[] = { names.data };
		PGresult *r = db_run(conn, "series sync", "UPDATE series SET active = false, "
				     "updated_at = now() WHERE active AND NOT (name = ANY($1::text[]))",
				     1, p, err);
		if (r == NULL)
			rc = 2;
		PQclear(r);
	}
	if (rc == 0 && periods_roster_refresh(conn, NULL, clock_now(), err) < 0)
		rc = 2;
	strbuf_free(&names);
	return rc;
}

/* Writes all definitions in one transaction. */
int series_sync(PGconn *conn, const struct series_list *list, char **err)
{
	int rc = db_tx(conn, sync_tx, (void *)list, err);
	return rc == DB_TX_FAILED ? 2 : rc;
}
