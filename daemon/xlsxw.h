/* What the workbook writers (template.c, consolidate_xlsx.c) share around libxlsxwriter. */
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

#endif
