/* Vietnamese text for documents: upper case with diacritics kept ("BÁO CÁO"). */
#ifndef BAOCAO_VNTEXT_H
#define BAOCAO_VNTEXT_H

/* The text in upper case, Vietnamese letters included (new string); invalid bytes are kept. */
char *vn_upper(const char *s);

#endif
