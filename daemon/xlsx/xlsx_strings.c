/* The shared-string table, and the _xHHHH_ escapes of OOXML strings. */
#include "utf8.h"
#include "xlsx_private.h"

#include "util.h"
#include "xlsx_scan.h"

#include <string.h>

/* --- Text --------------------------------------------------------------------------------- */

/* The value of an _xHHHH_ escape at s (which has at least 7 bytes left), or -1. */
static long escape_at(const char *s)
{
	if (s[0] != '_' || s[1] != 'x' || s[6] != '_')
		return -1;
	long v = 0;
	for (int i = 2; i < 6; i++) {
		int c = (unsigned char)s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Replaces the _xHHHH_ escapes of OOXML strings in place; returns the new length. */
size_t xlsx_xstring_unescape(char *s, size_t n)
{
	char *first = memchr(s, '_', n);
	if (first == NULL)
		return n;
	char *w = first;
	const char *r = first, *end = s + n;
	while (r < end) {
		long c = (end - r >= 7) ? escape_at(r) : -1;
		if (c < 0) {
			*w++ = *r++;
			continue;
		}
		r += 7;
		if (c >= 0xD800 && c <= 0xDBFF) {
			long lo = (end - r >= 7) ? escape_at(r) : -1;
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				r += 7;
				c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
			} else {
				c = 0xFFFD;
			}
		} else if (c >= 0xDC00 && c <= 0xDFFF) {
			c = 0xFFFD;
		}
		w += utf8_encode(w, (uint32_t)c);
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* --- Shared strings ----------------------------------------------------------------------- */

struct sst_parse {
	struct parse base;
	bool in_si;
	int in_t, in_rph;
	struct strbuf text;
};

/* Tracks <si>, its <t> and skipped <rPh> phonetic runs. */
static bool sst_start(void *ud, int ns, const char *local, const struct xlsx_attr *atts,
		      size_t natts)
{
	struct sst_parse *sp = ud;
	if (ns == XLSX_NS_OTHER)
		return true;
	if (strcmp(local, "si") == 0) {
		sp->in_si = true;
		sp->in_t = sp->in_rph = 0;
		strbuf_reset(&sp->text);
	} else if (sp->in_si && strcmp(local, "t") == 0) {
		sp->in_t++;
	} else if (sp->in_si && strcmp(local, "rPh") == 0) {
		sp->in_rph++;
	}
	return true;
}

/* Collects the text of <t> elements outside phonetic runs. */
static bool sst_text(void *ud, const char *s, size_t len)
{
	struct sst_parse *sp = ud;
	if (!sp->in_t || sp->in_rph)
		return true;
	struct xlsx *x = sp->base.x;
	if (x->sst.len + sp->text.len + len > x->lim.max_shared_bytes) {
		xlsx_parse_fail(&sp->base, XLSX_ERR_SST_TOO_LARGE,
				"%s: more than %llu bytes of text", sp->base.part,
				(unsigned long long)x->lim.max_shared_bytes);
		return false;
	}
	strbuf_add(&sp->text, s, len);
	return true;
}

/* Stores each finished <si> in the table. */
static bool sst_end(void *ud, int ns, const char *local)
{
	struct sst_parse *sp = ud;
	struct xlsx *x = sp->base.x;
	if (ns == XLSX_NS_OTHER || !sp->in_si)
		return true;
	if (strcmp(local, "t") == 0 && sp->in_t > 0) {
		sp->in_t--;
	} else if (strcmp(local, "rPh") == 0 && sp->in_rph > 0) {
		sp->in_rph--;
	} else if (strcmp(local, "si") == 0) {
		sp->in_si = false;
		if (x->sst_n >= x->lim.max_shared_strings) {
			xlsx_parse_fail(&sp->base, XLSX_ERR_SST_TOO_LARGE,
					"%s: more than %llu strings", sp->base.part,
					(unsigned long long)x->lim.max_shared_strings);
			return false;
		}
		size_t n = sp->text.len ? xlsx_xstring_unescape(sp->text.data, sp->text.len) : 0;
		if (x->sst_n == x->sst_cap) {
			x->sst_cap = x->sst_cap ? 2 * x->sst_cap : 256;
			x->sst_off = xrealloc(x->sst_off, x->sst_cap * sizeof *x->sst_off);
		}
		x->sst_off[x->sst_n++] = (uint32_t)x->sst.len;
		strbuf_add(&x->sst, sp->text.data ? sp->text.data : "", n);
		strbuf_addc(&x->sst, '\0');
	}
	return true;
}

/* Forgets the strings read so far (the table is read once, so it empties it). */
static void sst_reset(struct parse *ps)
{
	struct sst_parse *sp = (struct sst_parse *)ps;
	sp->in_si = false;
	sp->in_t = sp->in_rph = 0;
	strbuf_reset(&sp->text);
	ps->x->sst_n = 0;
	strbuf_reset(&ps->x->sst);
}

static const struct part_ops SST_OPS = { { sst_start, sst_end, sst_text }, sst_reset };

/* Reads the shared-string table. */
enum xlsx_error xlsx_sst_read(struct xlsx *x, const char *part)
{
	struct sst_parse sp = { 0 };
	bool missing;
	enum xlsx_error rc = xlsx_part_parse(x, part, &sp.base, &missing, &SST_OPS);
	if (rc != XLSX_OK && missing)
		rc = XLSX_OK;
	strbuf_free(&sp.text);
	return rc;
}
