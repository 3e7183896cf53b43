/* The consolidated report of the tests: three groups, units in every state, overdue and behind
 * items, Vietnamese text, an assessment of several paragraphs, every kind of history mark.
 * Included by tests/unit/test_consolidate.c and tests/xlsx/consolidated_fixture.c. */
#include "consol.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The fixture's creation time: 2026-12-11 08:30:00 UTC (15:30 in Hà Tĩnh). */
#define FIXTURE_CREATED ((time_t)1796977800)

/* One item of the fixture. */
struct fx_item {
	const char *code, *title, *deadline;
	enum task_state state;
	enum task_status status;
	bool behind;
	int progress;
	const char *result, *difficulties, *proposals, *note;
};

/* One unit of the fixture; its items end with a NULL code. */
struct fx_unit {
	const char *code, *name, *group;
	enum consol_state state;
	const char *received_at, *comment, *emails[3];
	const char *general_difficulties, *general_proposals;
	enum consol_mark history[6];
	struct fx_item items[4];
};

#define ON CONSOL_MARK_ON_TIME
#define LA CONSOL_MARK_LATE
#define MI CONSOL_MARK_MISSING
#define NO CONSOL_MARK_NONE

static const struct fx_unit fx_units[] = {
	{ "SNV", "Sở Nội vụ", "so-nganh", CONSOL_ON_TIME, "09:12 11/12/2026", NULL,
	  { "snv@hatinh.gov.vn" }, "", "", { ON, ON, LA, ON, ON, ON },
	  { { "NQ57-01", "Hoàn thiện thể chế về chuyển đổi số trong cơ quan nhà nước", "31/12/2026",
	      TASK_STATE_DONE, TASK_DONE_ON_TIME, false, 100,
	      "Đã ban hành Quyết định số 12/QĐ-SNV ngày 05/12/2026.", "", "", "" },
	    { "NQ57-02", "Số hóa hồ sơ cán bộ, công chức, viên chức", "Thường xuyên",
	      TASK_STATE_IN_PROGRESS, TASK_IN_PROGRESS_ON_TIME, false, 60,
	      "Đã số hóa 1.240/2.000 hồ sơ.", "Thiếu máy quét tốc độ cao.",
	      "Đề nghị bổ sung kinh phí mua 02 máy quét.", "" },
	    { "NQ57-03", "Kết nối cơ sở dữ liệu cán bộ với hệ thống quốc gia", "30/11/2026",
	      TASK_STATE_IN_PROGRESS, TASK_OVERDUE, true, 40,
	      "Đang chờ Bộ Nội vụ cấp tài khoản kết nối.", "Chưa có hướng dẫn kỹ thuật.", "",
	      "Quá hạn 11 ngày" } } },
	{ "STC", "Sở Tài chính", "so-nganh", CONSOL_LATE, "14:02 11/12/2026", NULL,
	  { "stc@hatinh.gov.vn", "giamdoc.stc@hatinh.gov.vn" },
	  "Biên chế công nghệ thông tin mỏng.",
	  "Đề nghị tỉnh ưu tiên tuyển dụng kỹ sư công nghệ thông tin.", { ON, LA, LA, ON, MI, LA },
	  { { "NQ57-04", "Bố trí kinh phí chuyển đổi số năm 2027", "Quý IV/2026",
	      TASK_STATE_NOT_STARTED, TASK_IN_PROGRESS_ON_TIME, false, -1, "", "", "", "" },
	    { "NQ57-05", "Thanh toán không dùng tiền mặt trong thu ngân sách", "15/12/2026",
	      TASK_STATE_DONE, TASK_DONE_ON_TIME, false, 100, "Đạt 92% giao dịch.", "", "",
	      "" } } },
	{ "SYT", "Sở Y tế", "so-nganh", CONSOL_MISSING, NULL, NULL,
	  { "syt@hatinh.gov.vn", "giamdoc.syt@hatinh.gov.vn" }, "", "", { MI, ON, MI, LA, MI, MI },
	  { { NULL } } },
	{ "SGDDT", "Sở Giáo dục và Đào tạo", "so-nganh", CONSOL_RETURNED, "10:30 11/12/2026",
	  "Thiếu số liệu nhiệm vụ NQ57-06; đề nghị bổ sung trước 15 giờ.", { "sgddt@hatinh.gov.vn" },
	  "", "", { NO, NO, ON, ON, LA, ON },
	  { { "NQ57-06", "Triển khai học bạ số ở các trường trung học phổ thông", "31/12/2026",
	      TASK_STATE_IN_PROGRESS, TASK_IN_PROGRESS_ON_TIME, false, 75, "", "", "", "" } } },
	{ "P-THANH-SEN", "Phường Thành Sen", "xa-phuong", CONSOL_ON_TIME, "08:05 11/12/2026",
	  NULL, { "thanhsen@hatinh.gov.vn" }, "", "Đề nghị tập huấn cho cán bộ một cửa.",
	  { ON, ON, ON, ON, ON, ON },
	  { { "NQ57-07", "Vận hành bộ phận một cửa số", "Thường xuyên", TASK_STATE_IN_PROGRESS,
	      TASK_IN_PROGRESS_ON_TIME, false, 80, "Tiếp nhận 312 hồ sơ trực tuyến.", "", "", "" },
	    { "NQ57-08", "Lắp đặt wifi công cộng tại nhà văn hóa tổ dân phố", "10/12/2026",
	      TASK_STATE_NOT_STARTED, TASK_OVERDUE, true, 0, "", "Chưa được cấp kinh phí.",
	      "Đề nghị phân bổ kinh phí trong tháng 12.", "" },
	    { "NQ57-09", "Tuyên truyền kỹ năng số cho người dân", "11/12/2026",
	      TASK_STATE_NOT_STARTED, TASK_IN_PROGRESS_ON_TIME, true, -1, "", "", "", "" } } },
	{ "X-THACH-HA", "Xã Thạch Hà", "xa-phuong", CONSOL_MISSING, NULL, NULL, { NULL }, "", "",
	  { NO, MI, MI, LA, ON, MI }, { { NULL } } },
	{ "X-CAM-XUYEN", "Xã Cẩm Xuyên", "xa-phuong", CONSOL_LATE, "11:40 11/12/2026", NULL,
	  { "camxuyen@hatinh.gov.vn" }, "", "", { LA, LA, ON, LA, ON, LA },
	  { { "NQ57-10", "Chuyển đổi số trong nông nghiệp: sàn thương mại điện tử cho sản phẩm OCOP",
	      "30/11/2026", TASK_STATE_DONE, TASK_DONE_LATE, false, 100,
	      "Đưa 14 sản phẩm OCOP lên sàn \"Hà Tĩnh Mart\" & Postmart.", "", "", "" } } },
	{ "BTGDV", "Ban Tuyên giáo và Dân vận Tỉnh ủy", "dang-doan-the", CONSOL_ON_TIME,
	  "10:59 11/12/2026", NULL, { "btgdv@hatinh.org.vn" }, "", "", { ON, ON, ON, NO, ON, ON },
	  { { "NQ57-11", "Tuyên truyền Nghị quyết 57-NQ/TW trên báo chí", "Năm 2026",
	      TASK_STATE_DONE, TASK_DONE_ON_TIME, false, 100,
	      "Đăng 46 tin, bài; 3 chuyên mục trên Báo Hà Tĩnh.", "", "", "" } } },
};
#define FX_NUNITS (sizeof fx_units / sizeof fx_units[0])

/* A copy of text; NULL stays NULL. */
static char *fx_dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Fills doc with the fixture (free it with consol_doc_free). */
static void fixture_doc(struct consol_doc *doc, enum consol_header header,
			enum consol_edition edition, int version)
{
	memset(doc, 0, sizeof *doc);
	doc->header = header;
	doc->edition = edition;
	doc->version = version;
	bool party = header == CONSOL_HEADER_PARTY;
	doc->parent_body = xstrdup(party ? "ĐẢNG BỘ TỈNH HÀ TĨNH" : "UBND TỈNH HÀ TĨNH");
	doc->issuing_body = xstrdup(party ? "VĂN PHÒNG TỈNH ỦY" : "SỞ KHOA HỌC VÀ CÔNG NGHỆ");
	doc->number = xstrdup(party ? "Số 127-BC/VPTU" : "Số: ......./BC-SKHCN");
	doc->place = xstrdup("Hà Tĩnh");
	doc->date = cal_from_ymd(2026, 12, 11);
	doc->subject = xstrdup("Tổng hợp kết quả thực hiện Nghị quyết số 57-NQ/TW về đột phá phát "
			       "triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia, "
			       "tuần 50 (từ 07/12/2026 đến 13/12/2026)");
	doc->series_name = xstrdup("nq57-weekly");
	doc->period_key = xstrdup("2026-W50");
	doc->deadline_text = xstrdup("11 giờ 00, thứ Sáu, ngày 11/12/2026");
	doc->built_at_text = xstrdup("11 giờ 00, ngày 11/12/2026");
	doc->assessment = xstrdup(
		"Trong tuần, các đơn vị cơ bản gửi báo cáo đúng hạn; 02 đơn vị nộp muộn, 02 đơn vị "
		"chưa báo cáo.\n\nNhiệm vụ số hóa hồ sơ và kết nối cơ sở dữ liệu còn chậm do thiếu "
		"thiết bị và hướng dẫn kỹ thuật.\r\nĐề nghị Ban Chỉ đạo đôn đốc Sở Y tế và Xã Thạch "
		"Hà báo cáo bổ sung trước ngày 15/12/2026.");
	if (edition == CONSOL_FINAL) {
		doc->approved_by = xstrdup("Nguyễn Văn Hùng");
		doc->approved_at_text = xstrdup("14 giờ 05, ngày 11/12/2026");
	}
	doc->nrecipients = 3;
	doc->recipients = xcalloc(3, sizeof *doc->recipients);
	doc->recipients[0] = xstrdup("Thường trực Ban Chỉ đạo tỉnh");
	doc->recipients[1] = xstrdup("Văn phòng Tỉnh ủy");
	doc->recipients[2] = xstrdup("Giám đốc, các Phó Giám đốc Sở");
	doc->archive_code = xstrdup("SKHCN");
	static const char *const groups[][2] = {
		{ "so-nganh", "Sở, ban, ngành" },
		{ "xa-phuong", "Xã, phường" },
		{ "dang-doan-the", "Cơ quan Đảng, Mặt trận Tổ quốc và đoàn thể" },
	};
	doc->ngroups = 3;
	doc->groups = xcalloc(3, sizeof *doc->groups);
	for (size_t g = 0; g < 3; g++) {
		doc->groups[g].name = xstrdup(groups[g][0]);
		doc->groups[g].title = xstrdup(groups[g][1]);
	}
	static const char *const labels[] = { "T45", "T46", "T47", "T48", "T49", "T50" };
	doc->nhistory = 6;
	for (size_t i = 0; i < 6; i++)
		doc->history_labels[i] = xstrdup(labels[i]);
	doc->nunits = FX_NUNITS;
	doc->units = xcalloc(FX_NUNITS, sizeof *doc->units);
	for (size_t i = 0; i < FX_NUNITS; i++) {
		const struct fx_unit *f = &fx_units[i];
		struct consol_unit *u = &doc->units[i];
		u->code = xstrdup(f->code);
		u->name = xstrdup(f->name);
		u->group = xstrdup(f->group);
		u->state = f->state;
		u->late = f->state == CONSOL_LATE;
		u->received_at = fx_dup(f->received_at);
		u->version = f->received_at ? 1 : 0;
		u->comment = fx_dup(f->comment);
		/* the document: signed, unsigned and without one, in turn, for the units that sent */
		static const char *const docs[] = {
			"Ký số hợp lệ — Nguyễn Văn A, Sở Nội vụ, 10 giờ 42 ngày 04/12/2026",
			"Không có chữ ký số", "Không có văn bản",
		};
		u->document = f->received_at ? xstrdup(docs[i % 3]) : NULL;
		while (u->nemails < 3 && f->emails[u->nemails])
			u->nemails++;
		u->emails = xcalloc(u->nemails + 1, sizeof *u->emails);
		for (size_t k = 0; k < u->nemails; k++)
			u->emails[k] = xstrdup(f->emails[k]);
		u->general_difficulties = xstrdup(f->general_difficulties);
		u->general_proposals = xstrdup(f->general_proposals);
		memcpy(u->history, f->history, sizeof f->history);
		while (u->nitems < 4 && f->items[u->nitems].code)
			u->nitems++;
		u->items = xcalloc(u->nitems + 1, sizeof *u->items);
		for (size_t k = 0; k < u->nitems; k++) {
			const struct fx_item *fi = &f->items[k];
			struct consol_item *it = &u->items[k];
			it->task_code = xstrdup(fi->code);
			it->task_title = xstrdup(fi->title);
			it->deadline_text = xstrdup(fi->deadline);
			it->state = fi->state;
			it->status = fi->status;
			it->behind = fi->behind;
			it->progress = fi->progress;
			it->has_completed = fi->state == TASK_STATE_DONE;
			it->completed_on = cal_from_ymd(2026, 12, 5);
			it->result = xstrdup(fi->result);
			it->difficulties = xstrdup(fi->difficulties);
			it->proposals = xstrdup(fi->proposals);
			it->note = xstrdup(fi->note);
			u->status_counts[it->status]++;
		}
	}
	doc->created = FIXTURE_CREATED;
}

/* A large document for the benchmark: units × items of made-up but plausible text. */
__attribute__((unused)) static void fixture_big(struct consol_doc *doc, size_t units,
						size_t items)
{
	fixture_doc(doc, CONSOL_HEADER_STATE, CONSOL_FINAL, 1);
	struct consol_doc fixture_units = { .units = doc->units, .nunits = doc->nunits };
	consol_doc_free(&fixture_units);	/* replaced by the made-up units */
	doc->units = xcalloc(units, sizeof *doc->units);
	doc->nunits = units;
	for (size_t i = 0; i < units; i++) {
		struct consol_unit *u = &doc->units[i];
		u->code = xasprintf("DV-%05zu", i + 1);
		u->name = xasprintf("Đơn vị số %zu của tỉnh Hà Tĩnh", i + 1);
		u->group = xstrdup(doc->groups[i * 3 / units].name);
		u->state = (enum consol_state)(i % 50 == 3 ? CONSOL_MISSING : i % 5 == 1 ? CONSOL_LATE
						   : CONSOL_ON_TIME);
		u->late = u->state == CONSOL_LATE;
		u->received_at = u->state == CONSOL_MISSING ? NULL : xstrdup("10:42 11/12/2026");
		u->nemails = 1;
		u->emails = xcalloc(1, sizeof *u->emails);
		u->emails[0] = xasprintf("dv%05zu@hatinh.gov.vn", i + 1);
		u->general_difficulties = xstrdup("");
		u->general_proposals = xstrdup(i % 10 == 0 ? "Đề nghị hỗ trợ kinh phí." : "");
		for (size_t k = 0; k < CONSOL_HISTORY; k++)
			u->history[k] = (enum consol_mark)((i + k) % 4);
		u->nitems = u->state == CONSOL_MISSING ? 0 : items;
		u->items = xcalloc(u->nitems + 1, sizeof *u->items);
		for (size_t k = 0; k < u->nitems; k++) {
			struct consol_item *it = &u->items[k];
			it->task_code = xasprintf("NQ57-%02zu", k + 1);
			it->task_title = xasprintf("Nhiệm vụ số %zu: triển khai các giải pháp chuyển "
						   "đổi số trong lĩnh vực quản lý nhà nước của đơn vị",
						   k + 1);
			it->deadline_text = xstrdup(k % 3 ? "31/12/2026" : "Thường xuyên");
			it->status = (enum task_status)((i + k) % 4);
			it->behind = it->status == TASK_OVERDUE;
			it->progress = (int)((i * 7 + k * 13) % 101);
			it->result = xasprintf("Đã thực hiện được %d%% khối lượng công việc theo kế "
					       "hoạch.", it->progress);
			it->difficulties = xstrdup(k % 9 == 0 ? "Thiếu nhân lực chuyên trách." : "");
			it->proposals = xstrdup(k % 11 == 0 ? "Đề nghị tập huấn." : "");
			it->note = xstrdup("");
			u->status_counts[it->status]++;
		}
	}
}
