/* Report series: their definitions in the series file, and their copy in the database. */
#include "series.h"
#include "db.h"
#include "inifile.h"
#include "units.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct series_parse {
	struct series_list *list;
	const char *path;
};

/* Whether a series name is a slug of at most 64 characters. */
static bool series_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* Splits a list on commas and white space into new strings. */
static void split_list(const char *value, char ***out, size_t *n)
{
	char *copy = xstrdup(value), *save = NULL;
	for (size_t i = 0; i < *n; i++)
		free((*out)[i]);
	free(*out);
	*out = NULL;
	*n = 0;
	for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = xstrdup(t);
	}
	free(copy);
}

/* Frees a list of strings. */
static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The definition of a section, created on its first key. */
static struct series_def *series_section(struct series_parse *sp, const char *name, int line)
{
	struct series_list *l = sp->list;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].name, name) == 0)
			return &l->items[i];
	l->items = xrealloc(l->items, (l->n + 1) * sizeof *l->items);
	struct series_def *d = &l->items[l->n++];
	memset(d, 0, sizeof *d);
	d->name = xstrdup(name);
	d->kind = (enum period_kind)-1;
	d->shift = CAL_SHIFT_PREVIOUS;
	d->file = xstrdup(sp->path);
	d->line = line;
	return d;
}

/* Parses and keeps a rule; "why" explains a bad one. */
static int keep_rule(const char *value, struct cal_rule *rule, char **why)
{
	char *err = NULL;
	if (cal_rule_parse(value, rule, &err) != 0) {
		*why = err;
		return -1;
	}
	return 0;
}

/* Applies one key of a [series NAME] section. */
static int series_key(void *arg, const char *section, const char *key, const char *value,
		      int line, char **why)
{
	struct series_parse *sp = arg;
	if (strncmp(section, "series ", 7) != 0) {
		*why = xasprintf("unknown section [%s] (a series file has [series NAME] sections)",
				 section);
		return -1;
	}
	const char *name = section + 7;
	while (*name == ' ')
		name++;
	if (!series_name_valid(name)) {
		*why = xasprintf("invalid series name '%s' (lower-case letters, digits and '-')", name);
		return -1;
	}
	struct series_def *d = series_section(sp, name, line);

	if (strcmp(key, "title") == 0) {
		free(d->title);
		d->title = xstrdup(value);
	} else if (strcmp(key, "source") == 0) {
		free(d->source);
		d->source = xstrdup(value);
	} else if (strcmp(key, "period") == 0) {
		if (period_kind_parse(value, &d->kind) != 0) {
			*why = xasprintf("invalid period '%s' for key 'period': expected weekly, "
					 "monthly, quarterly, half-yearly, yearly or adhoc", value);
			return -1;
		}
	} else if (strcmp(key, "unit_deadline") == 0) {
		d->has_rules = true;
		return keep_rule(value, &d->unit_rule, why);
	} else if (strcmp(key, "consolidation_deadline") == 0) {
		return keep_rule(value, &d->consolidation_rule, why);
	} else if (strcmp(key, "non_working_day") == 0) {
		if (cal_shift_parse(value, &d->shift) != 0) {
			*why = xasprintf("invalid value '%s' for key 'non_working_day': expected "
					 "previous or next", value);
			return -1;
		}
	} else if (strcmp(key, "consolidator") == 0) {
		if (!units_code_valid(value)) {
			*why = xasprintf("invalid unit code '%s' for key 'consolidator'", value);
			return -1;
		}
		free(d->consolidator);
		d->consolidator = xstrdup(value);
	} else if (strcmp(key, "recipients") == 0) {
		split_list(value, &d->recipients, &d->nrecipients);
	} else if (strcmp(key, "units") == 0) {
		split_list(value, &d->units, &d->nunits);
	} else if (strcmp(key, "exclude_units") == 0) {
		split_list(value, &d->exclude, &d->nexclude);
	} else if (strcmp(key, "reminders") == 0) {
		char **texts = NULL;
		size_t n = 0;
		char *copy = xstrdup(value), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			texts = xrealloc(texts, (n + 1) * sizeof *texts);
			texts[n++] = xstrdup(str_trim(t));
		}
		free(copy);
		free(d->reminders);
		d->reminders = xcalloc(n, sizeof *d->reminders);
		d->nreminders = n;
		for (size_t i = 0; i < n; i++) {
			if (keep_rule(texts[i], &d->reminders[i], why) != 0) {
				free_strings(texts, n);
				return -1;
			}
		}
		free_strings(texts, n);
	} else if (strcmp(key, "first_period") == 0) {
		free(d->first_text);
		d->first_text = xstrdup(value);
	} else if (strcmp(key, "header") == 0) {
		if (strcmp(value, "state") != 0 && strcmp(value, "party") != 0) {
			*why = xasprintf("invalid value '%s' for key 'header': expected state "
					 "(Nghị định 30/2020) or party (Hướng dẫn 36-HD/VPTW)", value);
			return -1;
		}
		free(d->header);
		d->header = xstrdup(value);
	} else {
		*why = xasprintf("unknown key '%s' in section [%s]", key, section);
		return -1;
	}
	return 0;
}

/* Checks each entry of a unit list: codes, "group:NAME" or "all". */
static int check_unit_list(char **v, size_t n, bool allow_groups, const char *key, char **why)
{
	for (size_t i = 0; i < n; i++) {
		if (allow_groups && strcmp(v[i], "all") == 0)
			continue;
		if (allow_groups && strncmp(v[i], "group:", 6) == 0) {
			if (series_name_valid(v[i] + 6))
				continue;
			*why = xasprintf("invalid group '%s' in '%s' (lower-case letters, digits and "
					 "'-', e.g. group:so-nganh)", v[i] + 6, key);
			return -1;
		}
		if (!units_code_valid(v[i])) {
			*why = xasprintf("invalid entry '%s' in '%s' (unit codes%s)", v[i], key,
					 allow_groups ? ", group:NAME or all" : "");
			return -1;
		}
	}
	return 0;
}

/* Checks that a complete section makes sense. */
static int series_check(struct series_def *d, char **why)
{
	char *err = NULL;
	if (d->title == NULL || d->title[0] == '\0')
		*why = xstrdup("the key 'title' is missing");
	else if ((int)d->kind < 0)
		*why = xstrdup("the key 'period' is missing");
	else if (d->consolidator == NULL)
		*why = xstrdup("the key 'consolidator' is missing");
	else if (d->nunits == 0)
		*why = xstrdup("the key 'units' is missing (who must report)");
	else if (d->kind != PERIOD_ADHOC && !d->has_rules)
		*why = xstrdup("the key 'unit_deadline' is missing");
	if (*why)
		return -1;
	if (d->has_rules) {
		if (cal_rule_check(&d->unit_rule, d->kind, &err) != 0) {
			*why = xasprintf("unit_deadline: %s", err);
			free(err);
			return -1;
		}
		if (cal_rule_check(&d->consolidation_rule, d->kind, &err) != 0) {
			*why = xasprintf("consolidation_deadline: %s (or the key is missing)", err);
			free(err);
			return -1;
		}
	}
	for (size_t i = 0; i < d->nreminders; i++) {
		if (cal_rule_check(&d->reminders[i], d->kind, &err) != 0) {
			*why = xasprintf("reminders: %s", err);
			free(err);
			return -1;
		}
	}
	if (check_unit_list(d->units, d->nunits, true, "units", why) != 0 ||
	    check_unit_list(d->exclude, d->nexclude, false, "exclude_units", why) != 0 ||
	    check_unit_list(d->recipients, d->nrecipients, false, "recipients", why) != 0)
		return -1;
	if (d->first_text) {
		if (d->kind == PERIOD_ADHOC ||
		    period_parse(d->kind, d->first_text, &d->first, &err) != 0) {
			*why = d->kind == PERIOD_ADHOC ?
			       xstrdup("first_period: an ad hoc series has no sequence of periods") :
			       xasprintf("first_period: %s", err);
			free(err);
			return -1;
		}
		d->has_first = true;
	}
	if (d->header == NULL)
		d->header = xstrdup("state");
	if (d->source == NULL)
		d->source = xstrdup("");
	return 0;
}

/* Reads a series file. */
int series_load(const char *path, struct series_list *out, char **err)
{
	memset(out, 0, sizeof *out);
	struct series_parse sp = { out, path };
	if (inifile_read(path, series_key, &sp, err) != 0) {
		series_list_free(out);
		return -1;
	}
	for (size_t i = 0; i < out->n; i++) {
		char *why = NULL;
		if (series_check(&out->items[i], &why) != 0) {
			*err = xasprintf("%s:%d: series %s: %s", path, out->items[i].line,
					 out->items[i].name, why);
			free(why);
			series_list_free(out);
			return -1;
		}
	}
	return 0;
}

/* Frees every definition. */
void series_list_free(struct series_list *list)
{
	for (size_t i = 0; i < list->n; i++) {
		struct series_def *d = &list->items[i];
		free(d->name);
		free(d->title);
		free(d->source);
		free(d->consolidator);
		free_strings(d->recipients, d->nrecipients);
		free_strings(d->units, d->nunits);
		free_strings(d->exclude, d->nexclude);
		free(d->reminders);
		free(d->header);
		free(d->first_text);
		free(d->file);
	}
	free(list->items);
	list->items = NULL;
	list->n = 0;
}

/* Finds a series by name. */
const struct series_def *series_find(const struct series_list *list, const char *name)
{
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->items[i].name, name) == 0)
			return &list->items[i];
	return NULL;
}

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
		char buf[CAL_RULE_BUF];
		cal_rule_format(&d->reminders[i], buf);
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
	const char *p[] = { d->name, d->title, period_kind_name(d->kind), unit_rule, cons_rule,
			    cal_shift_name(d->shift), d->consolidator, d->header, rem.data };
	PGresult *r = db_run(c, "series sync",
		"INSERT INTO series AS s (name, title, period_kind, unit_deadline_rule, "
		"  consolidation_deadline_rule, non_working_day, consolidator_unit_id, header_style, "
		"  reminders) "
		"VALUES ($1, $2, $3, $4, $5, $6, (SELECT id FROM unit WHERE code = $7), $8, $9) "
		"ON CONFLICT (name) DO UPDATE SET title = EXCLUDED.title, "
		"  period_kind = EXCLUDED.period_kind, unit_deadline_rule = EXCLUDED.unit_deadline_rule, "
		"  consolidation_deadline_rule = EXCLUDED.consolidation_deadline_rule, "
		"  non_working_day = EXCLUDED.non_working_day, "
		"  consolidator_unit_id = EXCLUDED.consolidator_unit_id, "
		"  header_style = EXCLUDED.header_style, reminders = EXCLUDED.reminders, "
		"  active = true, updated_at = now() "
		"RETURNING id", 9, p, err);
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

/* Writes all definitions in one transaction. */
int series_sync(PGconn *conn, const struct series_list *list, char **err)
{
	PGresult *r = db_run(conn, "series sync", "BEGIN", 0, NULL, err);
	if (r == NULL)
		return 2;
	PQclear(r);
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
		r = db_run(conn, "series sync", "UPDATE series SET active = false, updated_at = now() "
			      "WHERE active AND NOT (name = ANY($1::text[]))", 1, p, err);
		if (r == NULL)
			rc = 2;
		PQclear(r);
	}
	strbuf_free(&names);
	r = PQexec(conn, rc == 0 ? "COMMIT" : "ROLLBACK");
	if (rc == 0 && PQresultStatus(r) != PGRES_COMMAND_OK) {
		*err = xasprintf("series sync: %s", str_trim(PQresultErrorMessage(r)));
		rc = 2;
	}
	PQclear(r);
	return rc;
}
