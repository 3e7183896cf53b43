/* The consolidated report's data: freeing it, counting over it, the header's number and date
 * as every written form of it gives them. */
#include "consol.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Frees what one report item owns. */
static void item_free(struct consol_item *it)
{
	free(it->task_code);
	free(it->task_title);
	free(it->deadline_text);
	free(it->result);
	free(it->difficulties);
	free(it->proposals);
	free(it->note);
}

/* Frees a unit's items, if it holds them. */
static void unit_free_items(struct consol_unit *u)
{
	if (u->items == NULL)
		return;
	for (size_t i = 0; i < u->nitems; i++)
		item_free(&u->items[i]);
	free(u->items);
	u->items = NULL;
}

/* Frees what one unit owns, its items included. */
static void unit_free(struct consol_unit *u)
{
	free(u->code);
	free(u->name);
	free(u->group);
	free(u->received_at);
	free(u->extension);
	free(u->comment);
	free(u->document);
	for (size_t i = 0; i < u->nemails; i++)
		free(u->emails[i]);
	free(u->emails);
	free(u->general_difficulties);
	free(u->general_proposals);
	unit_free_items(u);
}

/* Frees everything the document owns and leaves it zeroed (freeing it twice is harmless). */
void consol_doc_free(struct consol_doc *doc)
{
	if (doc == NULL)
		return;
	free(doc->parent_body);
	free(doc->issuing_body);
	free(doc->number);
	free(doc->place);
	free(doc->subject);
	free(doc->series_name);
	free(doc->period_key);
	free(doc->deadline_text);
	free(doc->built_at_text);
	free(doc->assessment);
	free(doc->approved_by);
	free(doc->approved_at_text);
	for (size_t i = 0; i < doc->nrecipients; i++)
		free(doc->recipients[i]);
	free(doc->recipients);
	free(doc->archive_code);
	free(doc->signer_title);
	for (size_t i = 0; i < doc->ngroups; i++) {
		free(doc->groups[i].name);
		free(doc->groups[i].title);
	}
	free(doc->groups);
	for (size_t i = 0; i < doc->nunits; i++)
		unit_free(&doc->units[i]);
	free(doc->units);
	for (size_t i = 0; i < CONSOL_HISTORY; i++)
		free(doc->history_labels[i]);
	memset(doc, 0, sizeof *doc);
}

/* Counts the units by state and their items by official status (the units' status_counts). */
void consol_totals(const struct consol_doc *doc, struct consol_totals *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < doc->nunits; i++) {
		const struct consol_unit *u = &doc->units[i];
		out->expected++;
		if ((unsigned)u->state < CONSOL_NSTATES)
			out->by_state[u->state]++;
		for (int s = 0; s < 4; s++)
			out->by_status[s] += u->status_counts[s];
		out->items += (unsigned)u->nitems;
	}
}

/* "Hà Tĩnh, ngày 05 tháng 01 năm 2026": Nghị định 30/2020 writes a day below 10 and the
 * months 1 and 2 with a leading zero, the other months without. */
char *consol_place_date(const struct consol_doc *doc)
{
	int y, m, d;
	cal_to_ymd(doc->date, &y, &m, &d);
	return xasprintf("%s, ngày %02d tháng %s%d năm %d", doc->place ? doc->place : "", d,
			 m <= 2 ? "0" : "", m, y);
}

/* The number as the header's kind writes it: "Số: 12/BC-SKHCN" (state), "Số 12-BC/VPTU"
 * (party, without the colon), whether or not the document's text starts with "Số". */
char *consol_number_text(const struct consol_doc *doc)
{
	const char *n = doc->number ? doc->number : "";
	if (str_has_prefix(n, "Số"))
		n += strlen("Số");
	while (*n == ':' || *n == ' ')
		n++;
	return xasprintf(doc->header == CONSOL_HEADER_PARTY ? "Số %s" : "Số: %s", n);
}
