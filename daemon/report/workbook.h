/* The weekly workbook's layout: what the template writes and the intake reads back. */
#ifndef BAOCAO_WORKBOOK_H
#define BAOCAO_WORKBOOK_H

#include <stdbool.h>
#include <stddef.h>

/* Raised whenever the layout changes in a way older uploads must be told about. */
#define WB_TEMPLATE_VERSION 1

/* Sheet names. The meta sheet is very hidden: programs that drop it lose nothing else. */
#define WB_REPORT_SHEET "Báo cáo"
#define WB_GENERAL_SHEET "Kiến nghị chung"
#define WB_META_SHEET "baocao_meta"

/* The report sheet's columns, in the template's order; the intake finds them by title. */
enum wb_column {
	WB_COL_STT,
	WB_COL_CODE,
	WB_COL_TITLE,
	WB_COL_DEADLINE,
	WB_COL_STATUS,
	WB_COL_PROGRESS,
	WB_COL_COMPLETED,
	WB_COL_RESULT,
	WB_COL_DIFFICULTIES,
	WB_COL_PROPOSALS,
	WB_COL_NOTE,
	WB_NCOLS
};

/* "STT", "Mã nhiệm vụ", ... exactly as the header row shows them. */
extern const char *const wb_column_titles[WB_NCOLS];

/* The three words of the status drop-down, in its order (done, in progress, not started). */
#define WB_STATUS_DONE "Hoàn thành"
#define WB_STATUS_IN_PROGRESS "Đang thực hiện"
#define WB_STATUS_NOT_STARTED "Chưa triển khai"

/* The title of the "Kiến nghị chung" sheet's two input cells, in column A; input in column B. */
#define WB_GENERAL_DIFFICULTIES "Khó khăn, vướng mắc chung"
#define WB_GENERAL_PROPOSALS "Kiến nghị, đề xuất chung"

/*
 * The meta sheet holds key/value rows: column A the key, column B the value, in this order:
 * "unit" (code), "series" (name), "period" (id), "version" (WB_TEMPLATE_VERSION, a number),
 * "mac" (wb_mac of the four, 64 hex digits).
 */
#define WB_META_UNIT "unit"
#define WB_META_SERIES "series"
#define WB_META_PERIOD "period"
#define WB_META_VERSION "version"
#define WB_META_MAC "mac"

#define WB_MAC_KEY_BYTES 32
#define WB_MAC_HEX 65

/* HMAC-SHA-256 over "unit\nseries\nperiod\nversion" as 64 hex digits and a NUL. */
void wb_mac(const unsigned char key[WB_MAC_KEY_BYTES], const char *unit, const char *series,
	    const char *period, int version, char out[WB_MAC_HEX]);
/* Compares a MAC in constant time. */
bool wb_mac_ok(const unsigned char key[WB_MAC_KEY_BYTES], const char *unit, const char *series,
	       const char *period, int version, const char *mac_hex);

#endif
