/* Reads a workbook through the fast scanner and through expat alone, and compares what each gives. */
#ifndef BAOCAO_XLSX_COMPARE_H
#define BAOCAO_XLSX_COMPARE_H

#include "xlsx_read.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * A canonical text of everything the reader gives for a workbook read with lim: the result of
 * opening it (code and detail), its date system and sheets, and for each sheet every cell given
 * (all fields, numbers to the bit) and the result of reading it. The workbook is the file at path
 * if path is not NULL, else the len bytes at data. *fallbacks (if not NULL) receives how many
 * parts the scanner gave up to expat. Free the result with free().
 */
char *xlsx_compare_dump(const char *path, const void *data, size_t len,
			const struct xlsx_limits *lim, size_t *fallbacks);

/* Dumps the workbook with the scanner and with expat alone (lim may be NULL for the defaults);
 * returns NULL if the dumps are byte-identical, else a description of the first difference
 * (free it with free()). If fallbacks is not NULL it receives how many parts the scanner gave
 * up to expat. */
char *xlsx_compare(const char *path, const void *data, size_t len, const struct xlsx_limits *lim,
		   size_t *fallbacks);

/*
 * Scans one XML document with the fast scanner, given in pieces of piece bytes (0: whole), and
 * parses it with namespace-aware expat. If the scanner accepts it, expat must accept it too and
 * report the same elements, attributes and text; if the scanner asks for a fallback, nothing is
 * required. Returns NULL if that holds, else a description of the difference (free it with
 * free()). *accepted (if not NULL) tells whether the scanner accepted the document.
 */
char *xlsx_compare_xml(const char *doc, size_t len, size_t piece, bool *accepted);

#endif
