/* The reader's handle: opening and closing a workbook, and its accessors. */
#include "xlsx_read.h"

#include "util.h"
#include "xlsx_private.h"
#include "xlsx_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

/*
 * The reader is split by the parts of a workbook; this file opens and closes the handle. The
 * package's parts, their inflation within the limits and their parsing (scanner, else expat) are
 * in xlsx_part.c; the workbook part in xlsx_workbook.c; styles in xlsx_styles.c; shared strings
 * in xlsx_strings.c; numbers, dates and cell references in xlsx_value.c; worksheets in
 * xlsx_sheet.c; the limits' defaults and the errors in xlsx_error.c. What they share is in
 * xlsx_private.h.
 */

/* Files up to this size are read whole when opened by path. */
#define SMALL_FILE (1u << 20)

static const unsigned char OLE_MAGIC[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };

/* --- Opening ------------------------------------------------------------------------------ */

/* True if the bytes hold needle. */
static bool mem_has(const void *hay, size_t n, const void *needle, size_t m)
{
	return memmem(hay, n, needle, m) != NULL;
}

/* Tells an encrypted OOXML package from an .xls: both are OLE compound files. */
static enum xlsx_error ole_classify(struct xlsx *x, const void *data, size_t len)
{
	static const char enc[] = "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";
	static const char info[] = "E\0n\0c\0r\0y\0p\0t\0i\0o\0n\0I\0n\0f\0o\0";
	if (mem_has(data, len, enc, sizeof enc - 1) || mem_has(data, len, info, sizeof info - 1))
		return xlsx_fail(x, XLSX_ERR_ENCRYPTED,
				 "OLE compound file with an EncryptedPackage");
	return xlsx_fail(x, XLSX_ERR_XLS, "OLE compound file (Excel 97-2003 or other)");
}

/* Refuses an OpenDocument spreadsheet sent as .xlsx. */
static enum xlsx_error ods_check(struct xlsx *x)
{
	zip_int64_t i = zip_name_locate(x->zip, "mimetype", 0);
	if (i >= 0) {
		char buf[64] = { 0 };
		zip_file_t *zf = zip_fopen_index(x->zip, (zip_uint64_t)i, 0);
		if (zf != NULL) {
			zip_int64_t n = zip_fread(zf, buf, sizeof buf - 1);
			if (zip_fclose(zf) == 0 && n > 0 &&
			    str_has_prefix(buf, "application/vnd.oasis.opendocument"))
				return xlsx_fail(x, XLSX_ERR_ODS, "OpenDocument package (%.50s)",
						 buf);
		}
	}
	if (zip_name_locate(x->zip, "[Content_Types].xml", ZIP_FL_NOCASE) < 0 &&
	    zip_name_locate(x->zip, "content.xml", 0) >= 0 &&
	    zip_name_locate(x->zip, "META-INF/manifest.xml", 0) >= 0)
		return xlsx_fail(x, XLSX_ERR_ODS, "OpenDocument package without mimetype");
	return XLSX_OK;
}

/* Opens the zip from a libzip source (which it takes) and loads the workbook. */
static enum xlsx_error open_source(struct xlsx *x, zip_source_t *src)
{
	zip_error_t ze;
	zip_error_init(&ze);
	x->zip = zip_open_from_source(src, ZIP_RDONLY, &ze);
	if (x->zip == NULL) {
		enum xlsx_error rc = xlsx_fail(x, XLSX_ERR_CORRUPT, "zip: %s",
					       zip_error_strerror(&ze));
		zip_error_fini(&ze);
		zip_source_free(src);
		return rc;
	}
	zip_error_fini(&ze);
	zip_int64_t n = zip_get_num_entries(x->zip, 0);
	if (n < 0 || (uint64_t)n > x->lim.max_entries)
		return xlsx_fail(x, XLSX_ERR_TOO_MANY_ENTRIES, "zip has %lld entries",
				 (long long)n);
	enum xlsx_error rc = ods_check(x);
	if (rc != XLSX_OK)
		return rc;
	return xlsx_workbook_load(x);
}

/* A new handle with the given limits. */
static struct xlsx *xlsx_new(const struct xlsx_limits *limits)
{
	struct xlsx *x = xcalloc(1, sizeof *x);
	if (limits != NULL)
		x->lim = *limits;
	else
		xlsx_limits_default(&x->lim);
	/* Offsets into the shared-string text are 32-bit. */
	if (x->lim.max_shared_bytes > UINT32_MAX - 1)
		x->lim.max_shared_bytes = UINT32_MAX - 1;
	return x;
}

/* Finishes an open: returns the handle, or frees it and reports the failure. */
static enum xlsx_error open_finish(struct xlsx *x, enum xlsx_error rc, struct xlsx **out,
				   char **detail)
{
	if (rc == XLSX_OK) {
		x->detail[0] = '\0';
		*out = x;
		if (detail != NULL)
			*detail = NULL;
		return XLSX_OK;
	}
	if (detail != NULL)
		*detail = xstrdup(x->detail[0] ? x->detail : xlsx_error_code(rc));
	xlsx_close(x);
	*out = NULL;
	return rc;
}

/* Opens a workbook held in memory. */
enum xlsx_error xlsx_open_memory(const void *data, size_t len, const struct xlsx_limits *limits,
				 struct xlsx **out, char **detail)
{
	struct xlsx *x = xlsx_new(limits);
	enum xlsx_error rc;
	if (len >= sizeof OLE_MAGIC && memcmp(data, OLE_MAGIC, sizeof OLE_MAGIC) == 0) {
		rc = ole_classify(x, data, len);
	} else if (len < 4 || memcmp(data, "PK", 2) != 0) {
		rc = xlsx_fail(x, XLSX_ERR_NOT_XLSX, "not a zip file");
	} else {
		zip_error_t ze;
		zip_error_init(&ze);
		zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
		if (src == NULL)
			rc = xlsx_fail(x, XLSX_ERR_IO, "zip source: %s", zip_error_strerror(&ze));
		else
			rc = open_source(x, src);
		zip_error_fini(&ze);
	}
	return open_finish(x, rc, out, detail);
}

/* Reads up to size bytes of fd into a new buffer; false (errno set) on a read error. */
static bool fd_read_small(int fd, size_t size, char **out, size_t *len)
{
	char *buf = xmalloc(size ? size : 1);
	size_t got = 0;
	while (got < size) {
		ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return false;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	return true;
}

/* Opens a workbook file. A small file is read whole at once (fewer system calls than libzip's
 * seeks and reads, part after part); a larger one is read through libzip as needed. */
enum xlsx_error xlsx_open_file(const char *path, const struct xlsx_limits *limits,
			       struct xlsx **out, char **detail)
{
	struct xlsx *x = xlsx_new(limits);
	enum xlsx_error rc = XLSX_OK;
	char *small = NULL;
	size_t small_len = 0;
	unsigned char magic[8] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = xlsx_fail(x, XLSX_ERR_IO, "%s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		rc = xlsx_fail(x, XLSX_ERR_IO, "%s: not a regular file", path);
	} else if ((uint64_t)st.st_size > x->lim.max_file_size) {
		rc = xlsx_fail(x, XLSX_ERR_FILE_TOO_LARGE, "%s: %lld bytes", path,
			       (long long)st.st_size);
	} else {
		ssize_t n = pread(fd, magic, sizeof magic, 0);
		if (n < 0)
			rc = xlsx_fail(x, XLSX_ERR_IO, "%s: %s", path, strerror(errno));
		else if (n == (ssize_t)sizeof magic && memcmp(magic, OLE_MAGIC, sizeof magic) == 0) {
			char *data;
			size_t len;
			if (file_read_all(path, (size_t)x->lim.max_file_size, &data, &len) != 0)
				rc = xlsx_fail(x, XLSX_ERR_IO, "%s: %s", path, strerror(errno));
			else {
				rc = ole_classify(x, data, len);
				free(data);
			}
		} else if (n < 4 || memcmp(magic, "PK", 2) != 0) {
			rc = xlsx_fail(x, XLSX_ERR_NOT_XLSX, "%s: not a zip file", path);
		} else if ((uint64_t)st.st_size <= SMALL_FILE &&
			   !fd_read_small(fd, (size_t)st.st_size, &small, &small_len)) {
			rc = xlsx_fail(x, XLSX_ERR_IO, "%s: %s", path, strerror(errno));
		}
	}
	if (fd >= 0 && close(fd) != 0 && rc == XLSX_OK)
		rc = xlsx_fail(x, XLSX_ERR_IO, "%s: %s", path, strerror(errno));
	if (rc == XLSX_OK) {
		zip_error_t ze;
		zip_error_init(&ze);
		/* libzip frees the small file's bytes with the source. */
		zip_source_t *src = small != NULL ?
			zip_source_buffer_create(small, small_len, 1, &ze) :
			zip_source_file_create(path, 0, -1, &ze);
		if (src == NULL)
			rc = xlsx_fail(x, XLSX_ERR_IO, "%s: %s", path, zip_error_strerror(&ze));
		else
			rc = open_source(x, src);
		if (src != NULL)
			small = NULL;
		zip_error_fini(&ze);
	}
	free(small);
	return open_finish(x, rc, out, detail);
}

/* Frees the handle. */
void xlsx_close(struct xlsx *x)
{
	if (x == NULL)
		return;
	if (x->zip != NULL)
		zip_discard(x->zip);
	for (size_t i = 0; i < x->nsheets; i++) {
		free(x->sheets[i].name);
		free(x->sheets[i].part);
	}
	free(x->sheets);
	strbuf_free(&x->sst);
	free(x->sst_off);
	free(x->xf_date);
	strbuf_free(&x->val);
	xlsx_scan_free(x->scan);
	free(x);
}

/* --- Accessors ---------------------------------------------------------------------------- */

/* True for the 1904 date system. */
bool xlsx_date1904(const struct xlsx *x)
{
	return x->date1904;
}

/* The number of sheets. */
size_t xlsx_sheet_count(const struct xlsx *x)
{
	return x->nsheets;
}

/* The name of sheet i. */
const char *xlsx_sheet_name(const struct xlsx *x, size_t i)
{
	return i < x->nsheets ? x->sheets[i].name : NULL;
}

/* The state of sheet i. */
enum xlsx_sheet_state xlsx_sheet_state(const struct xlsx *x, size_t i)
{
	return i < x->nsheets ? x->sheets[i].state : XLSX_VISIBLE;
}

/* The kind of sheet i. */
enum xlsx_sheet_kind xlsx_sheet_kind(const struct xlsx *x, size_t i)
{
	return i < x->nsheets ? x->sheets[i].kind : XLSX_WORKSHEET;
}

/* The name OOXML gives a sheet state. */
const char *xlsx_sheet_state_name(enum xlsx_sheet_state state)
{
	switch (state) {
	case XLSX_HIDDEN:
		return "hidden";
	case XLSX_VERY_HIDDEN:
		return "veryHidden";
	case XLSX_VISIBLE:
	default:
		return "visible";
	}
}

/* The detail of the last failure. */
const char *xlsx_detail(const struct xlsx *x)
{
	return x->detail;
}

/* Parts the scanner gave up to expat. */
size_t xlsx_fallbacks(const struct xlsx *x)
{
	return x->fallbacks;
}
