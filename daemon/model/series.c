/* Report series: their definitions, read from the series file or from the database's copy. */
#include "series.h"
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
	d->ack_by = ACK_RULE_DEFAULT;
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
		d->reminders = xcalloc(n ? n : 1, sizeof *d->reminders);
		d->nreminders = n;
		for (size_t i = 0; i < n; i++) {
			if (reminder_parse(texts[i], &d->reminders[i], why) != 0) {
				free_strings(texts, n);
				return -1;
			}
		}
		free_strings(texts, n);
	} else if (strcmp(key, "first_period") == 0) {
		free(d->first_text);
		d->first_text = xstrdup(value);
	} else if (strcmp(key, "require_document") == 0) {
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
			*why = xasprintf("invalid value '%s' for key 'require_document': expected yes "
					 "or no", value);
			return -1;
		}
		d->require_document = strcmp(value, "yes") == 0;
	} else if (strcmp(key, "ack_by") == 0) {
		return ack_rule_parse(value, &d->ack_by, why);
	} else if (strcmp(key, "require_consolidated_document") == 0) {
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
			*why = xasprintf("invalid value '%s' for key 'require_consolidated_document': "
					 "expected yes or no", value);
			return -1;
		}
		d->require_consolidated_document = strcmp(value, "yes") == 0;
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

/* Checks every definition read; -1 with *err naming the origin and line of a bad one. */
static int series_check_all(const char *origin, struct series_list *out, char **err)
{
	for (size_t i = 0; i < out->n; i++) {
		char *why = NULL;
		if (series_check(&out->items[i], &why) != 0) {
			*err = xasprintf("%s:%d: series %s: %s", origin, out->items[i].line,
					 out->items[i].name, why);
			free(why);
			series_list_free(out);
			return -1;
		}
	}
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
	return series_check_all(path, out, err);
}

/* Reads series definitions held as text. */
int series_parse_text(const char *text, const char *origin, struct series_list *out, char **err)
{
	memset(out, 0, sizeof *out);
	struct series_parse sp = { out, origin };
	if (inifile_read_text(text, origin, series_key, &sp, err) != 0) {
		series_list_free(out);
		return -1;
	}
	return series_check_all(origin, out, err);
}

/* Writes a list of words separated by sep. */
static void add_words(struct strbuf *out, const char *key, char **v, size_t n, const char *sep)
{
	if (n == 0)
		return;
	strbuf_addf(out, "%s = ", key);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(out, "%s%s", i ? sep : "", v[i]);
	strbuf_addc(out, '\n');
}

/* Writes one definition as the keys of its section. */
void series_format(const struct series_def *d, struct strbuf *out)
{
	char rule[CAL_RULE_BUF];
	strbuf_addf(out, "title = %s\n", d->title);
	if (d->source && d->source[0])
		strbuf_addf(out, "source = %s\n", d->source);
	strbuf_addf(out, "period = %s\n", period_kind_name(d->kind));
	if (d->first_text)
		strbuf_addf(out, "first_period = %s\n", d->first_text);
	if (d->has_rules) {
		cal_rule_format(&d->unit_rule, rule);
		strbuf_addf(out, "unit_deadline = %s\n", rule);
		cal_rule_format(&d->consolidation_rule, rule);
		strbuf_addf(out, "consolidation_deadline = %s\n", rule);
	}
	strbuf_addf(out, "non_working_day = %s\n", cal_shift_name(d->shift));
	strbuf_addf(out, "consolidator = %s\n", d->consolidator);
	add_words(out, "recipients", d->recipients, d->nrecipients, " ");
	add_words(out, "units", d->units, d->nunits, " ");
	add_words(out, "exclude_units", d->exclude, d->nexclude, " ");
	if (d->nreminders) {
		strbuf_adds(out, "reminders = ");
		for (size_t i = 0; i < d->nreminders; i++) {
			char text[REMINDER_BUF];
			reminder_format(&d->reminders[i], text);
			strbuf_addf(out, "%s%s", i ? ", " : "", text);
		}
		strbuf_addc(out, '\n');
	}
	strbuf_addf(out, "header = %s\n", d->header);
	if (d->require_document)
		strbuf_adds(out, "require_document = yes\n");
	if (!ack_rule_equal(&d->ack_by, &ACK_RULE_DEFAULT)) {
		char ack[ACK_RULE_BUF];
		ack_rule_format(&d->ack_by, ack);
		strbuf_addf(out, "ack_by = %s\n", ack);
	}
	if (d->require_consolidated_document)
		strbuf_adds(out, "require_consolidated_document = yes\n");
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
