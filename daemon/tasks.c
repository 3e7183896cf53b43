/* The task catalogue: the plans' task tables (CSV or .xlsx), the units they name, the import. */
#include "tasks.h"
#include "audit.h"
#include "csv.h"
#include "db.h"
#include "json.h"
#include "units.h"
#include "util.h"
#include "xlsx_read.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TASKS_MAX_ROWS 20000		/* rows of a table, headings and blank rows included */
#define TASKS_MAX_COLS 64		/* columns looked at; cells further right are ignored */
#define TASKS_MAX_ERRORS 200		/* messages kept; the rest are counted */
#define TASKS_HEADER_ROWS 30		/* rows searched for the header */
#define TASKS_MAX_PIECES 500		/* separators in one cell of units */

/* ---- errors ---- */

/* Records one problem. */
static void errors_add(struct tasks_errors *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void errors_add(struct tasks_errors *e, const char *fmt, ...)
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
static void errors_sort(struct tasks_errors *e)
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

/* Length of the UTF-8 sequence led by byte c (the text is known to be valid). */
static size_t utf8_seq_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
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
	if (!utf8_valid_text(text, n))
		return -1;
	const unsigned char *s = (const unsigned char *)text;
	bool pending = false;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_seq_len(s[i]);
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
static bool units_has(const struct tasks_units *u, const char *code)
{
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->codes[i], code) == 0)
			return true;
	return false;
}

/* Adds a code unless it is there already. */
static void units_add(struct tasks_units *u, const char *code)
{
	if (units_has(u, code))
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
			units_add(out, u->code);
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
					units_add(out, d->units[i].code);
			continue;
		}
		long u = unit_by_code(d, a->targets[t]);
		if (u >= 0 && d->units[u].active) {
			units_add(out, d->units[u].code);
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

/* ---- reading the grid of cells ---- */

struct grid_row {
	uint32_t num;		/* CSV line or worksheet row */
	char **cells;		/* by column, 0-based; NULL for an empty cell */
	size_t ncells;
};

struct grid {
	struct grid_row *rows;
	size_t n;
	bool xlsx;
	bool too_many;
};

/* Frees the grid. */
static void grid_free(struct grid *g)
{
	for (size_t i = 0; i < g->n; i++) {
		for (size_t c = 0; c < g->rows[i].ncells; c++)
			free(g->rows[i].cells[c]);
		free(g->rows[i].cells);
	}
	free(g->rows);
}

/* The row numbered num, made if needed; NULL when the grid is full. */
static struct grid_row *grid_row_at(struct grid *g, uint32_t num)
{
	size_t pos = g->n;
	while (pos > 0 && g->rows[pos - 1].num > num)
		pos--;
	if (pos > 0 && g->rows[pos - 1].num == num)
		return &g->rows[pos - 1];
	if (g->n >= TASKS_MAX_ROWS) {
		g->too_many = true;
		return NULL;
	}
	g->rows = xrealloc(g->rows, (g->n + 1) * sizeof *g->rows);
	memmove(g->rows + pos + 1, g->rows + pos, (g->n - pos) * sizeof *g->rows);
	g->rows[pos] = (struct grid_row){ num, NULL, 0 };
	g->n++;
	return &g->rows[pos];
}

/* Sets a cell; takes text. */
static void grid_set(struct grid_row *r, size_t col, char *text)
{
	if (col >= r->ncells) {
		r->cells = xrealloc(r->cells, (col + 1) * sizeof *r->cells);
		for (size_t c = r->ncells; c <= col; c++)
			r->cells[c] = NULL;
		r->ncells = col + 1;
	}
	free(r->cells[col]);
	r->cells[col] = text;
}

/* Keeps one CSV record as a row. */
static int grid_csv_record(void *arg, char **fields, int nfields, int line)
{
	struct grid *g = arg;
	struct grid_row *r = grid_row_at(g, (uint32_t)line);
	if (r == NULL)
		return 1;
	for (int i = 0; i < nfields; i++)
		grid_set(r, (size_t)i, xstrdup(fields[i]));
	return 0;
}

/* Keeps one worksheet cell, as text. */
static bool grid_xlsx_cell(const struct xlsx_cell *c, void *arg)
{
	struct grid *g = arg;
	if (c->col > TASKS_MAX_COLS)
		return true;
	char *text;
	switch (c->type) {
	case XLSX_STRING:
	case XLSX_ERROR:
		text = xstrndup(c->str, c->len);
		break;
	case XLSX_NUMBER:
		if (c->num == floor(c->num) && fabs(c->num) < 1e15)
			text = xasprintf("%.0f", c->num);
		else
			text = xasprintf("%.15g", c->num);
		break;
	case XLSX_DATE:
		text = xasprintf("%02d/%02d/%04d", c->dt.day, c->dt.month, c->dt.year);
		break;
	case XLSX_BOOL:
		text = xstrdup(c->boolean ? "TRUE" : "FALSE");
		break;
	default:
		return true;
	}
	struct grid_row *r = grid_row_at(g, c->row);
	if (r == NULL) {
		free(text);
		return false;
	}
	grid_set(r, c->col - 1, text);
	return true;
}

/* Reads the first visible worksheet of a workbook; returns 0 or -1 with errs. */
static int grid_read_xlsx(const void *data, size_t len, struct grid *g, char **sheet,
			  struct tasks_errors *errs)
{
	struct xlsx *x = NULL;
	char *detail = NULL;
	enum xlsx_error xe = xlsx_open_memory(data, len, NULL, &x, &detail);
	if (xe != XLSX_OK) {
		errors_add(errs, "cannot read the workbook: %s (%s)", xlsx_error_message(xe),
			   detail ? detail : xlsx_error_code(xe));
		free(detail);
		return -1;
	}
	size_t n = xlsx_sheet_count(x), i;
	for (i = 0; i < n; i++)
		if (xlsx_sheet_state(x, i) == XLSX_VISIBLE && xlsx_sheet_kind(x, i) == XLSX_WORKSHEET)
			break;
	if (i == n) {
		errors_add(errs, "the workbook has no visible worksheet");
		xlsx_close(x);
		return -1;
	}
	*sheet = xstrdup(xlsx_sheet_name(x, i));
	xe = xlsx_sheet_read(x, i, grid_xlsx_cell, g);
	int rc = 0;
	if (g->too_many) {
		errors_add(errs, "sheet '%s': more than %d rows", *sheet, TASKS_MAX_ROWS);
		rc = -1;
	} else if (xe != XLSX_OK) {
		errors_add(errs, "sheet '%s': %s (%s)", *sheet, xlsx_error_message(xe),
			   xlsx_detail(x));
		rc = -1;
	}
	xlsx_close(x);
	return rc;
}

/* Reads CSV text; returns 0 or -1 with errs. */
static int grid_read_csv(const char *data, size_t len, struct grid *g, struct tasks_errors *errs)
{
	if (!utf8_valid_text(data, len)) {
		errors_add(errs, "the file is neither an .xlsx workbook nor UTF-8 text; save it as "
			   "\"CSV UTF-8\" or as an Excel workbook (.xlsx)");
		return -1;
	}
	int bad_line = 0;
	int rc = csv_parse(data, len, grid_csv_record, g, &bad_line);
	if (rc == -1) {
		errors_add(errs, "line %d: malformed CSV (a quote that is not closed, or a quote "
			   "inside an unquoted field)", bad_line);
		return -1;
	}
	if (g->too_many) {
		errors_add(errs, "more than %d lines", TASKS_MAX_ROWS);
		return -1;
	}
	return 0;
}

/* ---- from the grid to tasks ---- */

enum col { COL_TT, COL_CONTENT, COL_LEAD, COL_COOP, COL_RESULT, COL_DEADLINE, COL_CODE, NCOLS };

/* The columns' titles as the appendices write them, for messages. */
static const char *const col_title[NCOLS] = {
	"TT", "Nội dung", "Cơ quan chủ trì", "Cơ quan phối hợp", "Kết quả",
	"Thời gian hoàn thành", "Mã nhiệm vụ",
};

/* Folded titles that name each column. */
static const struct {
	const char *folded;
	enum col col;
} header_titles[] = {
	{ "tt", COL_TT }, { "stt", COL_TT }, { "so tt", COL_TT },
	{ "noi dung", COL_CONTENT }, { "noi dung nhiem vu", COL_CONTENT },
	{ "nhiem vu", COL_CONTENT }, { "ten nhiem vu", COL_CONTENT },
	{ "co quan chu tri", COL_LEAD }, { "don vi chu tri", COL_LEAD }, { "chu tri", COL_LEAD },
	{ "co quan phoi hop", COL_COOP }, { "don vi phoi hop", COL_COOP }, { "phoi hop", COL_COOP },
	{ "ket qua", COL_RESULT }, { "san pham", COL_RESULT }, { "ket qua du kien", COL_RESULT },
	{ "san pham du kien", COL_RESULT }, { "ket qua/san pham", COL_RESULT },
	{ "ket qua, san pham", COL_RESULT }, { "san pham, ket qua", COL_RESULT },
	{ "thoi gian hoan thanh", COL_DEADLINE }, { "thoi han hoan thanh", COL_DEADLINE },
	{ "thoi gian thuc hien", COL_DEADLINE }, { "thoi han", COL_DEADLINE },
	{ "ma nhiem vu", COL_CODE }, { "ma", COL_CODE }, { "ma so", COL_CODE },
};

/* The column a header cell names, or -1. */
static int header_col(const char *cell)
{
	char *f = task_fold(cell);
	if (f == NULL)
		return -1;
	size_t n = strlen(f);
	while (n > 0 && (f[n - 1] == ':' || f[n - 1] == '.' || f[n - 1] == '*' || f[n - 1] == ' '))
		f[--n] = '\0';
	int col = -1;
	for (size_t i = 0; i < nitems(header_titles); i++)
		if (strcmp(f, header_titles[i].folded) == 0)
			col = (int)header_titles[i].col;
	free(f);
	return col;
}

/* The text of a cell; "" for an empty or missing one. */
static const char *cell_at(const struct grid_row *r, int col)
{
	if (col < 0 || (size_t)col >= r->ncells || r->cells[col] == NULL)
		return "";
	return r->cells[col];
}

/* A copy of text with surrounding white space trimmed and inner runs made one space. */
static char *squash(const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	bool space = false;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		bool blank = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
		if (!blank && p[0] == 0xC2 && p[1] == 0xA0) {
			blank = true;
			p++;
		}
		if (blank) {
			space = true;
			continue;
		}
		if (space && sb.len > 0)
			strbuf_addc(&sb, ' ');
		space = false;
		strbuf_addc(&sb, (char)*p);
	}
	return strbuf_detach(&sb);
}

/* Whether s is a Roman numeral from I to XXXIX (upper or lower case), after a final '.'. */
static bool is_roman(const char *s)
{
	char buf[16];
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof buf)
		return false;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i]);
	buf[n] = '\0';
	if (buf[n - 1] == '.')
		buf[--n] = '\0';
	if (n == 0)
		return false;
	const char *p = buf;
	for (int tens = 0; *p == 'X' && tens < 3; tens++)
		p++;
	static const char *const ones[] = { "IX", "VIII", "VII", "VI", "V", "IV", "III", "II",
					    "I", "" };
	for (size_t i = 0; i < nitems(ones); i++) {
		size_t l = strlen(ones[i]);
		if (strncmp(p, ones[i], l) == 0 && p[l] == '\0')
			return p != buf || l > 0;
	}
	return false;
}

/* Whether a row only numbers the columns: "1", "2", ... or "(1)", "(2)", ... */
static bool is_column_numbers(const struct grid_row *r)
{
	size_t numbers = 0;
	for (size_t c = 0; c < r->ncells; c++) {
		const char *s = r->cells[c];
		if (s == NULL)
			continue;
		while (*s == ' ')
			s++;
		if (*s == '\0')
			continue;
		bool paren = *s == '(';
		s += paren;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
		if (paren && *s++ != ')')
			return false;
		while (*s == ' ')
			s++;
		if (*s != '\0')
			return false;
		numbers++;
	}
	return numbers >= 3;
}

/* Whether a task code has the allowed form (the schema's check). */
static bool code_valid(const char *code)
{
	size_t n = strlen(code);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = code[i];
		bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

/* Where a row is, for messages. */
static char *row_where(const struct grid *g, const struct grid_row *r)
{
	return xasprintf(g->xlsx ? "row %u" : "line %u", r->num);
}

/* Where a cell is, for messages: its reference in a workbook, its line in CSV. */
static char *cell_where(const struct grid *g, const struct grid_row *r, int col)
{
	if (!g->xlsx || col < 0)
		return row_where(g, r);
	char ref[XLSX_REF_MAX];
	xlsx_ref_format(r->num, (uint32_t)col + 1, ref);
	return xasprintf("cell %s", ref);
}

/* Appends more text to a field, after a space. */
static void append_text(char **field, const char *more)
{
	if (more[0] == '\0')
		return;
	char *joined = (*field)[0] ? xasprintf("%s %s", *field, more) : xstrdup(more);
	free(*field);
	*field = joined;
}

/* Frees one task. */
static void task_free(struct tasks_task *t)
{
	free(t->code);
	free(t->tt);
	free(t->section);
	free(t->title);
	free(t->lead_text);
	free(t->coop_text);
	free(t->result);
	free(t->deadline_text);
	free(t->where);
	free(t->lead_where);
	free(t->coop_where);
	tasks_units_free(&t->leads);
	tasks_units_free(&t->coops);
}

/* Frees the table. */
void tasks_table_free(struct tasks_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		task_free(&t->tasks[i]);
	free(t->tasks);
	free(t->sheet);
	memset(t, 0, sizeof *t);
}

/* What the rows under the header are turned into. */
struct table_reader {
	const struct grid *g;
	int col[NCOLS];
	size_t header_cols;	/* columns the header spans */
	struct tasks_table *out;
	struct tasks_errors *errs;
	char *roman;		/* the current section's numeral, or NULL */
	char *heading;		/* its title */
	enum { LAST_NONE, LAST_HEADING, LAST_TASK } last;
	bool last_ok;		/* the last task was kept (a continuation goes to it) */
};

/* The section text of the current heading: "I. Hoàn thiện ...". */
static char *section_text(const struct table_reader *tr)
{
	if (tr->roman == NULL)
		return xstrdup("");
	if (tr->heading == NULL || tr->heading[0] == '\0')
		return xstrdup(tr->roman);
	return xasprintf("%s. %s", tr->roman, tr->heading);
}

/* Turns the cells of one task row into a task; problems go to errs. */
static void read_task(struct table_reader *tr, const struct grid_row *r, const char *tt)
{
	const struct grid *g = tr->g;
	struct tasks_task t = { 0 };
	t.where = row_where(g, r);
	t.tt = xstrdup(tt);
	size_t n = strlen(t.tt);
	while (n > 0 && (t.tt[n - 1] == '.' || t.tt[n - 1] == ')'))
		t.tt[--n] = '\0';
	t.section = section_text(tr);
	t.title = squash(cell_at(r, tr->col[COL_CONTENT]));
	/* Units keep their line breaks: a cell may list one unit per line. */
	t.lead_text = str_trim(xstrdup(cell_at(r, tr->col[COL_LEAD])));
	t.coop_text = str_trim(xstrdup(cell_at(r, tr->col[COL_COOP])));
	t.result = squash(cell_at(r, tr->col[COL_RESULT]));
	t.deadline_text = squash(cell_at(r, tr->col[COL_DEADLINE]));
	t.lead_where = cell_where(g, r, tr->col[COL_LEAD]);
	t.coop_where = cell_where(g, r, tr->col[COL_COOP]);
	t.ordinal = (int)tr->out->n + 1;
	bool ok = true;

	char *code = squash(cell_at(r, tr->col[COL_CODE]));
	if (code[0] == '\0') {
		free(code);
		if (t.tt[0] == '\0') {
			errors_add(tr->errs, "%s: the task has neither a TT nor a %s", t.where,
				   col_title[COL_CODE]);
			code = xstrdup("");
			ok = false;
		} else if (tr->roman != NULL && !is_roman(t.tt)) {
			code = xasprintf("%s.%s", tr->roman, t.tt);
		} else {
			code = xstrdup(t.tt);
		}
		if (ok && !code_valid(code)) {
			errors_add(tr->errs, "%s: TT '%s' does not make a task code (letters, digits, "
				   "'.', '_' and '-'): add a %s column", t.where, tt,
				   col_title[COL_CODE]);
			ok = false;
		}
	} else if (!code_valid(code)) {
		char *w = cell_where(g, r, tr->col[COL_CODE]);
		errors_add(tr->errs, "%s: invalid task code '%s' (a letter or digit, then letters, "
			   "digits, '.', '_' and '-', at most 64)", w, code);
		free(w);
		ok = false;
	}
	t.code = code;
	char *task = code[0] ? xasprintf("task %s", code) : xstrdup("the task");
	for (size_t i = 0; ok && i < tr->out->n; i++) {
		if (strcmp(tr->out->tasks[i].code, code) == 0) {
			errors_add(tr->errs, "%s: task code %s is already used on %s", t.where, code,
				   tr->out->tasks[i].where);
			ok = false;
		}
	}
	if (t.title[0] == '\0') {
		errors_add(tr->errs, "%s: %s: %s is empty", t.where, task, col_title[COL_CONTENT]);
		ok = false;
	}
	if (t.lead_text[0] == '\0') {
		errors_add(tr->errs, "%s: %s: %s is empty", t.lead_where, task, col_title[COL_LEAD]);
		ok = false;
	}
	free(task);
	tr->last = LAST_TASK;
	tr->last_ok = ok;
	if (!ok) {
		task_free(&t);
		return;
	}
	tr->out->tasks = xrealloc(tr->out->tasks, (tr->out->n + 1) * sizeof *tr->out->tasks);
	tr->out->tasks[tr->out->n++] = t;
}

/* Checks the deadline texts once continuation rows have completed them. */
static void read_deadlines(struct table_reader *tr)
{
	for (size_t i = 0; i < tr->out->n; i++) {
		struct tasks_task *t = &tr->out->tasks[i];
		if (t->deadline_text[0] == '\0') {
			errors_add(tr->errs, "%s: task %s: %s is empty (write \"Thường xuyên\" for an "
				   "ongoing task)", t->where, t->code, col_title[COL_DEADLINE]);
			continue;
		}
		char *err = NULL;
		if (task_deadline_parse(t->deadline_text, &t->deadline, &err) != 0) {
			errors_add(tr->errs, "%s: task %s: %s: %s", t->where, t->code,
				   col_title[COL_DEADLINE], err);
			free(err);
		}
	}
}

/* Finds the header row; returns its index, or -1 after reporting why not. */
static long find_header(struct table_reader *tr)
{
	const struct grid *g = tr->g;
	for (size_t i = 0; i < g->n && i < TASKS_HEADER_ROWS; i++) {
		const struct grid_row *r = &g->rows[i];
		int col[NCOLS], matched = 0;
		for (int c = 0; c < NCOLS; c++)
			col[c] = -1;
		for (size_t c = 0; c < r->ncells; c++) {
			int which = r->cells[c] ? header_col(r->cells[c]) : -1;
			if (which >= 0 && col[which] < 0) {
				col[which] = (int)c;
				matched++;
			}
		}
		if (matched < 3)
			continue;
		char *w = row_where(g, r);
		int missing = 0;
		for (int c = 0; c < NCOLS; c++) {
			if (c != COL_CODE && col[c] < 0) {
				errors_add(tr->errs, "%s: the header has no column '%s'", w,
					   col_title[c]);
				missing++;
			}
		}
		for (size_t c = 0; c < r->ncells; c++) {
			int which = r->cells[c] ? header_col(r->cells[c]) : -1;
			if (which >= 0 && col[which] != (int)c) {
				errors_add(tr->errs, "%s: the column '%s' appears twice", w,
					   col_title[which]);
				missing++;
			}
		}
		free(w);
		if (missing)
			return -1;
		memcpy(tr->col, col, sizeof col);
		tr->header_cols = r->ncells;
		return (long)i;
	}
	errors_add(tr->errs, "no header row: the table needs the columns TT, Nội dung, Cơ quan chủ "
		   "trì, Cơ quan phối hợp, Kết quả and Thời gian hoàn thành (and optionally Mã "
		   "nhiệm vụ) in one of its first %d rows", TASKS_HEADER_ROWS);
	return -1;
}

/* Reads one row under the header. */
static void read_row(struct table_reader *tr, const struct grid_row *r)
{
	const struct grid *g = tr->g;
	bool empty = true;
	for (size_t c = 0; c < r->ncells; c++) {
		if (r->cells[c] == NULL)
			continue;
		char *s = squash(r->cells[c]);
		bool blank = s[0] == '\0';
		free(s);
		if (blank)
			continue;
		empty = false;
		if (!g->xlsx && c >= tr->header_cols) {
			char *w = row_where(g, r);
			errors_add(tr->errs, "%s: more fields than the header has (quote a cell that "
				   "contains a comma)", w);
			free(w);
			return;
		}
	}
	if (empty || is_column_numbers(r))
		return;
	char *tt = squash(cell_at(r, tr->col[COL_TT]));
	char *lead = squash(cell_at(r, tr->col[COL_LEAD]));
	char *coop = squash(cell_at(r, tr->col[COL_COOP]));
	char *result = squash(cell_at(r, tr->col[COL_RESULT]));
	char *deadline = squash(cell_at(r, tr->col[COL_DEADLINE]));
	char *code = squash(cell_at(r, tr->col[COL_CODE]));
	char *content = squash(cell_at(r, tr->col[COL_CONTENT]));
	bool no_units = lead[0] == '\0' && coop[0] == '\0';
	if (is_roman(tt) && no_units && result[0] == '\0' && deadline[0] == '\0' &&
	    code[0] == '\0') {
		free(tr->roman);
		free(tr->heading);
		tr->roman = xstrdup(tt);
		size_t n = strlen(tr->roman);
		if (tr->roman[n - 1] == '.')
			tr->roman[n - 1] = '\0';
		tr->heading = xstrdup(content);
		tr->last = LAST_HEADING;
	} else if (tt[0] == '\0' && code[0] == '\0' && no_units) {
		/* A continuation of the row above, as PDF extraction splits long cells. */
		if (tr->last == LAST_HEADING) {
			append_text(&tr->heading, content);
		} else if (tr->last == LAST_TASK && tr->last_ok) {
			struct tasks_task *t = &tr->out->tasks[tr->out->n - 1];
			append_text(&t->title, content);
			append_text(&t->result, result);
			append_text(&t->deadline_text, deadline);
		} else if (tr->last == LAST_NONE) {
			char *w = row_where(g, r);
			errors_add(tr->errs, "%s: a row without TT and units before the first task",
				   w);
			free(w);
		}
	} else {
		read_task(tr, r, tt);
	}
	free(tt);
	free(lead);
	free(coop);
	free(result);
	free(deadline);
	free(code);
	free(content);
}

/* Reads a task table. */
int tasks_table_read(const void *data, size_t len, struct tasks_table *out,
		     struct tasks_errors *errs)
{
	memset(out, 0, sizeof *out);
	struct grid g = { 0 };
	size_t before = errs->total;
	const unsigned char *b = data;
	bool zip = len >= 4 && memcmp(b, "PK\x03\x04", 4) == 0;
	bool ole = len >= 8 && memcmp(b, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0;
	int rc;
	if (zip || ole) {
		g.xlsx = out->xlsx = true;
		rc = grid_read_xlsx(data, len, &g, &out->sheet, errs);
	} else {
		rc = grid_read_csv(data, len, &g, errs);
	}
	if (rc != 0) {
		grid_free(&g);
		return -1;
	}
	struct table_reader tr = { .g = &g, .out = out, .errs = errs };
	long header = find_header(&tr);
	if (header >= 0) {
		for (size_t i = (size_t)header + 1; i < g.n; i++)
			read_row(&tr, &g.rows[i]);
		read_deadlines(&tr);
		if (out->n == 0 && errs->total == before)
			errors_add(errs, "the table has no task under its header");
	}
	free(tr.roman);
	free(tr.heading);
	grid_free(&g);
	return errs->total == before ? 0 : -1;
}

/* Resolves the units of every task. */
int tasks_table_resolve(struct tasks_table *t, const struct tasks_directory *d,
			struct tasks_errors *errs)
{
	size_t before = errs->total;
	for (size_t i = 0; i < t->n; i++) {
		struct tasks_task *task = &t->tasks[i];
		char *err = NULL;
		tasks_units_free(&task->leads);
		tasks_units_free(&task->coops);
		if (tasks_resolve(d, task->lead_text, false, &task->leads, &err) != 0) {
			errors_add(errs, "%s: task %s: %s: %s", task->lead_where, task->code,
				   col_title[COL_LEAD], err);
			free(err);
		} else if (task->leads.n == 0) {
			errors_add(errs, "%s: task %s: %s: '%s' names no active unit",
				   task->lead_where, task->code, col_title[COL_LEAD], task->lead_text);
		}
		struct tasks_units coops;
		if (tasks_resolve(d, task->coop_text, true, &coops, &err) != 0) {
			errors_add(errs, "%s: task %s: %s: %s", task->coop_where, task->code,
				   col_title[COL_COOP], err);
			free(err);
			continue;
		}
		/* A unit that leads does not also cooperate (task_unit has one role per unit). */
		for (size_t k = 0; k < coops.n; k++)
			if (!units_has(&task->leads, coops.codes[k]))
				units_add(&task->coops, coops.codes[k]);
		tasks_units_free(&coops);
	}
	return errs->total == before ? 0 : -1;
}

/* ---- the database ---- */

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
	if (added)
		res->added++;
	else if (row_changed || units_changed)
		res->updated++;
	else
		res->unchanged++;
	return 0;
}

/* Writes the audit entry of a task import. */
static int audit_tasks(PGconn *conn, const char *series, const char *file_label,
		       const char *source_doc, const char *actor,
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
	struct audit_entry e = { 0, actor, "import", "task", series, strbuf_str(&sb), NULL };
	int rc = audit_write(conn, &e, err);
	strbuf_free(&sb);
	return rc;
}

/* Reads, resolves and writes a task table; the caller has begun the transaction. */
static int import_in_tx(PGconn *conn, const char *series, const char *file_label,
			const void *data, size_t len, const char *source_doc, const char *actor,
			struct tasks_import_result *res, char **err)
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
		errors_sort(&errs);
		*err = errs.total == 1 ? xstrdup(errs.msgs[0]) : tasks_errors_join(&errs, "  ");
		if (errs.total > 1) {
			char *e = xasprintf("%zu problems:\n%s", errs.total, *err);
			free(*err);
			*err = e;
		}
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
	int arc = audit_tasks(conn, series, file_label, source_doc, actor, res, gone, err);
	PQclear(gone);
	if (arc == 0)
		rc = 0;
out:
	free(series_id);
	tasks_directory_free(dir);
	tasks_table_free(&table);
	tasks_errors_free(&errs);
	return rc;
}

/* An import's arguments, for its transaction. */
struct import_args {
	const char *series, *file_label, *source_doc, *actor;
	const void *data;
	size_t len;
	struct tasks_import_result *res;
};

/* The body of an import's transaction. */
static int import_tx(PGconn *conn, void *arg, char **err)
{
	struct import_args *a = arg;
	return import_in_tx(conn, a->series, a->file_label, a->data, a->len, a->source_doc,
			    a->actor, a->res, err);
}

/* Imports a task table into a series. */
int tasks_import(PGconn *conn, const char *series, const char *file_label, const void *data,
		 size_t len, const char *source_doc, const char *actor,
		 struct tasks_import_result *res, char **err)
{
	memset(res, 0, sizeof *res);
	struct import_args a = { series, file_label, source_doc, actor, data, len, res };
	int rc = db_tx(conn, import_tx, &a, err);
	return rc == DB_TX_FAILED ? 2 : rc;
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
			errors_add(ar->errs, "line %d: %s column '%s' (expected phrase, units and "
				   "optionally note)", line, slot ? "a second" : "unknown", h);
			return 1;
		}
		*slot = i;
	}
	if (ar->col_phrase < 0 || ar->col_units < 0) {
		errors_add(ar->errs, "line %d: the header must name the columns phrase and units "
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
		errors_add(ar->errs, "line %d: %d fields, but the header has %d (quote a phrase "
			   "that contains a comma)", line, n, ar->ncols);
		return 0;
	}
	char *phrase = squash(f[ar->col_phrase]);
	char *key = task_fold(phrase);
	if (key == NULL || key[0] == '\0') {
		errors_add(ar->errs, "line %d: the phrase is empty", line);
		free(phrase);
		free(key);
		return 0;
	}
	for (size_t i = 0; i < ar->n; i++) {
		if (strcmp(ar->rows[i].key, key) == 0) {
			errors_add(ar->errs, "line %d: the phrase '%s' already appears on line %d",
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
			errors_add(ar->errs, "line %d: %s", a->line, e);
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
		const struct dir_alias *da = &d->aliases[i];
		char *targets = array_literal(da->targets, da->ntargets);
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
	if (!utf8_valid_text(data, len)) {
		errors_add(&errs, "the file is not UTF-8 text; save it as \"CSV UTF-8\"");
	} else {
		int bad_line = 0;
		if (csv_parse(data, len, alias_record, &ar, &bad_line) == -1)
			errors_add(&errs, "line %d: malformed CSV (a quote that is not closed, or "
				   "a quote inside an unquoted field)", bad_line);
		else if (errs.total == 0 && ar.n == 0)
			errors_add(&errs, "no aliases: the file needs a header line phrase,units "
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
