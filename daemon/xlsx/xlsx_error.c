/* The reader's limits by default, its errors (codes for logs, Vietnamese messages for users) and
 * the recording of a failure's English detail. */
#include "xlsx_read.h"

#include "xlsx_private.h"

#include <stdarg.h>
#include <stdio.h>

/* Fills limits with the defaults. */
void xlsx_limits_default(struct xlsx_limits *limits)
{
	limits->max_file_size = 64ull << 20;
	limits->max_entries = 1000;
	limits->max_entry_size = 256ull << 20;
	limits->max_total_size = 1ull << 30;
	limits->max_ratio = 100;
	limits->ratio_min_size = 1ull << 20;
	limits->max_shared_strings = 1000000;
	limits->max_shared_bytes = 64ull << 20;
	limits->max_sheets = 1000;
	limits->expat_only = false;
}

static const struct {
	const char *code;
	const char *message;
} errors[XLSX_ERR_COUNT] = {
	[XLSX_OK] = { "ok", "Đọc tệp thành công" },
	[XLSX_ERR_IO] = { "xlsx_io",
		"Không đọc được tệp: hãy gửi lại tệp" },
	[XLSX_ERR_FILE_TOO_LARGE] = { "xlsx_file_too_large",
		"Tệp quá lớn: hãy xoá các trang tính và dữ liệu không cần thiết rồi gửi lại" },
	[XLSX_ERR_NOT_XLSX] = { "xlsx_not_xlsx",
		"Tệp không phải là bảng tính Excel (.xlsx): hãy mở tệp bằng Excel, lưu lại dưới dạng .xlsx rồi gửi lại" },
	[XLSX_ERR_XLS] = { "xlsx_xls",
		"Đây là tệp .xls (Excel 97-2003): hãy lưu lại dưới dạng .xlsx" },
	[XLSX_ERR_ENCRYPTED] = { "xlsx_encrypted",
		"Tệp được mã hoá bằng mật khẩu: hãy bỏ mật khẩu rồi gửi lại" },
	[XLSX_ERR_ODS] = { "xlsx_ods",
		"Đây là tệp OpenDocument (.ods): hãy lưu lại dưới dạng .xlsx (Excel 2007-365) rồi gửi lại" },
	[XLSX_ERR_XLSB] = { "xlsx_xlsb",
		"Đây là tệp .xlsb (bảng tính nhị phân của Excel): hãy lưu lại dưới dạng .xlsx rồi gửi lại" },
	[XLSX_ERR_CORRUPT] = { "xlsx_corrupt",
		"Tệp .xlsx bị hỏng: hãy mở tệp bằng Excel, lưu lại rồi gửi lại" },
	[XLSX_ERR_NO_WORKBOOK] = { "xlsx_no_workbook",
		"Tệp nén không chứa bảng tính Excel: hãy gửi đúng tệp .xlsx của báo cáo" },
	[XLSX_ERR_BAD_XML] = { "xlsx_bad_xml",
		"Nội dung tệp .xlsx bị hỏng: hãy mở tệp bằng Excel, lưu lại rồi gửi lại" },
	[XLSX_ERR_DTD] = { "xlsx_dtd",
		"Tệp chứa khai báo DTD, điều mà tệp .xlsx thật không bao giờ có: hãy mở tệp bằng Excel, lưu lại rồi gửi lại" },
	[XLSX_ERR_TOO_MANY_ENTRIES] = { "xlsx_too_many_entries",
		"Tệp chứa quá nhiều thành phần: hãy xoá các trang tính, hình ảnh và đối tượng không cần thiết rồi gửi lại" },
	[XLSX_ERR_ENTRY_TOO_LARGE] = { "xlsx_entry_too_large",
		"Một trang tính hoặc thành phần của tệp quá lớn: hãy xoá dữ liệu không cần thiết rồi gửi lại" },
	[XLSX_ERR_COMPRESSION_RATIO] = { "xlsx_compression_ratio",
		"Tệp bị nén bất thường và có thể gây hại: hãy mở tệp bằng Excel, lưu lại rồi gửi lại" },
	[XLSX_ERR_TOTAL_TOO_LARGE] = { "xlsx_total_too_large",
		"Dữ liệu trong tệp quá lớn: hãy xoá các trang tính và dữ liệu không cần thiết rồi gửi lại" },
	[XLSX_ERR_SST_TOO_LARGE] = { "xlsx_shared_strings_too_large",
		"Tệp chứa quá nhiều văn bản: hãy xoá các trang tính và dữ liệu không cần thiết rồi gửi lại" },
	[XLSX_ERR_NO_SUCH_SHEET] = { "xlsx_no_such_sheet",
		"Không tìm thấy trang tính cần đọc trong tệp: hãy dùng đúng mẫu báo cáo" },
	[XLSX_ERR_STOPPED] = { "xlsx_stopped",
		"Đã dừng đọc tệp" },
};

/* The English name of an error for logs and JSON. */
const char *xlsx_error_code(enum xlsx_error err)
{
	if ((unsigned)err >= XLSX_ERR_COUNT)
		return "xlsx_unknown";
	return errors[err].code;
}

/* The Vietnamese message for the user. */
const char *xlsx_error_message(enum xlsx_error err)
{
	if ((unsigned)err >= XLSX_ERR_COUNT)
		return "Lỗi không xác định khi đọc tệp .xlsx: hãy gửi lại tệp";
	return errors[err].message;
}

/* Records an English explanation of a failure and returns err. */
enum xlsx_error xlsx_fail(struct xlsx *x, enum xlsx_error err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(x->detail, sizeof x->detail, fmt, ap);
	va_end(ap);
	if (n < 0)
		x->detail[0] = '\0';
	return err;
}
