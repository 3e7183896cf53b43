/* What the writers of Office Open XML packages share: the check that every XML part of a
 * written package is well-formed, and reading back a package built in memory. */
#ifndef BAOCAO_OOXML_H
#define BAOCAO_OOXML_H

#include <stdbool.h>
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
/* ooxml_check() but for the parts whose entries (in the central directory's order) done marks,
 * found well-formed before; done is ignored unless ndone is the number of entries. */
int ooxml_check_except(const void *data, size_t len, const char *main, const bool *done,
		       size_t ndone, char **err);

/*
 * The check made while a package is written to a file (ooxml_tail.c): ooxml_tail_start()
 * before the writer creates path (NULL when no thread can follow it: check it whole then),
 * ooxml_tail_stop() once the writer has closed it or given up, ooxml_tail_check() on the
 * file's final bytes (it stops the tail first): as ooxml_check(), the parts followed and proven
 * the same bytes not parsed again. ooxml_tail_free() (NULL is fine) ends and frees it.
 */
struct ooxml_tail;
struct ooxml_tail *ooxml_tail_start(const char *path);
void ooxml_tail_stop(struct ooxml_tail *t);
int ooxml_tail_check(struct ooxml_tail *t, const void *data, size_t len, const char *main,
		     char **err);
void ooxml_tail_free(struct ooxml_tail *t);
/* How many XML parts the tail followed to their end and found well-formed (once stopped). */
size_t ooxml_tail_followed(const struct ooxml_tail *t);

/* Reads what a closed libzip source holds (an archive written into it) into *out (free it)
 * and *len, at most max bytes. Returns 0 or -1. */
int ooxml_source_take(zip_source_t *src, size_t max, unsigned char **out, size_t *len);

#endif
