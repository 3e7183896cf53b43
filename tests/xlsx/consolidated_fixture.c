/* Writes the tests' consolidated workbook to a file, and what it must contain as JSON, for the
 * checks with openpyxl and LibreOffice (tests/xlsx/consolidated.py) and for looking at it.
 *   consolidated_fixture [--party] [--edition live|cutoff|final] [--version N]
 *                        [--big UNITS ITEMS] [--json FILE] OUT.xlsx */
#include "../unit/consolidate_fixture.c"

#include "consol_xlsx.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes the fixture's facts the readers check: sheet names, counts, units and their items. */
static int write_json(const struct consol_doc *doc, const char *path)
{
	struct consol_totals t;
	consol_totals(doc, &t);
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb);
	json_object_begin(&j);
	json_key(&j, "sheets");
	json_array_begin(&j);
	const char *sheets[] = { CONSOL_SHEET_SUMMARY, CONSOL_SHEET_DETAIL, CONSOL_SHEET_BEHIND,
				 CONSOL_SHEET_PROPOSALS, CONSOL_SHEET_MISSING,
				 CONSOL_SHEET_ASSESSMENT, CONSOL_SHEET_TIMELINESS };
	for (size_t i = 0; i < sizeof sheets / sizeof sheets[0]; i++)
		json_string(&j, sheets[i]);
	json_array_end(&j);
	json_kv_int(&j, "expected", t.expected);
	json_key(&j, "by_state");
	json_object_begin(&j);
	for (int s = 0; s < CONSOL_NSTATES; s++)
		json_kv_int(&j, consol_state_label_vi((enum consol_state)s), t.by_state[s]);
	json_object_end(&j);
	json_key(&j, "by_status");
	json_object_begin(&j);
	for (int s = 0; s < 4; s++)
		json_kv_int(&j, task_status_label_vi((enum task_status)s), t.by_status[s]);
	json_object_end(&j);
	json_kv_int(&j, "items", t.items);
	json_key(&j, "units");
	json_array_begin(&j);
	for (size_t i = 0; i < doc->nunits; i++) {
		const struct consol_unit *u = &doc->units[i];
		json_object_begin(&j);
		json_kv_string(&j, "code", u->code);
		json_kv_string(&j, "name", u->name);
		json_kv_string(&j, "state", consol_state_label_vi(u->state));
		json_kv_bool(&j, "missing", u->state == CONSOL_MISSING);
		json_key(&j, "emails");
		json_array_begin(&j);
		for (size_t k = 0; k < u->nemails; k++)
			json_string(&j, u->emails[k]);
		json_array_end(&j);
		json_key(&j, "items");
		json_array_begin(&j);
		for (size_t k = 0; k < u->nitems; k++)
			json_string(&j, u->items[k].task_code);
		json_array_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	FILE *fp = fopen(path, "w");
	int rc = fp && fputs(strbuf_str(&sb), fp) >= 0 ? 0 : -1;
	if (fp && fclose(fp) != 0)
		rc = -1;
	strbuf_free(&sb);
	return rc;
}

/* Parses the options, writes the workbook. */
int main(int argc, char **argv)
{
	enum consol_header header = CONSOL_HEADER_STATE;
	enum consol_edition edition = CONSOL_FINAL;
	int version = 1;
	size_t big_units = 0, big_items = 0;
	const char *json = NULL, *out = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--party") == 0) {
			header = CONSOL_HEADER_PARTY;
		} else if (strcmp(argv[i], "--edition") == 0 && i + 1 < argc) {
			const char *e = argv[++i];
			edition = strcmp(e, "live") == 0 ? CONSOL_LIVE
				: strcmp(e, "cutoff") == 0 ? CONSOL_CUTOFF : CONSOL_FINAL;
		} else if (strcmp(argv[i], "--version") == 0 && i + 1 < argc) {
			version = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--big") == 0 && i + 2 < argc) {
			big_units = strtoul(argv[++i], NULL, 10);
			big_items = strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
			json = argv[++i];
		} else if (argv[i][0] != '-' && out == NULL) {
			out = argv[i];
		} else {
			out = NULL;
			break;
		}
	}
	if (out == NULL) {
		fprintf(stderr, "usage: consolidated_fixture [--party] [--edition live|cutoff|final] "
			"[--version N] [--big UNITS ITEMS] [--json FILE] OUT.xlsx\n");
		return 2;
	}
	struct consol_doc doc;
	if (big_units > 0)
		fixture_big(&doc, big_units, big_items);
	else
		fixture_doc(&doc, header, edition, edition == CONSOL_FINAL ? version : 0);
	unsigned char *data;
	size_t len;
	char *err = NULL;
	int rc = 0;
	if (consol_write_xlsx(&doc, &data, &len, &err) != 0) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		consol_doc_free(&doc);
		return 1;
	}
	FILE *fp = fopen(out, "wb");
	if (fp == NULL || fwrite(data, 1, len, fp) != len) {
		fprintf(stderr, "error: cannot write %s\n", out);
		rc = 1;
	}
	if (fp && fclose(fp) != 0)
		rc = 1;
	free(data);
	if (json && write_json(&doc, json) != 0) {
		fprintf(stderr, "error: cannot write %s\n", json);
		rc = 1;
	}
	consol_doc_free(&doc);
	return rc;
}
