/* Worksheets: their cells streamed to the caller, row by row as stored. */
#include "xlsx_private.h"

#include "util.h"
#include "xlsx_scan.h"

#include <string.h>

/* How the t attribute of a cell says to read its value. */
enum ctype { CT_NUMBER, CT_SHARED, CT_STR, CT_INLINE, CT_BOOL, CT_ERROR, CT_DATE, CT_OTHER };

struct sheet_parse {
	struct parse base;
	xlsx_cell_fn fn;
	void *arg;
	bool in_data, in_cell, in_v, in_is, have_value;
	int in_t, in_rph;
	uint32_t row, col;		/* the current row; the last cell's column */
	uint32_t cell_row, cell_col;
	uint32_t style;
	enum ctype ctype;
	uint64_t delivered;	/* cells given to fn */
	uint64_t skip;		/* cells to read again without giving them (after a fallback) */
};

/* The kind of cell value a t attribute names. */
static enum ctype ctype_of(const char *t)
{
	if (t == NULL)
		return CT_NUMBER;
	switch (t[0]) {
	case 'n':
		return t[1] == '\0' ? CT_NUMBER : CT_OTHER;
	case 's':
		return t[1] == '\0' ? CT_SHARED : strcmp(t, "str") == 0 ? CT_STR : CT_OTHER;
	case 'b':
		return t[1] == '\0' ? CT_BOOL : CT_OTHER;
	case 'e':
		return t[1] == '\0' ? CT_ERROR : CT_OTHER;
	case 'd':
		return t[1] == '\0' ? CT_DATE : CT_OTHER;
	case 'i':
		return strcmp(t, "inlineStr") == 0 ? CT_INLINE : CT_OTHER;
	default:
		return CT_OTHER;
	}
}

/* Starts rows, cells and the elements that hold a cell's value. */
static bool sheet_start(void *ud, int ns, const char *local, const struct xlsx_attr *atts,
			size_t natts)
{
	struct sheet_parse *sp = ud;
	if (ns == XLSX_NS_OTHER)
		return true;
	if (sp->in_cell) {
		if (local[0] == 'v' && local[1] == '\0') {
			sp->in_v = true;
			if (sp->ctype != CT_INLINE) {
				sp->have_value = true;
				strbuf_reset(&sp->base.x->val);
			}
		} else if (strcmp(local, "is") == 0) {
			sp->in_is = true;
			if (sp->ctype == CT_INLINE) {
				sp->have_value = true;
				strbuf_reset(&sp->base.x->val);
			}
		} else if (sp->in_is && local[0] == 't' && local[1] == '\0') {
			sp->in_t++;
		} else if (sp->in_is && strcmp(local, "rPh") == 0) {
			sp->in_rph++;
		}
		return true;
	}
	if (!sp->in_data) {
		if (strcmp(local, "sheetData") == 0)
			sp->in_data = true;
		return true;
	}
	if (local[0] == 'c' && local[1] == '\0') {
		const char *r = NULL, *t = NULL, *s = NULL;
		for (size_t i = 0; i < natts; i++) {
			const char *a = atts[i].local;
			if (atts[i].ns != XLSX_NS_NONE || a[1] != '\0')
				continue;
			switch (a[0]) {
			case 'r': r = atts[i].value; break;
			case 't': t = atts[i].value; break;
			case 's': s = atts[i].value; break;
			default: break;
			}
		}
		if (r != NULL) {
			if (!xlsx_parse_ref(r, &sp->cell_row, &sp->cell_col)) {
				xlsx_parse_fail(&sp->base, XLSX_ERR_CORRUPT,
						"%s: bad cell reference \"%.20s\"",
						sp->base.part, r);
				return false;
			}
		} else {
			if (sp->col >= XLSX_MAX_COL || sp->row == 0) {
				xlsx_parse_fail(&sp->base, XLSX_ERR_CORRUPT,
						"%s: cell outside the sheet", sp->base.part);
				return false;
			}
			sp->cell_row = sp->row;
			sp->cell_col = sp->col + 1;
		}
		sp->col = sp->cell_col;
		if (s == NULL || !xlsx_parse_u32(s, &sp->style))
			sp->style = 0;
		sp->ctype = ctype_of(t);
		sp->in_cell = true;
		sp->in_v = sp->in_is = sp->have_value = false;
		sp->in_t = sp->in_rph = 0;
	} else if (strcmp(local, "row") == 0) {
		const char *r = xlsx_attr_get(atts, natts, "r");
		uint32_t n;
		if (r != NULL) {
			if (!xlsx_parse_u32(r, &n) || n == 0 || n > XLSX_MAX_ROW) {
				xlsx_parse_fail(&sp->base, XLSX_ERR_CORRUPT,
						"%s: bad row number \"%.20s\"", sp->base.part, r);
				return false;
			}
			sp->row = n;
		} else {
			if (sp->row >= XLSX_MAX_ROW) {
				xlsx_parse_fail(&sp->base, XLSX_ERR_CORRUPT,
						"%s: row outside the sheet", sp->base.part);
				return false;
			}
			sp->row++;
		}
		sp->col = 0;
	}
	return true;
}

/* Collects the text of <v>, or of the <t> of an inline string outside phonetic runs. */
static bool sheet_text(void *ud, const char *s, size_t len)
{
	struct sheet_parse *sp = ud;
	if (!sp->in_cell)
		return true;
	bool inl = sp->ctype == CT_INLINE;
	if ((inl && sp->in_t && !sp->in_rph) || (!inl && sp->in_v)) {
		struct strbuf *val = &sp->base.x->val;
		if (val->len + len > sp->base.x->lim.max_entry_size) {
			xlsx_parse_fail(&sp->base, XLSX_ERR_ENTRY_TOO_LARGE, "%s: cell too large",
					sp->base.part);
			return false;
		}
		strbuf_add(val, s, len);
	}
	return true;
}

/* Turns a finished cell into an xlsx_cell and gives it to the callback. */
static void sheet_cell(struct sheet_parse *sp)
{
	struct xlsx *x = sp->base.x;
	struct xlsx_cell c;
	char *v = x->val.data ? x->val.data : (char *)"";
	size_t vlen = x->val.len;
	if (!sp->have_value || (vlen == 0 && sp->ctype != CT_INLINE))
		return;
	memset(&c, 0, sizeof c);
	c.row = sp->cell_row;
	c.col = sp->cell_col;
	char ref[XLSX_REF_MAX];
	switch (sp->ctype) {
	case CT_NUMBER:
		if (!xlsx_parse_number(v, &c.num)) {
			xlsx_ref_format(c.row, c.col, ref);
			xlsx_parse_fail(&sp->base, XLSX_ERR_CORRUPT, "%s: %s: bad number \"%.40s\"",
					sp->base.part, ref, v);
			return;
		}
		c.type = XLSX_NUMBER;
		if (sp->style < x->nxf && x->xf_date[sp->style] &&
		    xlsx_serial_to_datetime(c.num, x->date1904, &c.dt))
			c.type = XLSX_DATE;
		break;
	case CT_SHARED: {
		uint32_t i;
		if (!xlsx_parse_u32(v, &i) || i >= x->sst_n) {
			xlsx_ref_format(c.row, c.col, ref);
			xlsx_parse_fail(&sp->base, XLSX_ERR_CORRUPT,
					"%s: %s: bad shared string \"%.40s\"",
					sp->base.part, ref, v);
			return;
		}
		c.type = XLSX_STRING;
		c.str = x->sst.data + x->sst_off[i];
		c.len = (i + 1 < x->sst_n ? x->sst_off[i + 1] : x->sst.len) - x->sst_off[i] - 1;
		break;
	}
	case CT_BOOL: {
		uint32_t b;
		if (xlsx_parse_u32(v, &b))
			c.boolean = b != 0;
		else if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
			c.boolean = v[0] == 't';
		else {
			xlsx_ref_format(c.row, c.col, ref);
			xlsx_parse_fail(&sp->base, XLSX_ERR_CORRUPT,
					"%s: %s: bad boolean \"%.40s\"", sp->base.part, ref, v);
			return;
		}
		c.type = XLSX_BOOL;
		c.num = c.boolean;
		break;
	}
	case CT_ERROR:
		c.type = XLSX_ERROR;
		c.str = v;
		c.len = vlen;
		break;
	case CT_DATE:
		if (xlsx_parse_iso8601(v, x->date1904, &c.dt)) {
			c.type = XLSX_DATE;
			c.num = xlsx_datetime_to_serial(&c.dt, x->date1904);
			break;
		}
		/* A date that does not parse is kept as the text it is. */
		c.type = XLSX_STRING;
		c.str = v;
		c.len = vlen;
		break;
	case CT_STR:
	case CT_INLINE:
	case CT_OTHER:
		c.type = XLSX_STRING;
		c.len = xlsx_xstring_unescape(v, vlen);
		c.str = v;
		break;
	}
	if (sp->skip > 0) {
		/* Given before the scanner gave the part up to expat. */
		sp->skip--;
		return;
	}
	sp->delivered++;
	if (!sp->fn(&c, sp->arg))
		xlsx_parse_fail(&sp->base, XLSX_ERR_STOPPED, "%s: stopped by the caller",
				sp->base.part);
}

/* Ends values, cells and the sheet data. */
static bool sheet_end(void *ud, int ns, const char *local)
{
	struct sheet_parse *sp = ud;
	if (ns == XLSX_NS_OTHER)
		return true;
	if (sp->in_cell) {
		if (local[0] == 'c' && local[1] == '\0') {
			sp->in_cell = false;
			sheet_cell(sp);
		} else if (local[0] == 'v' && local[1] == '\0') {
			sp->in_v = false;
		} else if (strcmp(local, "is") == 0) {
			sp->in_is = false;
		} else if (local[0] == 't' && local[1] == '\0' && sp->in_t > 0) {
			sp->in_t--;
		} else if (strcmp(local, "rPh") == 0 && sp->in_rph > 0) {
			sp->in_rph--;
		}
	} else if (strcmp(local, "sheetData") == 0) {
		sp->in_data = false;
	}
	return sp->base.err == XLSX_OK;
}

/* Starts the sheet again for expat: the cells already given are read again, not given. */
static void sheet_reset(struct parse *ps)
{
	struct sheet_parse *sp = (struct sheet_parse *)ps;
	sp->in_data = sp->in_cell = sp->in_v = sp->in_is = sp->have_value = false;
	sp->in_t = sp->in_rph = 0;
	sp->row = sp->col = sp->cell_row = sp->cell_col = sp->style = 0;
	sp->ctype = CT_NUMBER;
	sp->skip = sp->delivered;
	sp->delivered = 0;
	strbuf_reset(&ps->x->val);
}

static const struct part_ops SHEET_OPS = { { sheet_start, sheet_end, sheet_text }, sheet_reset };

/* Streams the cells of sheet i to fn. */
enum xlsx_error xlsx_sheet_read(struct xlsx *x, size_t i, xlsx_cell_fn fn, void *arg)
{
	x->detail[0] = '\0';
	if (i >= x->nsheets)
		return xlsx_fail(x, XLSX_ERR_NO_SUCH_SHEET, "no sheet %zu (of %zu)", i, x->nsheets);
	struct sheet_parse sp = { .fn = fn, .arg = arg };
	return xlsx_part_parse(x, x->sheets[i].part, &sp.base, NULL, &SHEET_OPS);
}
