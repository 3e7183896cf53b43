/* What the workbook writers (template.c, consol_xlsx.c, board_xlsx.c) share around
 * libxlsxwriter, and the well-formedness check of what they wrote. */
#ifndef BAOCAO_XLSXW_H
#define BAOCAO_XLSXW_H

#include <xlsxwriter.h>

/* Creates a private folder "$TMPDIR/baocao-WHO-XXXXXX" (/tmp without TMPDIR) for a workbook
 * and its temporary files; returns its path (free it), or NULL with *err (English). */
char *xlsxw_tmpdir(const char *who, char **err);
/* Removes such a folder and whatever is left in it; failures are warnings naming who. */
void xlsxw_tmpdir_remove(const char *dir, const char *who);
/* workbook_close(), one thread at a time: it writes and frees the workbook whatever happens. */
lxw_error xlsxw_close(lxw_workbook *wb);

/* The most the check inflates, in all, before it gives up (a workbook we wrote is far less). */
#define XLSXW_CHECK_MAX_INFLATED (512u * 1024 * 1024)

/*
 * Checks a workbook before it is stored or sent: a zip whose every XML part (*.xml, *.rels,
 * *.vml) is well-formed XML for expat, [Content_Types].xml and xl/workbook.xml among them.
 * Returns 0, or -1 with *err (English, naming the part, line and expat's reason).
 */
int xlsxw_check(const void *data, size_t len, char **err);

#endif
