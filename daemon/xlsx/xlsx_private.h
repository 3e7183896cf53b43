/* What the files of the .xlsx reader share: the handle, the part parser, and their helpers. */
#ifndef BAOCAO_XLSX_PRIVATE_H
#define BAOCAO_XLSX_PRIVATE_H

/*
 * Included only by the reader's own files (xlsx_read.c, xlsx_part.c, xlsx_workbook.c,
 * xlsx_styles.c, xlsx_strings.c, xlsx_value.c, xlsx_sheet.c); everyone else uses xlsx_read.h.
 */
#include "util.h"
#include "xlsx_read.h"
#include "xlsx_scan.h"

#include <expat.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zip.h>

/* The bounds of a sheet: rows and columns (XFD) past them are refused. */
#define XLSX_MAX_ROW 1048576u
#define XLSX_MAX_COL 16384u

/* A relationship of a .rels part, its target resolved to a zip entry name. */
struct rel {
	char *id;
	char *type;		/* the last segment of the Type URI, e.g. "worksheet" */
	char *target;		/* NULL for an external target */
};

struct rels {
	struct rel *v;
	size_t n, cap;
};

/* A sheet as listed by the workbook. */
struct sheet {
	char *name;
	char *part;
	enum xlsx_sheet_state state;
	enum xlsx_sheet_kind kind;
};

struct xlsx {
	struct xlsx_limits lim;
	zip_t *zip;
	uint64_t total_inflated;
	bool date1904;
	struct sheet *sheets;
	size_t nsheets;
	/* The shared-string table: NUL-separated texts and the offset of each. */
	struct strbuf sst;
	uint32_t *sst_off;
	size_t sst_n, sst_cap;
	/* One byte per cell format (cellXfs): 1 if it shows a date. */
	uint8_t *xf_date;
	size_t nxf;
	struct strbuf val;	/* the text of the cell being read, reused */
	struct xlsx_scan *scan;	/* the fast XML scanner, made on first use and reused */
	size_t fallbacks;	/* parts it gave up to expat */
	char detail[320];
};

struct parse;

/* How one kind of part is read: its XML handlers (shared by the scanner and expat), and how to
 * forget what the scanner reported before it gave the part up to expat. */
struct part_ops {
	struct xlsx_xml_handlers xml;
	void (*reset)(struct parse *ps);
};

/* The state shared by every part parser. */
struct parse {
	struct xlsx *x;
	XML_Parser p;		/* NULL while the scanner reads */
	const struct part_ops *ops;
	const char *part;
	enum xlsx_error err;
	struct xlsx_attr *atts;	/* expat's attributes, converted for the handlers */
	size_t atts_cap;
};

/* --- The handle (xlsx_read.c) ------------------------------------------------------------- */

/* Records an English explanation of a failure and returns err. */
enum xlsx_error __attribute__((format(printf, 3, 4)))
xlsx_fail(struct xlsx *x, enum xlsx_error err, const char *fmt, ...);

/* --- The package's parts (xlsx_part.c) ---------------------------------------------------- */

/* Records a failure from inside an XML handler (the scanner's or expat's) and stops the
 * parser. */
void __attribute__((format(printf, 3, 4)))
xlsx_parse_fail(struct parse *ps, enum xlsx_error err, const char *fmt, ...);

/* The value of an unqualified attribute, or NULL. */
const char *xlsx_attr_get(const struct xlsx_attr *atts, size_t n, const char *name);
/* Resolves a relationship target against the part that holds it, into a zip entry name. */
char *xlsx_part_resolve(const char *source, const char *target);
/* The index of a part in the zip: by exact name, any case, %-decoded, or with backslashes. */
zip_int64_t xlsx_part_locate(struct xlsx *x, const char *name);
/* Parses the part named name with ops' handlers (the scanner first, expat if it gives up); a
 * missing part is XLSX_ERR_CORRUPT with *missing set. */
enum xlsx_error xlsx_part_parse(struct xlsx *x, const char *name, struct parse *ps,
				bool *missing, const struct part_ops *ops);
/* Reads the relationships of part source ("" for the package); a missing .rels part gives an
 * empty list. */
enum xlsx_error xlsx_rels_read(struct xlsx *x, const char *source, struct rels *out);
/* Frees a relationship list. */
void xlsx_rels_free(struct rels *r);
/* The first internal relationship of the given type, or NULL. */
const struct rel *xlsx_rels_find_type(const struct rels *r, const char *type);
/* The relationship with the given id, or NULL. */
const struct rel *xlsx_rels_find_id(const struct rels *r, const char *id);

/* --- The workbook, its styles and shared strings ------------------------------------------ */

/* Reads the workbook: its sheets, date system, styles and shared strings (xlsx_workbook.c). */
enum xlsx_error xlsx_workbook_load(struct xlsx *x);
/* Reads styles.xml into the table of cell formats that show dates (xlsx_styles.c). */
enum xlsx_error xlsx_styles_read(struct xlsx *x, const char *part);
/* Reads the shared-string table (xlsx_strings.c). */
enum xlsx_error xlsx_sst_read(struct xlsx *x, const char *part);
/* Replaces the _xHHHH_ escapes of OOXML strings in place; returns the new length
 * (xlsx_strings.c). */
size_t xlsx_xstring_unescape(char *s, size_t n);

/* --- Values (xlsx_value.c) ---------------------------------------------------------------- */

/* Parses an unsigned decimal attribute; false if it is absent or malformed. */
bool xlsx_parse_u32(const char *s, uint32_t *out);
/* Parses a decimal number exactly as strtod() would (correctly rounded); false if malformed. */
bool xlsx_parse_number(const char *s, double *out);
/* The serial of a date and time in the workbook's date system. */
double xlsx_datetime_to_serial(const struct xlsx_datetime *dt, bool date1904);
/* Parses an ISO 8601 date, date-time or time (t="d" cells); a time alone falls on the epoch's
 * day 0. */
bool xlsx_parse_iso8601(const char *s, bool date1904, struct xlsx_datetime *dt);
/* Parses an A1-style reference; false if malformed or outside the sheet's bounds. */
bool xlsx_parse_ref(const char *s, uint32_t *row, uint32_t *col);

#endif
