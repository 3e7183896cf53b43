/* The weekly workbook's layout: what the template writes and the intake reads back. */
#include "workbook.h"
#include "util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const wb_column_titles[WB_NCOLS] = {
	[WB_COL_STT] = "STT",
	[WB_COL_CODE] = "Mã nhiệm vụ",
	[WB_COL_TITLE] = "Nội dung nhiệm vụ",
	[WB_COL_DEADLINE] = "Thời hạn",
	[WB_COL_STATUS] = "Tình trạng",
	[WB_COL_PROGRESS] = "Tiến độ (%)",
	[WB_COL_COMPLETED] = "Ngày hoàn thành",
	[WB_COL_RESULT] = "Kết quả thực hiện trong kỳ",
	[WB_COL_DIFFICULTIES] = "Khó khăn, vướng mắc",
	[WB_COL_PROPOSALS] = "Kiến nghị, đề xuất",
	[WB_COL_NOTE] = "Ghi chú",
};

/* Computes the MAC of the workbook's identity. */
void wb_mac(const unsigned char key[WB_MAC_KEY_BYTES], const char *unit, const char *series,
	    const char *period, int version, char out[WB_MAC_HEX])
{
	char *text = xasprintf("%s\n%s\n%s\n%d", unit, series, period, version);
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, WB_MAC_KEY_BYTES);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)text, strlen(text));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, WB_MAC_HEX, mac, sizeof mac);
	free(text);
}

/* Checks a MAC. */
bool wb_mac_ok(const unsigned char key[WB_MAC_KEY_BYTES], const char *unit, const char *series,
	       const char *period, int version, const char *mac_hex)
{
	char expect[WB_MAC_HEX];
	wb_mac(key, unit, series, period, version, expect);
	return strlen(mac_hex) == WB_MAC_HEX - 1 &&
	       sodium_memcmp(expect, mac_hex, WB_MAC_HEX - 1) == 0;
}
