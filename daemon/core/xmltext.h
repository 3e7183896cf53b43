/* The one rule for text people send: UTF-8 of XML 1.0 characters, what it refuses, and the
 * mapping of anything outside it to U+FFFD for the writers of files and mail. */
#ifndef BAOCAO_XMLTEXT_H
#define BAOCAO_XMLTEXT_H

#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The rule: well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF) of
 * characters XML 1.0 allows, less the control characters: tab, LF and CR are the only
 * characters below U+0020; U+007F-U+009F, U+FFFE and U+FFFF are refused, and so is NUL.
 */

/* The first character outside the rule. */
struct xmltext_bad {
	size_t offset;		/* its byte offset */
	size_t index;		/* its position in characters, 1-based */
	long cp;		/* the code point, or -1 for a byte that starts no UTF-8 character */
	unsigned char byte;	/* that byte, when cp is -1 */
};

/* Whether a code point is allowed by the rule. */
bool xmltext_char_ok(uint32_t cp);
/* Whether n bytes follow the rule. */
bool xmltext_valid(const char *s, size_t n);
/* Finds the first character outside the rule; false when there is none. */
bool xmltext_find(const char *s, size_t n, struct xmltext_bad *bad);
/*
 * The refusal of text outside the rule, in Vietnamese, or NULL when it follows it (new
 * string): "<where>: có ký tự không hợp lệ (U+FFFF, ký tự thứ 3); hãy xoá ký tự đó rồi gửi
 * lại." With where NULL, the sentence starts at "Có ký tự".
 */
char *xmltext_refusal(const char *where, const char *s, size_t n);
/* Where a file of text (CSV) breaks the rule, in English for an import's errors, or NULL
 * (new string, in Vietnamese for the administrator): "dòng 3: có ký tự không hợp lệ (U+FFFF);
 * hãy xoá ký tự đó rồi nhập lại", or "dòng 3: không phải văn bản UTF-8 (byte 0xFF); ...". */
char *xmltext_file_problem(const char *s, size_t n);
/* Appends n bytes to out with every character outside the rule (each byte that starts no
 * UTF-8 character) replaced by U+FFFD. */
void xmltext_clean_add(struct strbuf *out, const char *s, size_t n);
/* Appends n bytes as XML character data (text or an attribute's value in double quotes):
 * every character outside the rule (each byte that starts no UTF-8 character) as U+FFFD,
 * '&', '<', '>' and '"' as entities. */
void xmltext_escape_add(struct strbuf *out, const char *s, size_t n);
/* The text with everything outside the rule replaced by U+FFFD (new string; NULL gives ""). */
char *xmltext_clean(const char *s);

#endif
