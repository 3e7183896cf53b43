/* Benchmark of the .xlsx reader: generates workbooks, reads them, and measures a bare floor. */
#include "util.h"
#include "xlsx_read.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>
#include <zip.h>

static const char *const UNITS[] = {
	"Sở Tài chính", "Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Nội vụ", "Sở Tư pháp",
	"UBND huyện Kỳ Anh", "UBND thị xã Hồng Lĩnh", "UBND huyện Hương Khê", "Công an tỉnh",
	"Sở Kế hoạch và Đầu tư", "Sở Xây dựng", "Sở Giao thông vận tải",
};
static const char *const STATUSES[] = { "Đúng hạn", "Trễ hạn", "Chưa nộp", "Đã duyệt" };

/* Seconds on the monotonic clock. */
static double now(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		abort();
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Peak resident memory of this process in KiB: VmHWM, which unlike getrusage()'s ru_maxrss
 * does not carry over the peak of the process image before exec. */
static long peak_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	if (fclose(f) != 0)
		return -1;
	return kib;
}

/* Writes a weekly-report-like workbook of rows x 10 cells with libxlsxwriter (shared strings). */
static int generate(const char *path, long rows)
{
	lxw_workbook *wb = workbook_new(path);
	if (wb == NULL)
		return 1;
	lxw_worksheet *ws = workbook_add_worksheet(wb, "Báo cáo tuần");
	lxw_format *date = workbook_add_format(wb);
	format_set_num_format(date, "dd/mm/yyyy");
	lxw_format *stamp = workbook_add_format(wb);
	format_set_num_format(stamp, "dd/mm/yyyy hh:mm");
	const char *head[] = { "Đơn vị", "Nội dung công việc", "Số hồ sơ", "Đã giải quyết", "Tỷ lệ",
			       "Kinh phí (triệu đồng)", "Hạn nộp", "Thời điểm nộp", "Tình trạng",
			       "Ghi chú" };
	for (int c = 0; c < 10; c++)
		worksheet_write_string(ws, 0, (lxw_col_t)c, head[c], NULL);
	char text[128];
	for (long r = 1; r <= rows; r++) {
		lxw_row_t row = (lxw_row_t)r;
		long n = (r * 7919) % 1000;
		worksheet_write_string(ws, row, 0, UNITS[r % nitems(UNITS)], NULL);
		snprintf(text, sizeof text, "Nhiệm vụ số %ld: rà soát hồ sơ thủ tục hành chính", r);
		worksheet_write_string(ws, row, 1, text, NULL);
		worksheet_write_number(ws, row, 2, (double)n, NULL);
		worksheet_write_number(ws, row, 3, (double)(n * 3 / 4), NULL);
		worksheet_write_number(ws, row, 4, n ? (double)(n * 3 / 4) / (double)n : 0, NULL);
		worksheet_write_number(ws, row, 5, (double)n * 1.37 + 0.01 * (double)(r % 100), NULL);
		lxw_datetime d = { 2026, 1 + (int)(r % 12), 1 + (int)(r % 28), 0, 0, 0 };
		worksheet_write_datetime(ws, row, 6, &d, date);
		lxw_datetime t = { 2026, 1 + (int)(r % 12), 1 + (int)(r % 28), (int)(r % 24),
				   (int)(r % 60), 0 };
		worksheet_write_datetime(ws, row, 7, &t, stamp);
		worksheet_write_string(ws, row, 8, STATUSES[r % nitems(STATUSES)], NULL);
		snprintf(text, sizeof text, "Ghi chú %ld", r % 5000);
		worksheet_write_string(ws, row, 9, text, NULL);
	}
	lxw_error err = workbook_close(wb);
	if (err != LXW_NO_ERROR) {
		fprintf(stderr, "libxlsxwriter: %s\n", lxw_strerror(err));
		return 1;
	}
	return 0;
}

/* Counts cells. */
static bool count_cell(const struct xlsx_cell *c, void *arg)
{
	(*(long *)arg)++;
	return true;
}

/* Reads every sheet of the file with our reader; returns the number of cells. */
static long read_ours(const char *path)
{
	struct xlsx *x;
	char *detail;
	enum xlsx_error err = xlsx_open_file(path, NULL, &x, &detail);
	if (err != XLSX_OK) {
		fprintf(stderr, "%s: %s\n", xlsx_error_code(err), detail);
		exit(1);
	}
	long cells = 0;
	for (size_t i = 0; i < xlsx_sheet_count(x); i++) {
		err = xlsx_sheet_read(x, i, count_cell, &cells);
		if (err != XLSX_OK) {
			fprintf(stderr, "%s: %s\n", xlsx_error_code(err), xlsx_detail(x));
			exit(1);
		}
	}
	xlsx_close(x);
	return cells;
}

/* The parts the floors read: those our reader reads for these files. */
static const char *const PARTS[] = {
	"_rels/.rels", "xl/_rels/workbook.xml.rels", "xl/workbook.xml", "xl/styles.xml",
	"xl/sharedStrings.xml", "xl/worksheets/sheet1.xml",
};

/* Empty expat handlers: the floor only tokenises. */
static void floor_start(void *ud, const XML_Char *name, const XML_Char **atts) {}
static void floor_end(void *ud, const XML_Char *name) {}
static void floor_text(void *ud, const XML_Char *s, int len) {}

/* The floor: libzip inflates and namespace-aware expat tokenises the parts our reader reads. */
static long read_floor(const char *path)
{
	const char *const *parts = PARTS;
	int zerr;
	zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
	if (z == NULL)
		exit(1);
	long bytes = 0;
	for (size_t i = 0; i < nitems(PARTS); i++) {
		zip_file_t *f = zip_fopen(z, parts[i], 0);
		if (f == NULL)
			continue;
		XML_Parser p = XML_ParserCreateNS(NULL, '\x01');
		XML_SetElementHandler(p, floor_start, floor_end);
		XML_SetCharacterDataHandler(p, floor_text);
		for (;;) {
			void *buf = XML_GetBuffer(p, 256 * 1024);
			zip_int64_t n = buf ? zip_fread(f, buf, 256 * 1024) : -1;
			if (n < 0 || XML_ParseBuffer(p, (int)n, n == 0) != XML_STATUS_OK)
				exit(1);
			bytes += n;
			if (n == 0)
				break;
		}
		XML_ParserFree(p);
		if (zip_fclose(f) != 0)
			exit(1);
	}
	zip_discard(z);
	return bytes;
}

/* The lower bound of any reader: libzip only inflates the same parts (and checks their CRC). */
static long read_inflate(const char *path)
{
	size_t size = 256 * 1024;
	char *buf = xmalloc(size);
	int zerr;
	zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
	if (z == NULL)
		exit(1);
	long bytes = 0;
	for (size_t i = 0; i < nitems(PARTS); i++) {
		zip_file_t *f = zip_fopen(z, PARTS[i], 0);
		if (f == NULL)
			continue;
		zip_int64_t n;
		while ((n = zip_fread(f, buf, size)) > 0)
			bytes += n;
		if (n < 0 || zip_fclose(f) != 0)
			exit(1);
	}
	zip_discard(z);
	free(buf);
	return bytes;
}

/* bench gen FILE ROWS | bench ours|floor|inflate FILE SECONDS: prints runs, seconds, cells, peak
 * KiB. */
int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "gen") == 0)
		return generate(argv[2], atol(argv[3]));
	if (argc != 4 || (strcmp(argv[1], "ours") != 0 && strcmp(argv[1], "floor") != 0 &&
			  strcmp(argv[1], "inflate") != 0)) {
		fprintf(stderr, "usage: %s gen FILE ROWS | ours|floor|inflate FILE SECONDS\n",
			argv[0]);
		return 2;
	}
	bool ours = strcmp(argv[1], "ours") == 0;
	bool inflate_only = strcmp(argv[1], "inflate") == 0;
	double budget = atof(argv[3]);
	long runs = 0, cells = 0;
	double t0 = now(), t;
	do {
		cells = ours ? read_ours(argv[2]) :
			inflate_only ? read_inflate(argv[2]) : read_floor(argv[2]);
		runs++;
		t = now() - t0;
	} while (t < budget);
	printf("{\"runs\": %ld, \"seconds\": %.6f, \"cells\": %ld, \"peak_kib\": %ld}\n", runs, t,
	       ours ? cells : 0, peak_kib());
	return 0;
}
