/* What the writers of Office Open XML packages share: the check that every XML part of a
 * written package is well-formed, and reading back a package built in memory. */
#ifndef BAOCAO_OOXML_H
#define BAOCAO_OOXML_H

#include <stddef.h>
#include <zip.h>

/* The most the check inflates, in all, before it gives up (a package we wrote is far less). */
#define OOXML_CHECK_MAX_INFLATED (512u * 1024 * 1024)

/*
 * Checks a package before it is stored or sent: a zip whose every XML part (*.xml, *.rels,
 * *.vml) is well-formed XML for expat, [Content_Types].xml and main ("xl/workbook.xml",
 * "word/document.xml") among them. Returns 0, or -1 with *err (English, naming the part, line
 * and expat's reason).
 */
int ooxml_check(const void *data, size_t len, const char *main, char **err);

/* Reads what a closed libzip source holds (an archive written into it) into *out (free it)
 * and *len, at most max bytes. Returns 0 or -1. */
int ooxml_source_take(zip_source_t *src, size_t max, unsigned char **out, size_t *len);

#endif
