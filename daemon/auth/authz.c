/* Who may do what: one table of actions by role, scoped by series and unit. */
#include "authz.h"

#include <string.h>

/* How far a role reaches for one action. */
enum reach {
	NONE,		/* never */
	ANY,		/* always */
	OWN_UNIT,	/* only for the account's own unit */
	SERIES,		/* any unit of a series the account's unit consolidates */
	OTHER_UNIT,	/* a unit other than its own, of a series its unit consolidates */
	CONSOLIDATOR,	/* a series its unit consolidates */
	RECEIVER,	/* a series its unit receives the consolidated report of */
	RECEIVED_UNIT,	/* a unit other than its own, of a series its unit receives */
	CONSOLIDATED,	/* any unit (its own too) of a series its unit consolidates */
};

/* The table: one row per action, one column per role (reporter, coordinator, recipient,
 * admin). docs/access.md prints the same table for people. */
static const enum reach table[ACT_COUNT][4] = {
	/*                       reporter  coordinator recipient admin */
	[ACT_PUBLIC]          = { ANY,      ANY,        ANY,      ANY },
	[ACT_SIGNED_IN]       = { ANY,      ANY,        ANY,      ANY },
	[ACT_REPORT_READ]     = { OWN_UNIT, SERIES,     NONE,     NONE },
	[ACT_REPORT_VIEW]     = { OWN_UNIT, SERIES,     RECEIVED_UNIT, NONE },
	[ACT_REPORT_WRITE]    = { OWN_UNIT, OWN_UNIT,   NONE,     NONE },
	[ACT_REPORT_FILE_FOR] = { NONE,     OTHER_UNIT, NONE,     NONE },
	[ACT_REPORT_SEND]     = { ANY,      ANY,        NONE,     NONE },
	[ACT_REMIND]          = { NONE,     CONSOLIDATOR, NONE,   NONE },
	[ACT_REVIEW]          = { NONE,     CONSOLIDATED, NONE,   NONE },
	[ACT_EXTEND]          = { NONE,     CONSOLIDATED, NONE,   NONE },
	[ACT_BOARD_READ]      = { NONE,     CONSOLIDATOR, RECEIVER, NONE },
	[ACT_TIMELINE_READ]   = { OWN_UNIT, SERIES,     RECEIVED_UNIT, NONE },
	[ACT_CONSOLIDATE]     = { NONE,     CONSOLIDATOR, NONE,   NONE },
	[ACT_DELIVERED_READ]  = { NONE,     CONSOLIDATOR, RECEIVER, NONE },
	[ACT_DELIVERY_DETAIL] = { NONE,     CONSOLIDATOR, NONE,     ANY },
	[ACT_ACKNOWLEDGE]     = { NONE,     NONE,       RECEIVER, NONE },
	[ACT_CONSOL_DOCUMENT] = { NONE,     CONSOLIDATOR, NONE,     ANY },
	[ACT_CONSOL_DOCUMENT_READ] = { NONE, CONSOLIDATOR, RECEIVER, ANY },
	[ACT_ADMIN]           = { NONE,     NONE,       NONE,     ANY },
	[ACT_METRICS]         = { NONE,     NONE,       NONE,     ANY },
};

static const char *const action_names[ACT_COUNT] = {
	[ACT_PUBLIC] = "public",
	[ACT_SIGNED_IN] = "signed_in",
	[ACT_REPORT_READ] = "report.read",
	[ACT_REPORT_VIEW] = "report.view",
	[ACT_REPORT_WRITE] = "report.write",
	[ACT_REPORT_FILE_FOR] = "report.file_for",
	[ACT_REPORT_SEND] = "report.send",
	[ACT_REMIND] = "remind",
	[ACT_REVIEW] = "report.review",
	[ACT_EXTEND] = "report.extend",
	[ACT_BOARD_READ] = "board.read",
	[ACT_TIMELINE_READ] = "report.timeline",
	[ACT_CONSOLIDATE] = "consolidate",
	[ACT_DELIVERED_READ] = "consolidated.read",
	[ACT_DELIVERY_DETAIL] = "consolidated.deliveries",
	[ACT_ACKNOWLEDGE] = "consolidated.ack",
	[ACT_CONSOL_DOCUMENT] = "consolidated.document",
	[ACT_CONSOL_DOCUMENT_READ] = "consolidated.document.read",
	[ACT_ADMIN] = "admin",
	[ACT_METRICS] = "metrics",
};

/* The name of an action. */
const char *authz_action_name(enum authz_action a)
{
	return a >= 0 && a < ACT_COUNT ? action_names[a] : "unknown";
}

/* Whether the account's unit consolidates the series. */
static bool consolidates(const struct principal *p, const struct series_def *s)
{
	return s && s->consolidator && strcmp(s->consolidator, p->unit_code) == 0;
}

/* Whether the account's unit receives the series' consolidated report. */
static bool receives(const struct principal *p, const struct series_def *s)
{
	for (size_t i = 0; s && i < s->nrecipients; i++)
		if (strcmp(s->recipients[i], p->unit_code) == 0)
			return true;
	return false;
}

/* Judges one request against the table. */
enum authz_decision authz_may(const struct principal *p, enum authz_action a,
			      const struct series_def *s, const char *unit)
{
	if (a < 0 || a >= ACT_COUNT)
		return AUTHZ_DENY;
	if (a == ACT_PUBLIC)
		return AUTHZ_ALLOW;
	if (p == NULL || (unsigned)p->role > ROLE_ADMIN)
		return AUTHZ_DENY;
	bool own = unit != NULL && strcmp(unit, p->unit_code) == 0;
	switch (table[a][p->role]) {
	case ANY:
		return AUTHZ_ALLOW;
	case OWN_UNIT:
		return own ? AUTHZ_ALLOW : AUTHZ_DENY;
	case SERIES:
		return unit != NULL && (own || consolidates(p, s)) ? AUTHZ_ALLOW : AUTHZ_DENY;
	case OTHER_UNIT:
		return unit != NULL && !own && consolidates(p, s) ? AUTHZ_ALLOW : AUTHZ_DENY;
	case CONSOLIDATOR:
		return consolidates(p, s) ? AUTHZ_ALLOW : AUTHZ_DENY;
	case CONSOLIDATED:
		return unit != NULL && consolidates(p, s) ? AUTHZ_ALLOW : AUTHZ_DENY;
	case RECEIVER:
		return receives(p, s) ? AUTHZ_ALLOW : AUTHZ_DENY;
	case RECEIVED_UNIT:
		return unit != NULL && !own && receives(p, s) ? AUTHZ_ALLOW : AUTHZ_DENY;
	case NONE:
	default:
		return AUTHZ_DENY;
	}
}

/* Why an action is refused, for the person refused. */
const char *authz_refusal(const struct principal *p, enum authz_action a)
{
	if (a == ACT_METRICS)
		return "Chỉ quản trị viên, hoặc máy giám sát có địa chỉ trong metrics_allow, được "
		       "đọc số liệu giám sát.";
	if (a == ACT_ADMIN)
		return "Chỉ quản trị viên được làm việc này. Hãy liên hệ quản trị viên của hệ thống.";
	if (a == ACT_REMIND)
		return "Chỉ điều phối viên của đơn vị tổng hợp loại báo cáo này được gửi thư nhắc.";
	if (a == ACT_CONSOLIDATE)
		return "Chỉ điều phối viên của đơn vị tổng hợp loại báo cáo này được xem bảng theo "
		       "dõi, bản tổng hợp trực tiếp và bản khóa sổ, ghi đánh giá và phê duyệt.";
	if (a == ACT_CONSOL_DOCUMENT)
		return "Chỉ điều phối viên của đơn vị tổng hợp loại báo cáo này (hoặc quản trị viên) "
		       "được tải lên văn bản báo cáo tổng hợp đã ký số.";
	if (a == ACT_CONSOL_DOCUMENT_READ)
		return "Chỉ đơn vị nhận báo cáo tổng hợp, điều phối viên của đơn vị tổng hợp và quản "
		       "trị viên được tải văn bản báo cáo tổng hợp đã ký số.";
	if (a == ACT_DELIVERED_READ)
		return "Chỉ đơn vị nhận báo cáo tổng hợp (và điều phối viên của đơn vị tổng hợp) "
		       "được tải các bản đã gửi.";
	if (a == ACT_BOARD_READ)
		return "Chỉ điều phối viên của đơn vị tổng hợp và đơn vị nhận báo cáo tổng hợp của "
		       "loại báo cáo này được xem bảng theo dõi.";
	if (a == ACT_ACKNOWLEDGE)
		return "Chỉ đơn vị nhận báo cáo tổng hợp loại báo cáo này được xác nhận đã tiếp "
		       "nhận bản đã gửi.";
	if (a == ACT_REVIEW)
		return "Chỉ điều phối viên của đơn vị tổng hợp loại báo cáo này được trả lại hoặc "
		       "chấp nhận báo cáo của đơn vị.";
	if (a == ACT_EXTEND)
		return "Chỉ điều phối viên của đơn vị tổng hợp loại báo cáo này được gia hạn hoặc "
		       "thu hồi gia hạn gửi báo cáo cho đơn vị.";
	switch (p ? p->role : ROLE_REPORTER) {
	case ROLE_RECIPIENT:
		return "Tài khoản nhận báo cáo chỉ xem được báo cáo tổng hợp và, với loại báo cáo "
		       "đơn vị mình nhận, bảng theo dõi cùng báo cáo và văn bản của từng đơn vị; "
		       "không gửi, trả lại hay chấp nhận báo cáo.";
	case ROLE_ADMIN:
		return "Tài khoản quản trị không gửi hay xem báo cáo của đơn vị. Hãy dùng tài khoản "
		       "báo cáo của đơn vị đó.";
	case ROLE_COORDINATOR:
		return "Bạn chỉ điều phối loại báo cáo do đơn vị mình tổng hợp. Với loại báo cáo "
		       "khác, bạn chỉ được gửi và xem báo cáo của đơn vị mình.";
	case ROLE_REPORTER:
	default:
		return "Bạn chỉ được gửi và xem báo cáo của đơn vị mình. Nếu cần làm việc cho đơn "
		       "vị khác, hãy đề nghị quản trị viên cấp tài khoản của đơn vị đó.";
	}
}
