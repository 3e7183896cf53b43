/* The workbook part: found through the package, read for its sheets and date system. */
#include "xlsx_private.h"

#include "util.h"
#include "xlsx_scan.h"

#include <stdlib.h>
#include <string.h>

/* --- Content types ------------------------------------------------------------------------ */

struct ctypes_parse {
	struct parse base;
	char *workbook;
};

/* Finds the workbook part among the <Override> elements of [Content_Types].xml. */
static bool ctypes_start(void *ud, int ns, const char *local, const struct xlsx_attr *atts,
			 size_t natts)
{
	struct ctypes_parse *cp = ud;
	if (cp->workbook != NULL || ns == XLSX_NS_SML || strcmp(local, "Override") != 0)
		return true;
	const char *pn = xlsx_attr_get(atts, natts, "PartName");
	const char *ct = xlsx_attr_get(atts, natts, "ContentType");
	if (pn == NULL || ct == NULL)
		return true;
	if (str_has_suffix(ct, ".main+xml") &&
	    (strstr(ct, "spreadsheetml") != NULL || strstr(ct, "ms-excel") != NULL))
		cp->workbook = xlsx_part_resolve("", pn);
	else if (strcmp(ct, "application/vnd.ms-excel.sheet.binary.macroEnabled.main") == 0)
		cp->workbook = xlsx_part_resolve("", pn);
	return true;
}

/* Forgets the workbook part found so far. */
static void ctypes_reset(struct parse *ps)
{
	struct ctypes_parse *cp = (struct ctypes_parse *)ps;
	free(cp->workbook);
	cp->workbook = NULL;
}

static const struct part_ops CTYPES_OPS = { { ctypes_start, NULL, NULL }, ctypes_reset };

/* --- Workbook ----------------------------------------------------------------------------- */

struct wb_sheet {
	char *name;
	char *rid;
	enum xlsx_sheet_state state;
};

struct workbook_parse {
	struct parse base;
	struct wb_sheet *v;
	size_t n, cap;
};

/* True for the xsd:boolean true values. */
static bool xsd_true(const char *s)
{
	return s != NULL && (strcmp(s, "1") == 0 || strcmp(s, "true") == 0);
}

/* Collects <workbookPr date1904> and each <sheet>. */
static bool workbook_start(void *ud, int ns, const char *local, const struct xlsx_attr *atts,
			   size_t natts)
{
	struct workbook_parse *wp = ud;
	struct xlsx *x = wp->base.x;
	if (ns == XLSX_NS_OTHER)
		return true;
	if (strcmp(local, "workbookPr") == 0) {
		x->date1904 = xsd_true(xlsx_attr_get(atts, natts, "date1904"));
	} else if (strcmp(local, "sheet") == 0) {
		const char *sname = xlsx_attr_get(atts, natts, "name");
		const char *state = xlsx_attr_get(atts, natts, "state");
		const char *rid = NULL;
		for (size_t i = 0; i < natts; i++)
			if (atts[i].ns != XLSX_NS_NONE && strcmp(atts[i].local, "id") == 0)
				rid = atts[i].value;
		if (wp->n >= x->lim.max_sheets) {
			xlsx_parse_fail(&wp->base, XLSX_ERR_CORRUPT, "%s: more than %llu sheets",
					wp->base.part, (unsigned long long)x->lim.max_sheets);
			return false;
		}
		if (wp->n == wp->cap) {
			wp->cap = wp->cap ? 2 * wp->cap : 8;
			wp->v = xrealloc(wp->v, wp->cap * sizeof *wp->v);
		}
		struct wb_sheet *s = &wp->v[wp->n++];
		s->name = xstrdup(sname ? sname : "");
		s->rid = rid ? xstrdup(rid) : NULL;
		s->state = XLSX_VISIBLE;
		if (state != NULL && strcmp(state, "hidden") == 0)
			s->state = XLSX_HIDDEN;
		else if (state != NULL && strcmp(state, "veryHidden") == 0)
			s->state = XLSX_VERY_HIDDEN;
	}
	return true;
}

/* Forgets the sheets and date system read so far. */
static void workbook_reset(struct parse *ps)
{
	struct workbook_parse *wp = (struct workbook_parse *)ps;
	for (size_t i = 0; i < wp->n; i++) {
		free(wp->v[i].name);
		free(wp->v[i].rid);
	}
	wp->n = 0;
	ps->x->date1904 = false;
}

static const struct part_ops WORKBOOK_OPS = { { workbook_start, NULL, NULL }, workbook_reset };

/* --- Loading ------------------------------------------------------------------------------ */

/* Finds the workbook part: from _rels/.rels, else from [Content_Types].xml. */
static enum xlsx_error workbook_locate(struct xlsx *x, char **out)
{
	struct rels root = { 0 };
	enum xlsx_error rc = xlsx_rels_read(x, "", &root);
	if (rc != XLSX_OK) {
		xlsx_rels_free(&root);
		return rc;
	}
	const struct rel *r = xlsx_rels_find_type(&root, "officeDocument");
	*out = r ? xstrdup(r->target) : NULL;
	xlsx_rels_free(&root);
	if (*out != NULL && xlsx_part_locate(x, *out) >= 0)
		return XLSX_OK;
	free(*out);
	*out = NULL;

	struct ctypes_parse cp = { 0 };
	bool missing;
	rc = xlsx_part_parse(x, "[Content_Types].xml", &cp.base, &missing, &CTYPES_OPS);
	if (rc != XLSX_OK && !missing) {
		free(cp.workbook);
		return rc;
	}
	if (cp.workbook == NULL || xlsx_part_locate(x, cp.workbook) < 0) {
		free(cp.workbook);
		return xlsx_fail(x, XLSX_ERR_NO_WORKBOOK, "no workbook part");
	}
	*out = cp.workbook;
	return XLSX_OK;
}

/* Reads the workbook: its sheets, date system, styles and shared strings. */
enum xlsx_error xlsx_workbook_load(struct xlsx *x)
{
	char *wbpart = NULL;
	enum xlsx_error rc = workbook_locate(x, &wbpart);
	if (rc != XLSX_OK)
		return rc;
	if (str_has_suffix(wbpart, ".bin")) {
		rc = xlsx_fail(x, XLSX_ERR_XLSB, "binary workbook part %s", wbpart);
		free(wbpart);
		return rc;
	}
	struct rels rels = { 0 };
	struct workbook_parse wp = { 0 };
	rc = xlsx_rels_read(x, wbpart, &rels);
	if (rc == XLSX_OK)
		rc = xlsx_part_parse(x, wbpart, &wp.base, NULL, &WORKBOOK_OPS);

	/* Resolve each sheet to its part through the workbook's relationships. */
	if (rc == XLSX_OK) {
		x->sheets = xcalloc(wp.n ? wp.n : 1, sizeof *x->sheets);
		for (size_t i = 0; i < wp.n && rc == XLSX_OK; i++) {
			const struct rel *r = wp.v[i].rid ?
				xlsx_rels_find_id(&rels, wp.v[i].rid) : NULL;
			if (r == NULL || r->target == NULL) {
				rc = xlsx_fail(x, XLSX_ERR_CORRUPT,
					       "sheet \"%.60s\" has no relationship", wp.v[i].name);
				break;
			}
			if (xlsx_part_locate(x, r->target) < 0) {
				rc = xlsx_fail(x, XLSX_ERR_CORRUPT,
					       "sheet \"%.60s\": part %.100s is missing",
					       wp.v[i].name, r->target);
				break;
			}
			struct sheet *s = &x->sheets[x->nsheets++];
			s->name = xstrdup(wp.v[i].name);
			s->part = xstrdup(r->target);
			s->state = wp.v[i].state;
			if (strcmp(r->type, "worksheet") == 0)
				s->kind = XLSX_WORKSHEET;
			else if (strcmp(r->type, "chartsheet") == 0)
				s->kind = XLSX_CHARTSHEET;
			else
				s->kind = XLSX_OTHERSHEET;
		}
	}
	for (size_t i = 0; i < wp.n; i++) {
		free(wp.v[i].name);
		free(wp.v[i].rid);
	}
	free(wp.v);

	const struct rel *r;
	if (rc == XLSX_OK && (r = xlsx_rels_find_type(&rels, "styles")) != NULL)
		rc = xlsx_styles_read(x, r->target);
	if (rc == XLSX_OK && (r = xlsx_rels_find_type(&rels, "sharedStrings")) != NULL)
		rc = xlsx_sst_read(x, r->target);
	xlsx_rels_free(&rels);
	free(wbpart);
	return rc;
}
