/* The finishing touch of a unit's workbook: its meta sheet made very hidden and its structure
 * locked, by editing xl/workbook.xml in the written file (libxlsxwriter 1.1 cannot). */
#include "template.h"
#include "ooxml.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

/* Sets *err from a libzip error; returns TEMPLATE_FAILED. */
static enum template_result zip_failure(zip_error_t *ze, const char *what, char **err)
{
	*err = xasprintf("template: xl/workbook.xml: %s: %s", what, zip_error_strerror(ze));
	zip_error_fini(ze);
	return TEMPLATE_FAILED;
}

/* Reads one entry of an open archive into a new NUL-terminated buffer. */
static int zip_read_entry(zip_t *za, zip_int64_t idx, char **out, size_t *len)
{
	zip_stat_t st;
	if (zip_stat_index(za, (zip_uint64_t)idx, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
	    st.size > TEMPLATE_FILE_MAX)
		return -1;
	zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)idx, 0);
	if (zf == NULL)
		return -1;
	char *buf = xmalloc((size_t)st.size + 1);
	zip_int64_t got = zip_fread(zf, buf, st.size);
	if (zip_fclose(zf) != 0 || got < 0 || (zip_uint64_t)got != st.size) {
		free(buf);
		return -1;
	}
	buf[st.size] = '\0';
	*out = buf;
	*len = (size_t)st.size;
	return 0;
}

/* text with its one occurrence of from replaced by to (new string); NULL unless exactly one. */
static char *replace_once(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	if (at == NULL || strstr(at + 1, from) != NULL)
		return NULL;
	return xasprintf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

/*
 * Writes what libxlsxwriter 1.1 cannot into xl/workbook.xml: the meta sheet very hidden
 * (state="veryHidden": not listed by Excel's Unhide) and the workbook's structure locked
 * without a password (sheets cannot be added, removed, renamed or unhidden). The other
 * entries are copied as they are; the new entry gets the same 1980-01-01 date.
 */
enum template_result template_lock(unsigned char **data, size_t *len, char **err)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(*data, *len, 0, &ze);
	if (src == NULL)
		return zip_failure(&ze, "buffer", err);
	zip_t *za = zip_open_from_source(src, 0, &ze);
	if (za == NULL) {
		zip_source_free(src);
		return zip_failure(&ze, "open", err);
	}
	zip_source_keep(src);	/* the rewritten archive is read from it after zip_close */
	enum template_result rc = TEMPLATE_FAILED;
	char *xml = NULL, *hidden = NULL, *edited = NULL;
	size_t xml_len = 0;
	zip_int64_t idx = zip_name_locate(za, "xl/workbook.xml", 0);
	if (idx < 0 || zip_read_entry(za, idx, &xml, &xml_len) != 0) {
		*err = xasprintf("template: xl/workbook.xml: cannot read it: %s", zip_strerror(za));
		zip_discard(za);
		goto out;
	}
	hidden = replace_once(xml, "state=\"hidden\"", "state=\"veryHidden\"");
	edited = hidden ? replace_once(hidden, "<bookViews>",
				       "<workbookProtection lockStructure=\"1\"/><bookViews>")
			: NULL;
	if (edited == NULL) {
		*err = xstrdup("template: xl/workbook.xml: not one hidden sheet and one <bookViews> "
			       "as libxlsxwriter writes them");
		zip_discard(za);
		goto out;
	}
	size_t edited_len = strlen(edited);
	zip_source_t *entry = zip_source_buffer(za, edited, edited_len, 1);
	if (entry == NULL) {
		*err = xasprintf("template: xl/workbook.xml: %s", zip_strerror(za));
		zip_discard(za);
		goto out;
	}
	edited = NULL;	/* the entry frees it */
	time_t dos_epoch;
	if (zip_file_replace(za, (zip_uint64_t)idx, entry, 0) != 0) {
		zip_source_free(entry);
		*err = xasprintf("template: xl/workbook.xml: replace: %s", zip_strerror(za));
		zip_discard(za);
		goto out;
	}
	if (cal_local_time(cal_from_ymd(1980, 1, 1), 0, &dos_epoch) != 0 ||
	    zip_file_set_mtime(za, (zip_uint64_t)idx, dos_epoch, 0) != 0) {
		*err = xasprintf("template: xl/workbook.xml: mtime: %s", zip_strerror(za));
		zip_discard(za);
		goto out;
	}
	if (zip_close(za) != 0) {
		*err = xasprintf("template: xl/workbook.xml: rewriting the archive: %s",
				 zip_strerror(za));
		zip_discard(za);
		goto out;
	}
	unsigned char *rewritten;
	size_t rewritten_len;
	if (ooxml_source_take(src, TEMPLATE_FILE_MAX, &rewritten, &rewritten_len) != 0) {
		*err = xstrdup("template: xl/workbook.xml: cannot read the rewritten archive");
		goto out;
	}
	free(*data);
	*data = rewritten;
	*len = rewritten_len;
	rc = TEMPLATE_OK;
out:
	free(xml);
	free(hidden);
	free(edited);
	zip_source_free(src);
	zip_error_fini(&ze);
	return rc;
}
