/* Streaming, bounded reader of .xlsx workbooks (libzip for the container, expat for the XML). */
#ifndef BAOCAO_XLSX_READ_H
#define BAOCAO_XLSX_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every way reading a workbook can fail. Each refusal has its own code so that the user can be
 * told what to do; xlsx_error_code() names it for logs and JSON, xlsx_error_message() explains it
 * to the user in Vietnamese.
 */
enum xlsx_error {
	XLSX_OK = 0,
	XLSX_ERR_IO,			/* the file could not be read */
	XLSX_ERR_FILE_TOO_LARGE,	/* the file is over limits.max_file_size */
	XLSX_ERR_NOT_XLSX,		/* neither a zip nor an OLE file */
	XLSX_ERR_XLS,			/* an OLE file: Excel 97-2003 .xls */
	XLSX_ERR_ENCRYPTED,		/* an OLE file holding an EncryptedPackage, or zip encryption */
	XLSX_ERR_ODS,			/* an OpenDocument spreadsheet */
	XLSX_ERR_XLSB,			/* an Excel binary workbook */
	XLSX_ERR_CORRUPT,		/* a broken zip, relationship or cell value */
	XLSX_ERR_NO_WORKBOOK,		/* a zip without a workbook part */
	XLSX_ERR_BAD_XML,		/* XML that is not well-formed */
	XLSX_ERR_DTD,			/* a document type declaration (OOXML never has one) */
	XLSX_ERR_TOO_MANY_ENTRIES,	/* more zip entries than limits.max_entries */
	XLSX_ERR_ENTRY_TOO_LARGE,	/* a part inflating past limits.max_entry_size */
	XLSX_ERR_COMPRESSION_RATIO,	/* a part inflating more than limits.max_ratio times */
	XLSX_ERR_TOTAL_TOO_LARGE,	/* all parts read inflating past limits.max_total_size */
	XLSX_ERR_SST_TOO_LARGE,		/* a shared-string table over its limits */
	XLSX_ERR_NO_SUCH_SHEET,		/* a sheet index out of range (a caller's mistake) */
	XLSX_ERR_STOPPED,		/* the cell callback asked to stop */
	XLSX_ERR_COUNT
};

/* Bounds on the work and memory one workbook may cost. */
struct xlsx_limits {
	uint64_t max_file_size;		/* bytes of the .xlsx itself (files only) */
	uint64_t max_entries;		/* entries in the zip, directories included */
	uint64_t max_entry_size;	/* inflated bytes of one part, counted while reading */
	uint64_t max_total_size;	/* inflated bytes of all parts read, over the handle's life */
	uint64_t max_ratio;		/* inflated / compressed bytes of one part */
	uint64_t ratio_min_size;	/* the ratio is checked once a part inflates past this */
	uint64_t max_shared_strings;	/* strings in the shared-string table */
	uint64_t max_shared_bytes;	/* bytes of text in the shared-string table */
	uint64_t max_sheets;		/* sheets listed by the workbook */
	bool expat_only;		/* parse every part with expat, never the fast scanner (for
					 * tests that compare the two; false by default) */
};

/* Fills limits with the defaults: 64 MiB files, 1,000 entries, 256 MiB per part, 1 GiB in all,
 * ratio 100:1 past 1 MiB, 1,000,000 shared strings in 64 MiB, 1,000 sheets; the fast scanner. */
void xlsx_limits_default(struct xlsx_limits *limits);

/* Whether a sheet is shown in the spreadsheet program's tabs. */
enum xlsx_sheet_state { XLSX_VISIBLE, XLSX_HIDDEN, XLSX_VERY_HIDDEN };

/* What a sheet part holds: cells, a chart only, or an old macro/dialog sheet. */
enum xlsx_sheet_kind { XLSX_WORKSHEET, XLSX_CHARTSHEET, XLSX_OTHERSHEET };

/* The type of a cell's value; the values are the letters the JSON dump uses. */
enum xlsx_type {
	XLSX_STRING = 's',
	XLSX_NUMBER = 'n',
	XLSX_BOOL = 'b',
	XLSX_DATE = 'd',
	XLSX_ERROR = 'e',
};

/* A date and time as written in the workbook (no time zone). */
struct xlsx_datetime {
	int year, month, day;
	int hour, minute, second, msec;
};

/* One non-empty cell; its pointers are valid only during the callback. */
struct xlsx_cell {
	uint32_t row;			/* 1-based */
	uint32_t col;			/* 1-based: A is 1 */
	enum xlsx_type type;
	const char *str;		/* STRING, ERROR: UTF-8 text, NUL-terminated (may hold NULs) */
	size_t len;			/* its length in bytes */
	double num;			/* NUMBER: the value; DATE: the serial in the workbook's system */
	bool boolean;			/* BOOL */
	struct xlsx_datetime dt;	/* DATE */
};

/* Called for each cell in the order of the sheet part; return false to stop reading. */
typedef bool (*xlsx_cell_fn)(const struct xlsx_cell *cell, void *arg);

struct xlsx;

/*
 * Opens a workbook held in memory; data must stay valid until xlsx_close(). limits may be NULL
 * for the defaults. On failure returns the error and, if detail is not NULL, sets *detail to an
 * English explanation for the log (free it with free()).
 */
enum xlsx_error xlsx_open_memory(const void *data, size_t len, const struct xlsx_limits *limits,
				 struct xlsx **out, char **detail);
/* Opens a workbook file, as xlsx_open_memory(). */
enum xlsx_error xlsx_open_file(const char *path, const struct xlsx_limits *limits,
			       struct xlsx **out, char **detail);
/* Frees the handle; NULL is allowed. */
void xlsx_close(struct xlsx *x);

/* True if the workbook counts dates from 1904-01-01 rather than 1900-01-01. */
bool xlsx_date1904(const struct xlsx *x);
/* The number of sheets, in the workbook's order. */
size_t xlsx_sheet_count(const struct xlsx *x);
/* The name of sheet i (0-based); NULL if i is out of range. */
const char *xlsx_sheet_name(const struct xlsx *x, size_t i);
/* The state of sheet i (0-based). */
enum xlsx_sheet_state xlsx_sheet_state(const struct xlsx *x, size_t i);
/* The kind of sheet i (0-based). */
enum xlsx_sheet_kind xlsx_sheet_kind(const struct xlsx *x, size_t i);
/* "visible", "hidden" or "veryHidden". */
const char *xlsx_sheet_state_name(enum xlsx_sheet_state state);

/*
 * Streams the cells of sheet i (0-based) to fn, row by row as stored; empty cells are skipped and
 * formula cells give their cached value. Memory does not grow with the number of rows. A handle
 * must not be used from two threads at once; separate handles are independent.
 */
enum xlsx_error xlsx_sheet_read(struct xlsx *x, size_t i, xlsx_cell_fn fn, void *arg);
/* An English explanation of the last failure of xlsx_sheet_read(), for the log. */
const char *xlsx_detail(const struct xlsx *x);
/* How many parts the fast XML scanner gave up to expat on this handle so far (for tests and
 * logs: the result is the same either way, only slower). */
size_t xlsx_fallbacks(const struct xlsx *x);

/* Converts a date serial in the 1900 or 1904 system; false if it is outside years 1..9999. */
bool xlsx_serial_to_datetime(double serial, bool date1904, struct xlsx_datetime *out);

/* Room for the longest cell reference, "XFD1048576", and its NUL. */
#define XLSX_REF_MAX 12
/* Writes the A1-style reference of a cell into buf; returns its length. */
size_t xlsx_ref_format(uint32_t row, uint32_t col, char buf[XLSX_REF_MAX]);

/* The English name of an error for logs and JSON, e.g. "xlsx_encrypted". */
const char *xlsx_error_code(enum xlsx_error err);
/* The Vietnamese message that tells the user what went wrong and what to do. */
const char *xlsx_error_message(enum xlsx_error err);

#endif
