/* Vietnamese text for documents: upper case with diacritics kept ("BÁO CÁO"), ASCII folding. */
#ifndef BAOCAO_VNTEXT_H
#define BAOCAO_VNTEXT_H

/* The text in upper case, Vietnamese letters included (new string); invalid bytes are kept. */
char *vn_upper(const char *s);
/* The text with Vietnamese letters folded to ASCII ("Báo cáo" -> "Bao cao", "đ" -> "d") and
 * combining marks dropped; any other non-ASCII character becomes '_' (new string). */
char *vn_ascii(const char *s);

#endif
