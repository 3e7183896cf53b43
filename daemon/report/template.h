/* The workbook a unit downloads for a period: its tasks, last period's status, the meta sheet. */
#ifndef BAOCAO_TEMPLATE_H
#define BAOCAO_TEMPLATE_H

#include "periods.h"
#include "workbook.h"

#include <libpq-fe.h>
#include <stddef.h>

/*
 * The layout (sheet names, column titles, status words, meta keys) is workbook.h's, shared
 * with the intake; docs/workbook.md describes the workbook for people. The same inputs give
 * the same bytes: the document's dates are the period's start, the zip entries' 1980-01-01.
 * template_build() may run on several threads at once, each with its own connection.
 */

#include "template_types.h"

/*
 * Builds the workbook of a unit for a resolved period: one row per active task of the series
 * the unit leads, then those it cooperates in; status, progress and completion date carried
 * from the unit's current report of the latest earlier period; the meta sheet with its MAC
 * made with mac_key. Returns TEMPLATE_OK with out filled (free it), or another result with
 * *err set (free it).
 */
enum template_result template_build(PGconn *conn, const struct period_info *pi,
				    const char *unit_code,
				    const unsigned char mac_key[WB_MAC_KEY_BYTES],
				    struct template_file *out, char **err);
void template_file_free(struct template_file *f);

/* The workbook's file name in ASCII: "bao-cao-nq57-weekly-2026-W48-SKHCN.xlsx" (new string). */
char *template_filename(const char *series, const char *period, const char *unit_code);
/*
 * The file name for people, UTF-8: "Báo cáo 2026-W48 - Sở Khoa học và Công nghệ.xlsx", with
 * characters that file systems refuse replaced by '-' (new string).
 */
char *template_filename_vi(const char *period, const char *unit_name);

/* template_lock.c: makes the meta sheet very hidden and locks the structure of a written
 * workbook (replaces *data); TEMPLATE_OK, or TEMPLATE_FAILED with *err. */
enum template_result template_lock(unsigned char **data, size_t *len, char **err);

#endif
