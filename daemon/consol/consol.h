/* The consolidated report of one period: what goes into it (loaded from the database by
 * consol_load.c) and the workbook written from it (consol_write.c). */
#ifndef BAOCAO_CONSOLIDATE_H
#define BAOCAO_CONSOLIDATE_H

#include "calendar.h"
#include "taskstatus.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Sheet names, exactly as the issue and the recipients know them. */
#define CONSOL_SHEET_SUMMARY "Tổng hợp"
#define CONSOL_SHEET_DETAIL "Chi tiết"
#define CONSOL_SHEET_BEHIND "Chậm tiến độ"
#define CONSOL_SHEET_PROPOSALS "Kiến nghị"
#define CONSOL_SHEET_MISSING "Chưa báo cáo"
#define CONSOL_SHEET_ASSESSMENT "Đánh giá"
#define CONSOL_SHEET_TIMELINESS "Chuyên cần"

/* Periods the "Chuyên cần" sheet looks back over (the current one included). */
#define CONSOL_HISTORY 12

/* A unit's state in the period. */
enum consol_state {
	CONSOL_ON_TIME,		/* its report arrived by the unit deadline */
	CONSOL_LATE,		/* it arrived after the deadline ("nộp muộn") */
	CONSOL_MISSING,		/* nothing arrived */
	CONSOL_RETURNED,	/* the coordinator returned it for correction */
};
#define CONSOL_NSTATES 4

/* One of a unit's past periods in "Chuyên cần". */
enum consol_mark {
	CONSOL_MARK_NONE,	/* the unit did not have to report then */
	CONSOL_MARK_ON_TIME,
	CONSOL_MARK_LATE,
	CONSOL_MARK_MISSING,
	CONSOL_MARK_EXTENDED,	/* on time only by the unit's extension ("G"): counted on time */
};

/* One report item: what a unit said about one task. */
struct consol_item {
	char *task_code;
	char *task_title;
	char *deadline_text;		/* "31/12/2026", "Thường xuyên" (never empty) */
	enum task_state state;		/* what the unit reported */
	enum task_status status;	/* the official status, derived */
	bool behind;			/* overdue, or not started though due this period */
	int progress;			/* 0-100, or -1 when not given */
	bool has_completed;
	cal_day completed_on;
	char *result;
	char *difficulties;
	char *proposals;
	char *note;
};

/* One unit that had to report. Its items may be in memory only while the writer writes them
 * (struct consol_batches); nitems and status_counts are always there. */
struct consol_unit {
	char *code;
	char *name;
	char *group;			/* "so-nganh" */
	enum consol_state state;
	bool late;			/* the report in use arrived after the deadline */
	char *extension;		/* on time only by the unit's extension: "gia hạn đến 17:00
					   04/12/2026"; NULL otherwise */
	bool supplement;		/* that report came after the cut-off ("bổ sung") */
	char *received_at;		/* "10:42 11/12/2026" local time, or NULL when missing */
	int version;			/* the submission's version, 0 when missing */
	char *comment;			/* the coordinator's comment when returned, or NULL */
	char *document;			/* its document with the report: "Không có văn bản", "Không
					   có chữ ký số" or the signature line; NULL when missing */
	char **emails;			/* contacts ("head:" prefix removed) */
	size_t nemails;
	char *general_difficulties;	/* "" when none */
	char *general_proposals;
	struct consol_item *items;	/* NULL outside its batch when read in batches */
	size_t nitems;
	unsigned status_counts[4];	/* items by enum task_status */
	enum consol_mark history[CONSOL_HISTORY];	/* [0, nhistory): oldest first; the
							   last, [nhistory - 1], is this period */
};

/* A group of units, in the order the document lists them. */
struct consol_group {
	char *name;			/* "so-nganh" */
	char *title;			/* "Sở, ban, ngành" */
};

/* The document header's kind (series "header"). */
enum consol_header {
	CONSOL_HEADER_STATE,		/* Nghị định 30/2020/NĐ-CP */
	CONSOL_HEADER_PARTY,		/* Hướng dẫn 36-HD/VPTW */
};

/* Which edition a workbook is. */
enum consol_edition {
	CONSOL_LIVE,			/* from what is there now */
	CONSOL_CUTOFF,			/* the draft frozen at the unit deadline */
	CONSOL_FINAL,			/* approved (or automatic) and delivered */
};

struct consol_doc {
	enum consol_header header;
	enum consol_edition edition;
	int version;			/* final: 1, 2 ... (above 1: "bổ sung"); else 0 */
	char *parent_body;		/* "UBND TỈNH HÀ TĨNH" (state); "ĐẢNG BỘ TỈNH HÀ TĨNH" (party) */
	char *issuing_body;		/* "SỞ KHOA HỌC VÀ CÔNG NGHỆ" */
	char *number;			/* "Số: ......./BC-SKHCN" */
	char *place;			/* "Hà Tĩnh" */
	cal_day date;			/* the document's date */
	char *subject;			/* "Tổng hợp kết quả ... tuần 50 (từ 07/12/2026 đến 13/12/2026)" */
	char *series_name;		/* "nq57-weekly" */
	char *period_key;		/* "2026-W50" */
	char *deadline_text;		/* "11 giờ 00, thứ Sáu, ngày 11/12/2026" */
	char *built_at_text;		/* "11 giờ 00, ngày 11/12/2026": when the data was read */
	char *assessment;		/* the coordinator's text, "" when none */
	char *approved_by;		/* display name, or NULL */
	char *approved_at_text;		/* "14 giờ 05, ngày 11/12/2026", or NULL */
	bool automatic;			/* delivered without approval: "tự động" */
	char **recipients;		/* names for "Nơi nhận:" */
	size_t nrecipients;
	char *archive_code;		/* "- Lưu: VT, SKHCN." tail: the consolidator's code */
	char *signer_title;		/* "GIÁM ĐỐC", "KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC"; NULL: the first */
	struct consol_group *groups;
	size_t ngroups;
	struct consol_unit *units;	/* grouped by group (in groups' order), then by name */
	size_t nunits;
	char *history_labels[CONSOL_HISTORY];	/* [0, nhistory): "T50/2026", "12/2026" ...,
						   oldest first; the rest NULL */
	size_t nhistory;		/* periods in history (<= CONSOL_HISTORY) */
	time_t created;			/* the workbook's creation time (its properties) */
};

/* Frees everything a consol_doc owns (what consol_load filled, or a test's fixture made with
 * the library's allocator). */
void consol_doc_free(struct consol_doc *doc);

/* Counts over the units: expected, and by enum consol_state. */
struct consol_totals {
	unsigned expected;
	unsigned by_state[CONSOL_NSTATES];
	unsigned by_status[4];		/* items by enum task_status */
	unsigned items;
};
void consol_totals(const struct consol_doc *doc, struct consol_totals *out);
/* "Hà Tĩnh, ngày 05 tháng 01 năm 2026" (new string): Nghị định 30/2020 pads the day below 10
 * and the months 1 and 2. */
char *consol_place_date(const struct consol_doc *doc);
/* The number as the header's kind writes it: "Số: ......./BC-SKHCN" (state), "Số
 * .......-BC/VPTU" (party) (new string). */
char *consol_number_text(const struct consol_doc *doc);

/* The largest workbook the daemon builds and keeps (bytes). */
#define CONSOL_FILE_MAX (256u << 20)

/* consol_write_xlsx()'s result when the written file fails the well-formedness check. */
#define CONSOL_INVALID (-2)

/*
 * Writes the workbook (libxlsxwriter, in a private temporary folder under $TMPDIR) and returns
 * its bytes in *data (free them). The same doc gives a byte-identical file. Texts outside the
 * text rule (xmltext.h) are written with U+FFFD. Returns 0, or -1 with *err (English) on
 * failure, CONSOL_INVALID with *err when an XML part of the written file is not well-formed
 * (xlsxw_check: then no bytes are returned). Every unit's items are in doc.
 */
int consol_write_xlsx(const struct consol_doc *doc, unsigned char **data, size_t *len,
		      char **err);

/*
 * The units' items handed to the writer a run of units at a time, so that a document's memory
 * does not grow with its items: the document holds every unit with its counts (nitems,
 * status_counts: "Tổng hợp" comes first) but not its items; fill gives units [from, *to) their
 * items (from < *to <= nunits), 0 or -1 with *err; drop takes them back once written (items
 * NULL again).
 */
struct consol_batches {
	int (*fill)(void *ctx, size_t from, size_t *to, char **err);
	void (*drop)(void *ctx, size_t from, size_t to);
	void *ctx;
};

/* consol_write_xlsx() with the items given by batches (doc is the document they fill). */
int consol_write_xlsx_batched(const struct consol_doc *doc, const struct consol_batches *b,
			      unsigned char **data, size_t *len, char **err);
/*
 * consol_write_xlsx_batched() without its check: the caller runs consol_check_xlsx() on the
 * bytes (the cut-off while it stores them) and keeps nothing that fails it.
 */
int consol_write_xlsx_unchecked(const struct consol_doc *doc, const struct consol_batches *b,
				unsigned char **data, size_t *len, char **err);
/* The check of a written workbook: every XML part well-formed (else CONSOL_INVALID), then
 * its sheets as our reader reads them (else -1); 0 when it passes. Safe on any thread. */
int consol_check_xlsx(const unsigned char *data, size_t len, char **err);

/*
 * Writes the report's .docx draft (consol_docx.c) in the layout of Nghị định 30/2020: the
 * header, "BÁO CÁO" and the subject, the counts and lists of units late and missing, the
 * results and the difficulties and proposals by group, the assessment, "Nơi nhận" and the
 * signer's title ([report] signer_title). Texts outside the text rule are written with
 * U+FFFD. Returns 0 with *data (free it) and *len, or -1 with *err (English).
 */
int consol_write_docx(const struct consol_doc *doc, unsigned char **data, size_t *len,
		      char **err);
/* consol_write_docx() with the items given by batches (one pass). */
int consol_write_docx_batched(const struct consol_doc *doc, const struct consol_batches *b,
			      unsigned char **data, size_t *len, char **err);

/* ---- from the database (consol_load.c) ---- */

struct period_info;

/* How the submissions of a consolidation are chosen. */
enum consol_source {
	CONSOL_FROM_NOW,	/* each expected unit's current submission (live, final) */
	CONSOL_FROM_DEADLINE,	/* its latest submission received by the unit deadline (cut-off) */
	CONSOL_FROM_STORED,	/* the entries kept with a stored consolidation */
};

/* Which submission of one expected unit goes in (0: none). */
struct consol_entry {
	long long unit_id;
	long long submission_id;
	enum consol_state state;
};

struct consol_entries {
	struct consol_entry *items;
	size_t n;
};

/* Chooses the entries of a period (consolidation_id: with CONSOL_FROM_STORED). 0 or -1. */
int consol_entries_load(PGconn *conn, long long period_id, enum consol_source src,
			long long consolidation_id, struct consol_entries *out, char **err);
void consol_entries_free(struct consol_entries *e);
/* "on_time", "late", "missing", "returned". */
const char *consol_state_code(enum consol_state state);

/* What the document says beyond the units' reports. */
struct consol_meta {
	enum consol_edition edition;
	int version;			/* final: 1, 2, ... */
	time_t built_at;		/* when the data was read */
	time_t created;			/* the workbook's creation time */
	const char *approved_by;	/* display name, or NULL */
	time_t approved_at;
	bool automatic;
	long long assessment_id;	/* 0: the newest one, if any */
};

/* The report items of a loaded document, still in the database. */
struct consol_feed;

/*
 * Loads the document of a period from the chosen entries, with the units' counts but without
 * their items: *feed reads them a batch of units at a time while the workbook is written
 * (consol_feed_batches), so memory does not grow with the number of items. Returns 0, or -1
 * with *err. The feed uses conn and out until consol_feed_free().
 */
int consol_load(PGconn *conn, const struct period_info *pi, const struct consol_entries *e,
		const struct consol_meta *meta, struct consol_doc *out, struct consol_feed **feed,
		char **err);
/* The writer's batches read from the feed. */
void consol_feed_batches(struct consol_feed *feed, struct consol_batches *out);
/* Frees the feed, and a batch of items it still holds (before consol_doc_free(): the items'
 * texts are in the feed's rows). */
void consol_feed_free(struct consol_feed *feed);

#endif
