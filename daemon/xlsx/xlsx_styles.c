/* The styles part: which cell formats show a date or time. */
#include "xlsx_private.h"

#include "util.h"
#include "xlsx_scan.h"

#include <stdlib.h>
#include <string.h>

/* Bounds that keep a broken part from costing unbounded memory. */
#define MAX_XFS (1u << 20)
#define MAX_NUMFMTS 65536

/* A custom number format: its id and whether it shows a date or time. */
struct numfmt {
	uint32_t id;
	bool date;
};

/* True if a number format code shows a date or time: it has d, m, y, h or s outside quoted
 * text, escapes, fill and padding characters and brackets other than elapsed [h], [m], [s]. */
static bool format_is_date(const char *code)
{
	for (const char *p = code; *p; p++) {
		switch (*p) {
		case ';':
			return false;	/* only the first section (positive numbers) counts */
		case '"': {
			const char *q = strchr(p + 1, '"');
			if (q == NULL)
				return false;
			p = q;
			break;
		}
		case '\\':
		case '_':
		case '*':
			if (p[1] == '\0')
				return false;
			p++;
			break;
		case '[': {
			const char *q = strchr(p + 1, ']');
			if (q == NULL)
				return false;
			size_t n = (size_t)(q - p - 1);
			char c = (char)(p[1] | 0x20);
			if (n >= 1 && n <= 2 && (c == 'h' || c == 'm' || c == 's') &&
			    (n == 1 || (p[2] | 0x20) == c))
				return true;
			p = q;
			break;
		}
		case 'd': case 'D': case 'm': case 'M': case 'y': case 'Y':
		case 'h': case 'H': case 's': case 'S':
			return true;
		default:
			break;
		}
	}
	return false;
}

/* True for the built-in number formats that show dates and times. */
static bool builtin_is_date(uint32_t id)
{
	return (id >= 14 && id <= 22) || (id >= 45 && id <= 47);
}

struct styles_parse {
	struct parse base;
	int in_numfmts, in_cellxfs;
	struct numfmt *fmts;
	size_t nfmts, capfmts;
	uint32_t *xf_fmt;
	size_t nxf, capxf;
};

/* Collects custom number formats and the number format of each cell format. */
static bool styles_start(void *ud, int ns, const char *local, const struct xlsx_attr *atts,
			 size_t natts)
{
	struct styles_parse *sp = ud;
	if (ns == XLSX_NS_OTHER)
		return true;
	if (strcmp(local, "numFmts") == 0) {
		sp->in_numfmts++;
	} else if (strcmp(local, "cellXfs") == 0) {
		sp->in_cellxfs++;
	} else if (sp->in_numfmts && strcmp(local, "numFmt") == 0) {
		uint32_t id;
		const char *code = xlsx_attr_get(atts, natts, "formatCode");
		if (!xlsx_parse_u32(xlsx_attr_get(atts, natts, "numFmtId"), &id) || code == NULL)
			return true;
		if (sp->nfmts >= MAX_NUMFMTS)
			return true;
		if (sp->nfmts == sp->capfmts) {
			sp->capfmts = sp->capfmts ? 2 * sp->capfmts : 16;
			sp->fmts = xrealloc(sp->fmts, sp->capfmts * sizeof *sp->fmts);
		}
		sp->fmts[sp->nfmts].id = id;
		sp->fmts[sp->nfmts].date = format_is_date(code);
		sp->nfmts++;
	} else if (sp->in_cellxfs && strcmp(local, "xf") == 0) {
		uint32_t id;
		if (!xlsx_parse_u32(xlsx_attr_get(atts, natts, "numFmtId"), &id))
			id = 0;
		if (sp->nxf >= MAX_XFS)
			return true;
		if (sp->nxf == sp->capxf) {
			sp->capxf = sp->capxf ? 2 * sp->capxf : 64;
			sp->xf_fmt = xrealloc(sp->xf_fmt, sp->capxf * sizeof *sp->xf_fmt);
		}
		sp->xf_fmt[sp->nxf++] = id;
	}
	return true;
}

/* Tracks the end of <numFmts> and <cellXfs>. */
static bool styles_end(void *ud, int ns, const char *local)
{
	struct styles_parse *sp = ud;
	if (ns == XLSX_NS_OTHER)
		return true;
	if (strcmp(local, "numFmts") == 0 && sp->in_numfmts > 0)
		sp->in_numfmts--;
	else if (strcmp(local, "cellXfs") == 0 && sp->in_cellxfs > 0)
		sp->in_cellxfs--;
	return true;
}

/* Forgets the formats read so far. */
static void styles_reset(struct parse *ps)
{
	struct styles_parse *sp = (struct styles_parse *)ps;
	sp->in_numfmts = sp->in_cellxfs = 0;
	sp->nfmts = sp->nxf = 0;
}

static const struct part_ops STYLES_OPS = { { styles_start, styles_end, NULL }, styles_reset };

/* Reads styles.xml into the table of cell formats that show dates. */
enum xlsx_error xlsx_styles_read(struct xlsx *x, const char *part)
{
	struct styles_parse sp = { 0 };
	bool missing;
	enum xlsx_error rc = xlsx_part_parse(x, part, &sp.base, &missing, &STYLES_OPS);
	if (rc == XLSX_OK) {
		x->nxf = sp.nxf;
		x->xf_date = xcalloc(sp.nxf ? sp.nxf : 1, 1);
		for (size_t i = 0; i < sp.nxf; i++) {
			bool date = builtin_is_date(sp.xf_fmt[i]);
			/* A custom format overrides a built-in one with the same id; the last one wins. */
			for (size_t j = sp.nfmts; j-- > 0;) {
				if (sp.fmts[j].id == sp.xf_fmt[i]) {
					date = sp.fmts[j].date;
					break;
				}
			}
			x->xf_date[i] = date;
		}
	} else if (missing) {
		rc = XLSX_OK;	/* no styles: no dates */
	}
	free(sp.fmts);
	free(sp.xf_fmt);
	return rc;
}
