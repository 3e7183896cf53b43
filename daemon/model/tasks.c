/* The task catalogue: errors, folded text, the directory of units and phrases, and resolving
 * a cell that names units (tables are read in tasks_table.c, imported in tasks_import.c). */
#include "tasks.h"
#include "audit.h"
#include "csv.h"
#include "db.h"
#include "json.h"
#include "units.h"
#include "utf8.h"
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

#define TASKS_MAX_ERRORS 200		/* messages kept; the rest are counted */
#define TASKS_MAX_PIECES 500		/* separators in one cell of units */

/* ---- errors ---- */

/* Records one problem. */
void tasks_errors_add(struct tasks_errors *e, const char *fmt, ...)
{
	e->total++;
	if (e->n >= TASKS_MAX_ERRORS)
		return;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	e->msgs = xrealloc(e->msgs, (e->n + 1) * sizeof *e->msgs);
	e->msgs[e->n++] = strbuf_detach(&sb);
}

/* Frees the messages. */
void tasks_errors_free(struct tasks_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msgs[i]);
	free(e->msgs);
	e->msgs = NULL;
	e->n = e->total = 0;
}

/* Joins the messages, one per line. */
char *tasks_errors_join(const struct tasks_errors *e, const char *indent)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < e->n; i++)
		strbuf_addf(&sb, "%s%s%s", i ? "\n" : "", indent, e->msgs[i]);
	if (e->total > e->n)
		strbuf_addf(&sb, "\n%s... and %zu more", indent, e->total - e->n);
	return strbuf_detach(&sb);
}

/* The row a message is about ("line 12: ...", "row 12: ...", "cell C12: ..."), or 0. */
static unsigned long message_row(const char *m)
{
	const char *p = str_has_prefix(m, "line ") ? m + 5 : str_has_prefix(m, "row ") ? m + 4 :
			str_has_prefix(m, "cell ") ? m + 5 : NULL;
	if (p == NULL)
		return 0;
	while (*p >= 'A' && *p <= 'Z')
		p++;
	return strtoul(p, NULL, 10);
}

/* Orders the messages by the row they are about, keeping the order of each row's messages. */
void tasks_errors_sort(struct tasks_errors *e)
{
	for (size_t i = 1; i < e->n; i++) {
		char *m = e->msgs[i];
		unsigned long row = message_row(m);
		size_t k = i;
		while (k > 0 && message_row(e->msgs[k - 1]) > row) {
			e->msgs[k] = e->msgs[k - 1];
			k--;
		}
		e->msgs[k] = m;
	}
}

/* ---- folding with a map back to the text as written ---- */

/* Text folded for matching, and for each byte of it the bytes of the original it came from. */
struct folded {
	char *s;
	size_t len;
	size_t *from;		/* first original byte */
	size_t *to;		/* one past the last original byte */
};

/* Frees a folded text. */
static void folded_free(struct folded *f)
{
	free(f->s);
	free(f->from);
	free(f->to);
	memset(f, 0, sizeof *f);
}

/* Whether the character at p (n bytes) is white space other than a line break. */
static bool is_blank_char(const unsigned char *p, size_t n)
{
	if (n == 1)
		return *p == ' ' || *p == '\t';
	if (n == 2)
		return p[0] == 0xC2 && p[1] == 0xA0;
	if (n == 3)
		return (p[0] == 0xE2 && p[1] == 0x80 && (p[2] <= 0x8A || p[2] == 0xAF)) ||
		       (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80);
	return false;
}

/* Appends one byte of folded text that came from original bytes [from, to). */
static void folded_put(struct folded *f, size_t *cap, char c, size_t from, size_t to)
{
	if (f->len + 2 > *cap) {
		*cap = *cap ? *cap * 2 : 64;
		f->s = xrealloc(f->s, *cap);
		f->from = xrealloc(f->from, *cap * sizeof *f->from);
		f->to = xrealloc(f->to, *cap * sizeof *f->to);
	}
	f->s[f->len] = c;
	f->from[f->len] = from;
	f->to[f->len] = to;
	f->len++;
	f->s[f->len] = '\0';
}

/*
 * Folds text as task_fold() does, and also: a line break becomes ';' (a cell listing one unit
 * per line), and ',', ';' and ':' lose the spaces before them and get exactly one after, so
 * that "a ,b" and "a, b" match. Returns 0, or -1 if text is not UTF-8 text.
 */
static int fold_map(const char *text, struct folded *f)
{
	size_t n = strlen(text), cap = 0;
	memset(f, 0, sizeof *f);
	folded_put(f, &cap, '\0', 0, 0);
	f->len = 0;
	if (!xmltext_valid(text, n))
		return -1;
	const unsigned char *s = (const unsigned char *)text;
	bool pending = false;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_lead_length(s[i]);	/* valid: checked above */
		char one[8];
		char *folded = NULL;
		const char *out;
		if (s[i] == '\n' || s[i] == '\r') {
			out = ";";
		} else if (is_blank_char(s + i, l)) {
			pending = true;
			i += l;
			continue;
		} else if (l == 1) {
			one[0] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
			one[1] = '\0';
			out = one;
		} else {
			memcpy(one, s + i, l);
			one[l] = '\0';
			folded = task_fold(one);
			out = folded ? folded : "";
		}
		if (out[0] != '\0') {
			bool punct = out[1] == '\0' && (out[0] == ',' || out[0] == ';' || out[0] == ':');
			if (pending && !punct && f->len > 0)
				folded_put(f, &cap, ' ', i, i);
			pending = punct;
			for (const char *o = out; *o; o++)
				folded_put(f, &cap, *o, i, i + l);
		}
		free(folded);
		i += l;
	}
	return 0;
}

/* Whether c may end or start a piece being trimmed off: spaces and punctuation. */
static bool is_trim_char(char c)
{
	return c == ' ' || c == ',' || c == ';' || c == ':' || c == '.';
}

/* Trims [*b, *e) of f's spaces and punctuation at both ends. */
static void folded_trim(const struct folded *f, size_t *b, size_t *e)
{
	while (*b < *e && is_trim_char(f->s[*b]))
		(*b)++;
	while (*e > *b && is_trim_char(f->s[*e - 1]))
		(*e)--;
}

/* The original text of folded bytes [b, e), trimmed. */
static char *folded_original(const struct folded *f, const char *text, size_t b, size_t e)
{
	if (b >= e)
		return xstrdup("");
	char *s = xstrndup(text + f->from[b], f->to[e - 1] - f->from[b]);
	return str_trim(s);
}

/* ---- the directory of units and phrases ---- */

enum entry_kind { ENTRY_CODE, ENTRY_NAME, ENTRY_ALIAS };

/* One folded key: a unit's code or name, or an alias phrase. */
struct entry {
	char *key;
	size_t keylen;
	enum entry_kind kind;
	size_t index;		/* into units or aliases */
	bool ambiguous;		/* another unit has the same folded name */
	size_t other;		/* that unit */
};

struct dir_unit {
	char *code, *name, *group;
	bool active;
};

struct dir_alias {
	char *label;		/* the phrase as written */
	char **targets;		/* canonical unit codes and "group:NAME" */
	size_t ntargets;
};

struct tasks_directory {
	struct dir_unit *units;
	size_t nunits;
	struct dir_alias *aliases;
	size_t naliases;
	struct entry *entries;	/* sorted by key (bytes) */
	size_t nentries;
};

/* Makes an empty directory. */
struct tasks_directory *tasks_directory_new(void)
{
	return xcalloc(1, sizeof(struct tasks_directory));
}

/* Frees the directory. */
void tasks_directory_free(struct tasks_directory *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nunits; i++) {
		free(d->units[i].code);
		free(d->units[i].name);
		free(d->units[i].group);
	}
	for (size_t i = 0; i < d->naliases; i++) {
		free(d->aliases[i].label);
		for (size_t k = 0; k < d->aliases[i].ntargets; k++)
			free(d->aliases[i].targets[k]);
		free(d->aliases[i].targets);
	}
	for (size_t i = 0; i < d->nentries; i++)
		free(d->entries[i].key);
	free(d->units);
	free(d->aliases);
	free(d->entries);
	free(d);
}

/* Compares two byte strings like strcmp. */
static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* The position of key in the sorted entries; *found says whether it is there. */
static size_t entry_find(const struct tasks_directory *d, const char *key, size_t len,
			 bool *found)
{
	size_t lo = 0, hi = d->nentries;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = bytes_cmp(d->entries[mid].key, d->entries[mid].keylen, key, len);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* The directory key of a text: folded and trimmed; NULL if it is not text or folds to "". */
static char *make_key(const char *text)
{
	struct folded f;
	if (fold_map(text, &f) != 0) {
		folded_free(&f);
		return NULL;
	}
	size_t b = 0, e = f.len;
	folded_trim(&f, &b, &e);
	char *key = b < e ? xstrndup(f.s + b, e - b) : NULL;
	folded_free(&f);
	return key;
}

/* Inserts a key; a unit name already there becomes ambiguous. Takes key. */
static void entry_insert(struct tasks_directory *d, char *key, enum entry_kind kind, size_t index)
{
	bool found;
	size_t len = strlen(key);
	size_t pos = entry_find(d, key, len, &found);
	if (found) {
		d->entries[pos].ambiguous = true;
		d->entries[pos].other = index;
		free(key);
		return;
	}
	d->entries = xrealloc(d->entries, (d->nentries + 1) * sizeof *d->entries);
	memmove(d->entries + pos + 1, d->entries + pos, (d->nentries - pos) * sizeof *d->entries);
	d->entries[pos] = (struct entry){ key, len, kind, index, false, 0 };
	d->nentries++;
}

/* The unit with that code (any case), or -1. */
static long unit_by_code(const struct tasks_directory *d, const char *code)
{
	for (size_t i = 0; i < d->nunits; i++)
		if (strcasecmp(d->units[i].code, code) == 0)
			return (long)i;
	return -1;
}

/* Whether some unit belongs to the group. */
static bool group_exists(const struct tasks_directory *d, const char *group)
{
	for (size_t i = 0; i < d->nunits; i++)
		if (strcmp(d->units[i].group, group) == 0)
			return true;
	return false;
}

/* Adds a unit. */
int tasks_directory_add_unit(struct tasks_directory *d, const char *code, const char *name,
			     const char *group, bool active, char **err)
{
	if (!units_code_valid(code)) {
		*err = xasprintf("invalid unit code '%s'", code);
		return -1;
	}
	if (unit_by_code(d, code) >= 0) {
		*err = xasprintf("unit code %s appears twice", code);
		return -1;
	}
	char *name_key = make_key(name);
	if (name_key == NULL) {
		*err = xasprintf("unit %s: the name is not UTF-8 text", code);
		return -1;
	}
	d->units = xrealloc(d->units, (d->nunits + 1) * sizeof *d->units);
	d->units[d->nunits] = (struct dir_unit){ xstrdup(code), xstrdup(name), xstrdup(group),
						 active };
	entry_insert(d, make_key(code), ENTRY_CODE, d->nunits);
	entry_insert(d, name_key, ENTRY_NAME, d->nunits);
	d->nunits++;
	return 0;
}

/* Describes what an entry already stands for, for an error message. */
static char *entry_describe(const struct tasks_directory *d, const struct entry *en)
{
	switch (en->kind) {
	case ENTRY_CODE:
		return xasprintf("the code of unit %s", d->units[en->index].code);
	case ENTRY_NAME:
		return xasprintf("the name of unit %s", d->units[en->index].code);
	case ENTRY_ALIAS:
		break;
	}
	return xasprintf("the phrase '%s' already", d->aliases[en->index].label);
}

/* Adds an alias phrase. */
int tasks_directory_add_alias(struct tasks_directory *d, const char *phrase,
			      const char *const *targets, size_t ntargets, char **err)
{
	char *key = make_key(phrase);
	if (key == NULL) {
		*err = xasprintf("the phrase '%s' is empty or not UTF-8 text", phrase);
		return -1;
	}
	bool found;
	size_t pos = entry_find(d, key, strlen(key), &found);
	if (found) {
		char *what = entry_describe(d, &d->entries[pos]);
		*err = xasprintf("the phrase '%s' is %s", phrase, what);
		free(what);
		free(key);
		return -1;
	}
	struct dir_alias a = { xstrdup(phrase), NULL, 0 };
	struct strbuf bad = STRBUF_INIT;
	for (size_t i = 0; i < ntargets; i++) {
		char *t;
		if (strncmp(targets[i], "group:", 6) == 0) {
			if (!group_exists(d, targets[i] + 6)) {
				strbuf_addf(&bad, "%sno unit is in group '%s'", bad.len ? "; " : "",
					    targets[i] + 6);
				continue;
			}
			t = xstrdup(targets[i]);
		} else {
			long u = unit_by_code(d, targets[i]);
			if (u < 0) {
				strbuf_addf(&bad, "%sno unit has the code '%s'", bad.len ? "; " : "",
					    targets[i]);
				continue;
			}
			t = xstrdup(d->units[u].code);
		}
		bool dup = false;
		for (size_t k = 0; k < a.ntargets; k++)
			dup = dup || strcmp(a.targets[k], t) == 0;
		if (dup) {
			free(t);
			continue;
		}
		a.targets = xrealloc(a.targets, (a.ntargets + 1) * sizeof *a.targets);
		a.targets[a.ntargets++] = t;
	}
	if (bad.len > 0) {
		*err = xasprintf("the phrase '%s': %s", phrase, strbuf_str(&bad));
		strbuf_free(&bad);
		for (size_t k = 0; k < a.ntargets; k++)
			free(a.targets[k]);
		free(a.targets);
		free(a.label);
		free(key);
		return -1;
	}
	d->aliases = xrealloc(d->aliases, (d->naliases + 1) * sizeof *d->aliases);
	d->aliases[d->naliases] = a;
	entry_insert(d, key, ENTRY_ALIAS, d->naliases);
	d->naliases++;
	return 0;
}

/* ---- resolving a cell ---- */

/* Frees the codes. */
void tasks_units_free(struct tasks_units *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->codes[i]);
	free(u->codes);
	u->codes = NULL;
	u->n = 0;
}

/* Whether code is among the units. */
bool tasks_units_has(const struct tasks_units *u, const char *code)
{
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->codes[i], code) == 0)
			return true;
	return false;
}

/* Adds a code unless it is there already. */
void tasks_units_add(struct tasks_units *u, const char *code)
{
	if (tasks_units_has(u, code))
		return;
	u->codes = xrealloc(u->codes, (u->n + 1) * sizeof *u->codes);
	u->codes[u->n++] = xstrdup(code);
}

/* A separator between pieces of a cell: [s, e) of the folded text. */
struct sep_run {
	size_t s, e;
	bool strong;		/* holds ';' (or a line break): unknown text never spans it */
};

/* Whether the folded byte at i is part of a word (ASCII letter or digit, or non-ASCII). */
static bool word_byte(const char *s, size_t i, size_t e)
{
	if (i >= e)
		return false;
	unsigned char c = (unsigned char)s[i];
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Whether the word "va" (folded "và") stands at i of s[b, e). */
static bool word_va(const char *s, size_t i, size_t b, size_t e)
{
	return i + 2 <= e && s[i] == 'v' && s[i + 1] == 'a' && !(i > b && word_byte(s, i - 1, e)) &&
	       !word_byte(s, i + 2, e);
}

/* Finds the separators of s[b, e): runs of spaces, ',', ';' and "va" holding one of the last three. */
static size_t find_separators(const char *s, size_t b, size_t e, struct sep_run **out)
{
	size_t n = 0;
	*out = NULL;
	for (size_t i = b; i < e;) {
		if (s[i] != ' ' && s[i] != ',' && s[i] != ';' && !word_va(s, i, b, e)) {
			i++;
			continue;
		}
		size_t j = i;
		bool real = false, strong = false;
		for (;;) {
			if (j < e && s[j] == ' ') {
				j++;
			} else if (j < e && (s[j] == ',' || s[j] == ';')) {
				strong = strong || s[j] == ';';
				real = true;
				j++;
			} else if (word_va(s, j, b, e)) {
				real = true;
				j += 2;
			} else {
				break;
			}
		}
		if (real && i > b && j < e) {
			*out = xrealloc(*out, (n + 1) * sizeof **out);
			(*out)[n++] = (struct sep_run){ i, j, strong };
		}
		i = j;
	}
	return n;
}

/* The best way found to reach a piece start: unknown bytes, then pieces, the fewer the better. */
struct reach {
	bool ok;
	size_t unknown;
	size_t pieces;
	size_t prev;		/* the start index the last piece began at */
	long entry;		/* its directory entry, or -1 for unknown text */
};

/* Appends the codes an entry stands for; appends problems to bad. */
static void expand_entry(const struct tasks_directory *d, const struct entry *en,
			 const char *written, bool allow_none, struct tasks_units *out,
			 struct strbuf *bad)
{
	const char *sep = bad->len ? "; " : "";
	if (en->kind != ENTRY_ALIAS) {
		const struct dir_unit *u = &d->units[en->index];
		if (en->ambiguous) {
			strbuf_addf(bad, "%s'%s' is the name of several units (%s, %s): write the "
				    "code instead", sep, written, u->code, d->units[en->other].code);
		} else if (!u->active) {
			strbuf_addf(bad, "%s'%s' is unit %s, which is inactive", sep, written, u->code);
		} else {
			tasks_units_add(out, u->code);
		}
		return;
	}
	const struct dir_alias *a = &d->aliases[en->index];
	if (a->ntargets == 0 && !allow_none) {
		strbuf_addf(bad, "%s'%s' names no particular unit, so it cannot lead a task", sep,
			    written);
		return;
	}
	for (size_t t = 0; t < a->ntargets; t++) {
		if (strncmp(a->targets[t], "group:", 6) == 0) {
			for (size_t i = 0; i < d->nunits; i++)
				if (d->units[i].active &&
				    strcmp(d->units[i].group, a->targets[t] + 6) == 0)
					tasks_units_add(out, d->units[i].code);
			continue;
		}
		long u = unit_by_code(d, a->targets[t]);
		if (u >= 0 && d->units[u].active) {
			tasks_units_add(out, d->units[u].code);
		} else {
			strbuf_addf(bad, "%sthe phrase '%s' names unit %s, which is %s: update the "
				    "alias", bad->len ? "; " : "", written, a->targets[t],
				    u < 0 ? "unknown" : "inactive");
		}
	}
}

/* Resolves one cell of units. */
int tasks_resolve(const struct tasks_directory *d, const char *cell, bool allow_none,
		  struct tasks_units *out, char **err)
{
	memset(out, 0, sizeof *out);
	struct folded f;
	if (fold_map(cell, &f) != 0) {
		folded_free(&f);
		*err = xstrdup("the text is not valid UTF-8 text");
		return -1;
	}
	size_t b = 0, e = f.len;
	folded_trim(&f, &b, &e);
	if (b >= e) {
		folded_free(&f);
		return 0;
	}
	struct sep_run *runs;
	size_t k = find_separators(f.s, b, e, &runs);
	if (k > TASKS_MAX_PIECES) {
		free(runs);
		folded_free(&f);
		*err = xasprintf("more than %d units in one cell", TASKS_MAX_PIECES);
		return -1;
	}
	/* piece a..bb starts at S(a) and ends at E(bb): S(0) = b, S(i+1) = runs[i].e;
	 * E(i) = runs[i].s, E(k) = e. reach[i] is for the start S(i); reach[k+1] is the end. */
	struct reach *best = xcalloc(k + 2, sizeof *best);
	best[0].ok = true;
	for (size_t a = 0; a <= k; a++) {
		if (!best[a].ok)
			continue;
		size_t start = a == 0 ? b : runs[a - 1].e;
		size_t sep_bytes = 0;
		bool strong = false;
		for (size_t bb = a; bb <= k; bb++) {
			if (bb > a) {
				sep_bytes += runs[bb - 1].e - runs[bb - 1].s;
				strong = strong || runs[bb - 1].strong;
			}
			size_t end = bb == k ? e : runs[bb].s;
			bool found;
			size_t pos = entry_find(d, f.s + start, end - start, &found);
			if (!found && strong)
				continue;
			struct reach r = { true, best[a].unknown, best[a].pieces + 1, a,
					   found ? (long)pos : -1 };
			if (!found)
				r.unknown += end - start - sep_bytes;
			struct reach *to = &best[bb + 1];
			if (!to->ok || r.unknown < to->unknown ||
			    (r.unknown == to->unknown && r.pieces < to->pieces))
				*to = r;
		}
	}
	/* Walk back from the end to list the pieces in order. */
	size_t npieces = best[k + 1].pieces, i = k + 1;
	size_t *piece_end = xmalloc(npieces * sizeof *piece_end);
	size_t *piece_start = xmalloc(npieces * sizeof *piece_start);
	long *piece_entry = xmalloc(npieces * sizeof *piece_entry);
	for (size_t p = npieces; p > 0; p--) {
		size_t a = best[i].prev;
		piece_start[p - 1] = a == 0 ? b : runs[a - 1].e;
		piece_end[p - 1] = i - 1 == k ? e : runs[i - 1].s;
		piece_entry[p - 1] = best[i].entry;
		i = a;
	}
	struct strbuf bad = STRBUF_INIT;
	if (best[k + 1].unknown > 0) {
		size_t nunknown = 0;
		for (size_t p = 0; p < npieces; p++)
			nunknown += piece_entry[p] < 0;
		strbuf_addf(&bad, "unknown unit%s ", nunknown > 1 ? "s" : "");
		size_t shown = 0;
		for (size_t p = 0; p < npieces; p++) {
			if (piece_entry[p] >= 0)
				continue;
			char *w = folded_original(&f, cell, piece_start[p], piece_end[p]);
			strbuf_addf(&bad, "%s'%s'", shown++ ? ", " : "", w);
			free(w);
		}
		strbuf_adds(&bad, " (not the name or code of a unit, nor a phrase of the "
			    "unit_alias table: add it with baocaoctl import aliases)");
	} else {
		for (size_t p = 0; p < npieces; p++) {
			char *w = folded_original(&f, cell, piece_start[p], piece_end[p]);
			expand_entry(d, &d->entries[piece_entry[p]], w, allow_none, out, &bad);
			free(w);
		}
	}
	free(piece_start);
	free(piece_end);
	free(piece_entry);
	free(best);
	free(runs);
	folded_free(&f);
	if (bad.len > 0) {
		tasks_units_free(out);
		*err = strbuf_detach(&bad);
		return -1;
	}
	return 0;
}

/* The targets of the directory's i-th alias, in canonical form (unit codes, "group:NAME"). */
const char *const *tasks_directory_alias_targets(const struct tasks_directory *d, size_t i,
						 size_t *n)
{
	*n = d->aliases[i].ntargets;
	return (const char *const *)d->aliases[i].targets;
}
