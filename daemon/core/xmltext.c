/* The one rule for text people send (UTF-8 of XML 1.0 characters, no control characters but
 * tab and line breaks), its refusal in Vietnamese, and the U+FFFD mapping of the writers. */
#include "xmltext.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
#define REPLACEMENT "\xEF\xBF\xBD"

/* Whether a code point is allowed. */
bool xmltext_char_ok(uint32_t cp)
{
	if (cp < 0x20)
		return cp == '\t' || cp == '\n' || cp == '\r';
	if (cp >= 0x7f && cp <= 0x9f)
		return false;
	if (cp >= 0xd800 && cp <= 0xdfff)
		return false;
	if (cp == 0xfffe || cp == 0xffff)
		return false;
	return cp <= 0x10ffff;
}

/* Whether a byte is an ASCII character the rule allows: printable, tab or a line break. */
static inline bool ascii_ok(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Finds the first character outside the rule. Every text of a workbook's cells comes through
 * here (about 30 MB at 4,000 units): a run of allowed ASCII is passed over a byte at a time
 * without decoding, and only the other bytes are decoded.
 */
bool xmltext_find(const char *str, size_t n, struct xmltext_bad *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t index = 0;
	for (size_t i = 0; i < n;) {
		if (ascii_ok(s[i])) {
			index++;
			i++;
			continue;
		}
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);
		index++;
		if (len == 0 || !xmltext_char_ok(cp)) {
			if (bad != NULL) {
				bad->offset = i;
				bad->index = index;
				bad->cp = len == 0 ? -1 : (long)cp;
				bad->byte = s[i];
			}
			return true;
		}
		i += len;
	}
	return false;
}

/* Whether n bytes follow the rule. */
bool xmltext_valid(const char *s, size_t n)
{
	return !xmltext_find(s, n, NULL);
}

/* The refusal of text outside the rule, or NULL. */
char *xmltext_refusal(const char *where, const char *s, size_t n)
{
	struct xmltext_bad bad;
	if (!xmltext_find(s, n, &bad))
		return NULL;
	char what[48];
	if (bad.cp < 0)
		snprintf(what, sizeof what, "byte 0x%02X không phải UTF-8", bad.byte);
	else
		snprintf(what, sizeof what, "U+%04lX", (unsigned long)bad.cp);
	if (where == NULL || where[0] == '\0')
		return xasprintf("Có ký tự không hợp lệ (%s, ký tự thứ %zu); hãy xoá ký tự đó rồi gửi "
				 "lại.", what, bad.index);
	return xasprintf("%s: có ký tự không hợp lệ (%s, ký tự thứ %zu); hãy xoá ký tự đó rồi gửi "
			 "lại.", where, what, bad.index);
}

/* Where a file of text breaks the rule, or NULL. */
char *xmltext_file_problem(const char *s, size_t n)
{
	struct xmltext_bad bad;
	if (!xmltext_find(s, n, &bad))
		return NULL;
	size_t line = 1;
	for (size_t i = 0; i < bad.offset; i++)
		line += s[i] == '\n';
	if (bad.cp < 0)
		return xasprintf("dòng %zu: không phải văn bản UTF-8 (byte 0x%02X); hãy lưu tệp "
				 "dạng \"CSV UTF-8\" rồi nhập lại", line, bad.byte);
	return xasprintf("dòng %zu: có ký tự không hợp lệ (U+%04lX); hãy xoá ký tự đó rồi nhập "
			 "lại", line, (unsigned long)bad.cp);
}

/* Appends text with everything outside the rule replaced by U+FFFD. */
void xmltext_clean_add(struct strbuf *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	strbuf_grow(out, n);
	size_t run = 0;		/* start of the run of good bytes not yet copied */
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);
		if (len > 0 && xmltext_char_ok(cp)) {
			i += len;
			continue;
		}
		strbuf_add(out, str + run, i - run);
		strbuf_adds(out, REPLACEMENT);
		i += len > 0 ? len : 1;
		run = i;
	}
	strbuf_add(out, str + run, n - run);
}

/* The text with everything outside the rule replaced by U+FFFD. */
char *xmltext_clean(const char *s)
{
	if (s == NULL)
		return xstrdup("");
	struct strbuf sb = STRBUF_INIT;
	xmltext_clean_add(&sb, s, strlen(s));
	return strbuf_detach(&sb);
}

/* Appends n bytes as XML character data: each character outside the rule as U+FFFD, and
 * '&', '<', '>', '"' as entities. */
void xmltext_escape_add(struct strbuf *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	strbuf_grow(out, n);
	size_t run = 0;		/* start of the run of good bytes not yet copied */
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);
		const char *entity = NULL;
		if (len == 1 && cp == '&')
			entity = "&amp;";
		else if (len == 1 && cp == '<')
			entity = "&lt;";
		else if (len == 1 && cp == '>')
			entity = "&gt;";
		else if (len == 1 && cp == '"')
			entity = "&quot;";
		else if (len > 0 && xmltext_char_ok(cp)) {
			i += len;
			continue;
		}
		strbuf_add(out, str + run, i - run);
		strbuf_adds(out, entity ? entity : REPLACEMENT);
		i += len > 0 ? len : 1;
		run = i;
	}
	strbuf_add(out, str + run, n - run);
}
