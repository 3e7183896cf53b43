/* Who may do what: one table of actions by role, scoped by series and unit. */
#ifndef BAOCAO_AUTHZ_H
#define BAOCAO_AUTHZ_H

#include "auth.h"
#include "series.h"

#include <stdbool.h>

/* What a route does, as the table below judges it. Every route names one. */
enum authz_action {
	ACT_PUBLIC,		/* anyone, without credentials */
	ACT_SIGNED_IN,		/* any signed-in account, about itself */
	ACT_REPORT_READ,	/* a unit's report, its versions, its file, its workbook */
	ACT_REPORT_VIEW,	/* a unit's report in force, its workbook file and its document */
	ACT_REPORT_WRITE,	/* a unit's own report */
	ACT_REPORT_FILE_FOR,	/* a coordinator filing a report on a member unit's behalf */
	ACT_REPORT_SEND,	/* a workbook sent alone: then report.write (or file_for) for
				 * the unit, series and period it names */
	ACT_REMIND,		/* reminding the units of a series that have not reported */
	ACT_REVIEW,		/* returning a unit's report for correction, or accepting it */
	ACT_EXTEND,		/* granting a unit a later deadline for a period, taking it back */
	ACT_BOARD_READ,		/* the board of a period: who reported, when, their documents */
	ACT_TIMELINE_READ,	/* a unit's timeline in a period: reminders, versions, reviews... */
	ACT_CONSOLIDATE,	/* the live and cut-off workbooks, assessment, approval */
	ACT_DELIVERED_READ,	/* the delivered (final) workbooks and their list */
	ACT_DELIVERY_DETAIL,	/* every delivery of them: folder, URL, addresses, errors */
	ACT_ACKNOWLEDGE,	/* marking a delivered version received ("Đã tiếp nhận") */
	ACT_CONSOL_DOCUMENT,	/* the signed document (PDF) of a final version: uploading it */
	ACT_CONSOL_DOCUMENT_READ,	/* reading it (recipients: of approved versions only) */
	ACT_ADMIN,		/* administration */
	ACT_METRICS,		/* the monitoring figures (also without an account from metrics_allow) */
	ACT_COUNT
};

/* The answer of authz_may. */
enum authz_decision {
	AUTHZ_DENY,
	AUTHZ_ALLOW,
};

/* The name of an action ("report.read"), for logs, docs and the route listing. */
const char *authz_action_name(enum authz_action a);

/*
 * Whether p may do a in series s (NULL when the route names none) to unit (a unit code, NULL
 * when the route is not about a unit). Roles are scoped: a reporter acts for its own unit;
 * a coordinator is an account of the series' consolidating unit and reads every unit's
 * reports of that series; a recipient is an account of one of the series' recipient units
 * and reads the reports delivered to it, the board and each unit's report and document
 * (read only);
 * an admin administers. Membership of the unit in the series is the caller's to check.
 */
enum authz_decision authz_may(const struct principal *p, enum authz_action a,
			      const struct series_def *s, const char *unit);

/* A Vietnamese sentence telling p why a is refused and what to do instead. */
const char *authz_refusal(const struct principal *p, enum authz_action a);

#endif
