/* Tests of the task catalogue: task tables, section headings, codes, unit matching, deadlines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "calendar.h"
#include "csv.h"
#include "tasks.h"
#include "util.h"

#define DATA_DIR TEST_SOURCE_ROOT "/tests/unit/data/"
#define CONFIG_DIR TEST_SOURCE_ROOT "/config/"

/* Reads a whole file of the source tree or fails the test. */
static char *slurp(const char *path, size_t *len)
{
	char *data;
	if (file_read_all(path, 1u << 26, &data, len) != 0)
		fail_msg("cannot read %s", path);
	return data;
}

/* What the CSV loaders of the test fill. */
struct loader {
	struct tasks_directory *d;
	int line_seen;
};

/* Adds one line of config/ha-tinh-units.csv (code,name,group) to the directory. */
static int load_unit(void *arg, char **f, int n, int line)
{
	struct loader *l = arg;
	if (line == 1)
		return 0;
	assert_int_equal(n, 3);
	char *err = NULL;
	if (tasks_directory_add_unit(l->d, f[0], f[1], f[2], true, &err) != 0)
		fail_msg("ha-tinh-units.csv:%d: %s", line, err);
	l->line_seen++;
	return 0;
}

/* Adds one line of config/unit-aliases.csv (phrase,units,note) to the directory. */
static int load_alias(void *arg, char **f, int n, int line)
{
	struct loader *l = arg;
	if (line == 1)
		return 0;
	assert_int_equal(n, 3);
	const char *targets[16];
	size_t nt = 0;
	char *save = NULL;
	for (char *w = strtok_r(f[1], " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		assert_true(nt < nitems(targets));
		targets[nt++] = w;
	}
	char *err = NULL;
	if (tasks_directory_add_alias(l->d, f[0], targets, nt, &err) != 0)
		fail_msg("unit-aliases.csv:%d: %s", line, err);
	l->line_seen++;
	return 0;
}

/* The directory of the example configuration: Hà Tĩnh's 88 units and the shipped aliases. */
static struct tasks_directory *example_directory(void)
{
	struct loader l = { tasks_directory_new(), 0 };
	size_t len;
	int bad = 0;
	char *data = slurp(CONFIG_DIR "ha-tinh-units.csv", &len);
	assert_int_equal(csv_parse(data, len, load_unit, &l, &bad), 0);
	free(data);
	assert_int_equal(l.line_seen, 88);
	data = slurp(CONFIG_DIR "unit-aliases.csv", &len);
	assert_int_equal(csv_parse(data, len, load_alias, &l, &bad), 0);
	free(data);
	return l.d;
}

/* Turns the "\n" of a case file into line breaks, in place. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] == 'n') {
			*w++ = '\n';
			r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Splits a '|'-separated line into fields trimmed of spaces; returns the count. */
static int split_fields(char *line, char **fields, int max)
{
	int n = 0;
	for (char *p = line;;) {
		char *bar = strchr(p, '|');
		if (bar != NULL)
			*bar = '\0';
		if (n == max)
			return -1;
		fields[n++] = str_trim(p);
		if (bar == NULL)
			return n;
		p = bar + 1;
	}
}

/* Checks one resolver case. */
static void resolve_case(const struct tasks_directory *d, unsigned line, const char *role,
			 char *cell, const char *expect)
{
	struct tasks_units u;
	char *err = NULL;
	unescape(cell);
	int rc = tasks_resolve(d, cell, strcmp(role, "coop") == 0, &u, &err);
	if (strncmp(expect, "error: ", 7) == 0) {
		if (rc == 0)
			fail_msg("tasks_resolve_cases.txt:%u: '%s' accepted (%zu units)", line, cell,
				 u.n);
		if (strstr(err, expect + 7) == NULL)
			fail_msg("tasks_resolve_cases.txt:%u: message '%s' lacks '%s'", line, err,
				 expect + 7);
		free(err);
		return;
	}
	if (rc != 0)
		fail_msg("tasks_resolve_cases.txt:%u: '%s': %s", line, cell, err);
	if (expect[0] == '#') {
		if (u.n != strtoul(expect + 1, NULL, 10))
			fail_msg("tasks_resolve_cases.txt:%u: %zu units, expected %s", line, u.n,
				 expect + 1);
	} else {
		struct strbuf got = STRBUF_INIT;
		for (size_t i = 0; i < u.n; i++)
			strbuf_addf(&got, "%s%s", i ? " " : "", u.codes[i]);
		const char *want = strcmp(expect, "none") == 0 ? "" : expect;
		if (strcmp(strbuf_str(&got), want) != 0)
			fail_msg("tasks_resolve_cases.txt:%u: '%s' gave '%s', expected '%s'", line,
				 cell, strbuf_str(&got), want);
		strbuf_free(&got);
	}
	tasks_units_free(&u);
}

/* Every case of tasks_resolve_cases.txt against the example units and aliases. */
static void test_resolve_cases(void **state)
{
	struct tasks_directory *d = example_directory();
	FILE *fp = fopen(DATA_DIR "tasks_resolve_cases.txt", "r");
	if (fp == NULL)
		fail_msg("cannot open tasks_resolve_cases.txt");
	char buf[2048];
	unsigned line = 0, cases = 0;
	while (fgets(buf, sizeof buf, fp) != NULL) {
		line++;
		buf[strcspn(buf, "\r\n")] = '\0';
		char *s = str_trim(buf);
		if (s[0] == '\0' || s[0] == '#')
			continue;
		char *f[4];
		if (split_fields(s, f, 4) != 3 ||
		    (strcmp(f[0], "lead") != 0 && strcmp(f[0], "coop") != 0))
			fail_msg("tasks_resolve_cases.txt:%u: malformed case", line);
		resolve_case(d, line, f[0], f[1], f[2]);
		cases++;
	}
	assert_int_equal(fclose(fp), 0);
	assert_true(cases >= 40);
	tasks_directory_free(d);
}

/* A small directory for the cases the example data does not have. */
static struct tasks_directory *small_directory(void)
{
	struct tasks_directory *d = tasks_directory_new();
	char *err = NULL;
	assert_int_equal(tasks_directory_add_unit(d, "A", "Sở An", "so-nganh", true, &err), 0);
	assert_int_equal(tasks_directory_add_unit(d, "B", "Sở Bình", "so-nganh", true, &err), 0);
	assert_int_equal(tasks_directory_add_unit(d, "C", "Sở Cũ", "so-nganh", false, &err), 0);
	assert_int_equal(tasks_directory_add_unit(d, "X1", "UBND xã Mới", "xa-phuong", true, &err),
			 0);
	assert_int_equal(tasks_directory_add_unit(d, "X2", "UBND xã Mới", "xa-phuong", true, &err),
			 0);
	return d;
}

/* Resolves a cell that must succeed and returns its codes joined by spaces. */
static char *resolved(const struct tasks_directory *d, const char *cell, bool allow_none)
{
	struct tasks_units u;
	char *err = NULL;
	if (tasks_resolve(d, cell, allow_none, &u, &err) != 0)
		fail_msg("'%s': %s", cell, err);
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < u.n; i++)
		strbuf_addf(&sb, "%s%s", i ? " " : "", u.codes[i]);
	tasks_units_free(&u);
	return strbuf_detach(&sb);
}

/* Resolves a cell that must fail and returns the message. */
static char *refused(const struct tasks_directory *d, const char *cell, bool allow_none)
{
	struct tasks_units u;
	char *err = NULL;
	if (tasks_resolve(d, cell, allow_none, &u, &err) == 0)
		fail_msg("'%s' accepted", cell);
	assert_null(u.codes);
	return err;
}

/* Aliases: targets checked and made canonical; conflicts refused; inactive and ambiguous units. */
static void test_directory(void **state)
{
	struct tasks_directory *d = small_directory();
	char *err = NULL;
	const char *t1[] = { "a", "group:so-nganh" };
	assert_int_equal(tasks_directory_add_alias(d, "Hai sở", t1, 2, &err), 0);
	const char *t2[] = { "group:xa-phuong" };
	assert_int_equal(tasks_directory_add_alias(d, "Các xã", t2, 1, &err), 0);
	assert_int_equal(tasks_directory_add_alias(d, "Các bên liên quan", NULL, 0, &err), 0);

	const char *bad_code[] = { "A", "ZZ" };
	assert_int_equal(tasks_directory_add_alias(d, "Sở lạ", bad_code, 2, &err), -1);
	assert_non_null(strstr(err, "no unit has the code 'ZZ'"));
	free(err);
	const char *bad_group[] = { "group:dang-doan-the" };
	assert_int_equal(tasks_directory_add_alias(d, "Các ban", bad_group, 1, &err), -1);
	assert_non_null(strstr(err, "no unit is in group 'dang-doan-the'"));
	free(err);
	assert_int_equal(tasks_directory_add_alias(d, "SỞ AN", t2, 1, &err), -1);
	assert_non_null(strstr(err, "is the name of unit A"));
	free(err);
	assert_int_equal(tasks_directory_add_alias(d, "b", t2, 1, &err), -1);
	assert_non_null(strstr(err, "is the code of unit B"));
	free(err);
	assert_int_equal(tasks_directory_add_alias(d, "cac xa", t1, 2, &err), -1);
	assert_non_null(strstr(err, "the phrase 'Các xã' already"));
	free(err);
	assert_int_equal(tasks_directory_add_alias(d, " ;. ", t1, 2, &err), -1);
	free(err);
	assert_int_equal(tasks_directory_add_unit(d, "a", "Sở Khác", "so-nganh", true, &err), -1);
	assert_non_null(strstr(err, "appears twice"));
	free(err);
	assert_int_equal(tasks_directory_add_unit(d, "bad code", "Sở Khác", "so-nganh", true,
						  &err), -1);
	free(err);

	/* A group expands to its active units; a code target is canonical and counted once. */
	char *s = resolved(d, "Hai sở", false);
	assert_string_equal(s, "A B");
	free(s);
	s = resolved(d, "Sở Bình và hai sở", false);
	assert_string_equal(s, "B A");
	free(s);
	s = resolved(d, "Các xã; các bên liên quan", true);
	assert_string_equal(s, "X1 X2");
	free(s);
	s = resolved(d, "Các bên liên quan", true);
	assert_string_equal(s, "");
	free(s);
	s = refused(d, "Sở Cũ", false);
	assert_non_null(strstr(s, "'Sở Cũ' is unit C, which is inactive"));
	free(s);
	s = refused(d, "UBND xã Mới", true);
	assert_non_null(strstr(s, "several units (X1, X2): write the code"));
	free(s);
	s = resolved(d, "X2", true);
	assert_string_equal(s, "X2");
	free(s);
	s = refused(d, "Sở An \xff", true);
	free(s);
	tasks_directory_free(d);
}

/* Reads a table from a string that must have no problem. */
static void read_ok(const char *text, struct tasks_table *t)
{
	struct tasks_errors errs = { 0 };
	if (tasks_table_read(text, strlen(text), t, &errs) != 0) {
		char *all = tasks_errors_join(&errs, "  ");
		fail_msg("unexpected problems:\n%s", all);
	}
	tasks_errors_free(&errs);
}

/* Reads a table that must have problems; returns them joined, one per line. */
static char *read_bad(const void *data, size_t len, size_t *count)
{
	struct tasks_table t;
	struct tasks_errors errs = { 0 };
	assert_int_equal(tasks_table_read(data, len, &t, &errs), -1);
	*count = errs.total;
	char *all = tasks_errors_join(&errs, "");
	tasks_errors_free(&errs);
	tasks_table_free(&t);
	return all;
}

/* Whether the joined messages contain a line that is exactly want. */
static void assert_has_line(const char *all, const char *want)
{
	const char *p = all;
	size_t n = strlen(want);
	while ((p = strstr(p, want)) != NULL) {
		if ((p == all || p[-1] == '\n') && (p[n] == '\0' || p[n] == '\n'))
			return;
		p++;
	}
	fail_msg("no line '%s' in:\n%s", want, all);
}

/* Formats a deadline as YYYY-MM-DD, or "none". */
static const char *deadline_str(const struct tasks_task *t, char buf[CAL_DATE_BUF])
{
	if (!t->deadline.has_date)
		return "none";
	cal_format_date(t->deadline.day, buf);
	return buf;
}

/* The header is found under title rows, by titles in any case and spelling. */
static void test_header(void **state)
{
	struct tasks_table t;
	read_ok("PHỤ LỤC\n"
		"Danh mục nhiệm vụ,,,\n"
		"\n"
		"STT,NỘI DUNG NHIỆM VỤ,Co quan chu tri,Cơ quan phối hợp:,Ghi chú,Sản phẩm,"
		"\"Thời gian\nhoàn thành\"\n"
		"(1),(2),(3),(4),(5),(6),(7)\n"
		"1,Việc một,Sở An,,ghi chú bỏ qua,Văn bản,Năm 2026\n", &t);
	assert_int_equal(t.n, 1);
	assert_false(t.xlsx);
	assert_string_equal(t.tasks[0].code, "1");
	assert_string_equal(t.tasks[0].title, "Việc một");
	assert_string_equal(t.tasks[0].lead_text, "Sở An");
	assert_string_equal(t.tasks[0].result, "Văn bản");
	assert_string_equal(t.tasks[0].where, "line 7");
	assert_int_equal(t.tasks[0].ordinal, 1);
	tasks_table_free(&t);

	size_t n;
	const char *missing = "TT,Nội dung,Cơ quan chủ trì,Kết quả\n1,a,b,c\n";
	char *all = read_bad(missing, strlen(missing), &n);
	assert_int_equal(n, 2);
	assert_has_line(all, "line 1: the header has no column 'Cơ quan phối hợp'");
	assert_has_line(all, "line 1: the header has no column 'Thời gian hoàn thành'");
	free(all);
	const char *twice = "TT,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Kết quả,"
			    "Thời gian hoàn thành,Nội dung\n";
	all = read_bad(twice, strlen(twice), &n);
	assert_has_line(all, "line 1: the column 'Nội dung' appears twice");
	free(all);
	const char *none = "a,b,c\n1,2,3\n";
	all = read_bad(none, strlen(none), &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(all, "no header row"));
	free(all);
	const char *empty = "TT,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Kết quả,"
			    "Thời gian hoàn thành\n,,,,,\n";
	all = read_bad(empty, strlen(empty), &n);
	assert_string_equal(all, "the table has no task under its header");
	free(all);
}

/* The appendix of Kế hoạch 282/KH-UBND, extracted from the PDF with one wrapped row. */
static void test_appendix_282(void **state)
{
	size_t len;
	char *data = slurp(DATA_DIR "tasks_282_wrapped.csv", &len);
	struct tasks_table t;
	struct tasks_errors errs = { 0 };
	assert_int_equal(tasks_table_read(data, len, &t, &errs), 0);
	free(data);
	static const char *const codes[] = {
		"I.1", "I.2", "II.1", "II.2", "II.3", "III.1", "III.2", "III.3", "III.4", "III.5",
		"III.6", "III.7", "III.8", "IV.1", "IV.2", "IV.3", "IV.4",
	};
	assert_int_equal(t.n, nitems(codes));
	for (size_t i = 0; i < t.n; i++) {
		assert_string_equal(t.tasks[i].code, codes[i]);
		assert_int_equal(t.tasks[i].ordinal, (int)i + 1);
	}
	assert_string_equal(t.tasks[0].section, "I. Hoàn thiện các cơ chế, chính sách góp phần "
			    "thúc đẩy, tạo đột phá trong phát triển khoa học, công nghệ, đổi mới "
			    "sáng tạo, chuyển đổi số");
	assert_true(str_has_prefix(t.tasks[16].section, "IV. Nâng cao năng lực"));
	assert_string_equal(t.tasks[2].tt, "1");
	/* II.3 continues on the next row of the PDF table. */
	assert_non_null(strstr(t.tasks[4].title, "Hàn Quốc, Thái Lan, Singapore, Hoa Kỳ"));
	assert_true(str_has_suffix(t.tasks[4].title, "các ngành khoa học và công nghệ"));
	assert_string_equal(t.tasks[4].where, "line 12");

	char b[CAL_DATE_BUF];
	assert_string_equal(deadline_str(&t.tasks[0], b), "none");	/* ... những năm tiếp theo */
	assert_string_equal(deadline_str(&t.tasks[2], b), "none");	/* Thường xuyên */
	assert_string_equal(deadline_str(&t.tasks[7], b), "2027-12-31");	/* Năm 2026-2027 */
	assert_string_equal(t.tasks[7].deadline_text, "Năm 2026-2027");

	/* The file shipped in config/ has each task on one line, and the same tasks. */
	data = slurp(CONFIG_DIR "tasks-282-khubnd.csv", &len);
	struct tasks_table shipped;
	assert_int_equal(tasks_table_read(data, len, &shipped, &errs), 0);
	free(data);
	assert_int_equal(shipped.n, t.n);
	for (size_t i = 0; i < t.n; i++) {
		assert_string_equal(shipped.tasks[i].code, t.tasks[i].code);
		assert_string_equal(shipped.tasks[i].title, t.tasks[i].title);
		assert_string_equal(shipped.tasks[i].section, t.tasks[i].section);
		assert_string_equal(shipped.tasks[i].lead_text, t.tasks[i].lead_text);
		assert_string_equal(shipped.tasks[i].coop_text, t.tasks[i].coop_text);
		assert_string_equal(shipped.tasks[i].result, t.tasks[i].result);
		assert_string_equal(shipped.tasks[i].deadline_text, t.tasks[i].deadline_text);
	}
	tasks_table_free(&shipped);

	/* Resolved against the example units and aliases. */
	struct tasks_directory *d = example_directory();
	assert_int_equal(tasks_table_resolve(&t, d, &errs), 0);
	assert_int_equal(errs.total, 0);
	const struct tasks_task *i1 = &t.tasks[0], *i2 = &t.tasks[1], *iii8 = &t.tasks[12];
	assert_int_equal(i1->leads.n, 3);
	assert_string_equal(i1->leads.codes[0], "SKHCN");
	assert_string_equal(i1->leads.codes[1], "SNNMT");
	assert_string_equal(i1->leads.codes[2], "SCT");
	assert_int_equal(i1->coops.n, 0);		/* "Các sở, ngành liên quan" */
	assert_int_equal(i2->leads.n, 13);		/* every so-nganh unit */
	assert_int_equal(i2->coops.n, 0);		/* SKHCN and VPUBND lead already */
	assert_int_equal(iii8->leads.n, 1);
	assert_string_equal(iii8->leads.codes[0], "SNNMT");
	assert_int_equal(iii8->coops.n, 12 + 69);
	assert_string_equal(t.tasks[15].leads.codes[0], "SGDDT");	/* IV.3 */
	assert_string_equal(t.tasks[9].coops.codes[0], "SKHCN");	/* III.5 */
	assert_int_equal(t.tasks[9].coops.n, 1);
	tasks_directory_free(d);
	tasks_errors_free(&errs);
	tasks_table_free(&t);
}

/* The weekly list gives every unit but the recipient VPTU at least one task. */
static void test_weekly_list(void **state)
{
	size_t len;
	char *data = slurp(CONFIG_DIR "tasks-nq57-weekly.csv", &len);
	struct tasks_table t;
	struct tasks_errors errs = { 0 };
	assert_int_equal(tasks_table_read(data, len, &t, &errs), 0);
	free(data);
	struct tasks_directory *d = example_directory();
	if (tasks_table_resolve(&t, d, &errs) != 0)
		fail_msg("%s", errs.msgs[0]);
	assert_true(t.n >= 15);
	for (size_t i = 0; i < t.n; i++) {
		char want[32];
		snprintf(want, sizeof want, "NQ57-%02zu", i + 1);
		assert_string_equal(t.tasks[i].code, want);
	}
	data = slurp(CONFIG_DIR "ha-tinh-units.csv", &len);
	char *save = NULL;
	int units = 0;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *comma = strchr(line, ',');
		if (comma == NULL || strncmp(line, "code,", 5) == 0)
			continue;
		*comma = '\0';
		bool has = false;
		for (size_t i = 0; i < t.n && !has; i++) {
			for (size_t k = 0; k < t.tasks[i].leads.n; k++)
				has = has || strcmp(t.tasks[i].leads.codes[k], line) == 0;
			for (size_t k = 0; k < t.tasks[i].coops.n; k++)
				has = has || strcmp(t.tasks[i].coops.codes[k], line) == 0;
		}
		if (strcmp(line, "VPTU") == 0 && has)
			fail_msg("VPTU, the recipient, has a task");
		if (strcmp(line, "VPTU") != 0 && !has)
			fail_msg("unit %s has no task in tasks-nq57-weekly.csv", line);
		units++;
	}
	assert_int_equal(units, 88);
	free(data);
	tasks_directory_free(d);
	tasks_errors_free(&errs);
	tasks_table_free(&t);
}

/* Codes from the Mã nhiệm vụ column, derived where it is empty; bad and repeated codes. */
static void test_codes(void **state)
{
	struct tasks_table t;
	read_ok("Mã nhiệm vụ,TT,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Kết quả,"
		"Thời gian hoàn thành\n"
		"NQ57-01,1,Một,Sở An,,,Thường xuyên\n"
		",2,Hai,Sở An,,,Thường xuyên\n"
		",II.,Mục hai,,,,\n"
		",1.,Ba,Sở An,,,Thường xuyên\n"
		",a),Bốn,Sở An,,,Thường xuyên\n"
		"X.9,,Năm,Sở An,,,Thường xuyên\n", &t);
	assert_int_equal(t.n, 5);
	assert_string_equal(t.tasks[0].code, "NQ57-01");
	assert_string_equal(t.tasks[1].code, "2");
	assert_string_equal(t.tasks[2].code, "II.1");
	assert_string_equal(t.tasks[2].tt, "1");
	assert_string_equal(t.tasks[2].section, "II. Mục hai");
	assert_string_equal(t.tasks[3].code, "II.a");
	assert_string_equal(t.tasks[4].code, "X.9");
	assert_string_equal(t.tasks[4].section, "II. Mục hai");
	tasks_table_free(&t);

	const char *bad = "Mã nhiệm vụ,TT,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Kết quả,"
			  "Thời gian hoàn thành\n"
			  "A 1,1,Một,Sở An,,,Thường xuyên\n"
			  "B,2,Hai,Sở An,,,Thường xuyên\n"
			  "B,3,Ba,Sở An,,,Thường xuyên\n"
			  ",4/5,Bốn,Sở An,,,Thường xuyên\n"
			  ",,,Sở An,,,Thường xuyên\n"
			  "C,6,,Sở An,,,Thường xuyên\n"
			  "D,7,Bảy,,Sở Bình,,Thường xuyên\n";
	size_t n;
	char *all = read_bad(bad, strlen(bad), &n);
	assert_has_line(all, "line 2: invalid task code 'A 1' (a letter or digit, then letters, "
			"digits, '.', '_' and '-', at most 64)");
	assert_has_line(all, "line 4: task code B is already used on line 3");
	assert_has_line(all, "line 5: TT '4/5' does not make a task code (letters, digits, '.', "
			"'_' and '-'): add a Mã nhiệm vụ column");
	assert_has_line(all, "line 6: the task has neither a TT nor a Mã nhiệm vụ");
	assert_has_line(all, "line 6: the task: Nội dung is empty");
	assert_has_line(all, "line 7: task C: Nội dung is empty");
	assert_has_line(all, "line 8: task D: Cơ quan chủ trì is empty");
	assert_int_equal(n, 7);
	free(all);
}

/* Rows without TT and units continue the row above: a heading, a task's cells. */
static void test_continuation(void **state)
{
	struct tasks_table t;
	read_ok("TT,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Kết quả,Thời gian hoàn thành\n"
		"I,Nâng cao năng lực,,,,\n"
		",đội ngũ cán bộ,,,,\n"
		"1,Xây dựng kế hoạch,Sở An,Sở Bình,Các văn bản,Năm 2026 và những\n"
		",đào tạo nguồn nhân lực,,,báo cáo,năm tiếp theo\n"
		",,,,,\n"
		",cho khoa học,,,,\n"
		"2,Hai,Sở An,,,Năm 2026\n", &t);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.tasks[0].section, "I. Nâng cao năng lực đội ngũ cán bộ");
	assert_string_equal(t.tasks[0].title, "Xây dựng kế hoạch đào tạo nguồn nhân lực cho khoa học");
	assert_string_equal(t.tasks[0].result, "Các văn bản báo cáo");
	assert_string_equal(t.tasks[0].deadline_text, "Năm 2026 và những năm tiếp theo");
	assert_false(t.tasks[0].deadline.has_date);
	char b[CAL_DATE_BUF];
	assert_string_equal(deadline_str(&t.tasks[1], b), "2026-12-31");
	tasks_table_free(&t);

	const char *early = "TT,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Kết quả,"
			    "Thời gian hoàn thành\n,lạc chỗ,,,,\n1,Một,Sở An,,,Năm 2026\n";
	size_t n;
	char *all = read_bad(early, strlen(early), &n);
	assert_string_equal(all, "line 2: a row without TT and units before the first task");
	free(all);
}

/* Deadline texts become dates or none; bad and empty ones are errors naming the row. */
static void test_deadlines(void **state)
{
	struct tasks_table t;
	read_ok("TT,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Kết quả,Thời gian hoàn thành\n"
		"1,a,Sở An,,,Năm 2026\n"
		"2,b,Sở An,,,Năm 2026-2027\n"
		"3,c,Sở An,,,Thường xuyên\n"
		"4,d,Sở An,,,Năm 2026 và những năm tiếp theo\n"
		"5,e,Sở An,,,15/11/2026\n"
		"6,f,Sở An,,,Quý III/2026\n", &t);
	static const char *const want[] = { "2026-12-31", "2027-12-31", "none", "none",
					    "2026-11-15", "2026-09-30" };
	assert_int_equal(t.n, nitems(want));
	for (size_t i = 0; i < t.n; i++) {
		char b[CAL_DATE_BUF];
		assert_string_equal(deadline_str(&t.tasks[i], b), want[i]);
	}
	tasks_table_free(&t);

	const char *bad = "TT,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Kết quả,"
			  "Thời gian hoàn thành\n"
			  "1,a,Sở An,,,Sớm nhất có thể\n"
			  "2,b,Sở An,,,\n"
			  "3,c,Sở An,,,31/02/2026\n";
	size_t n;
	char *all = read_bad(bad, strlen(bad), &n);
	assert_int_equal(n, 3);
	assert_non_null(strstr(all, "line 2: task 1: Thời gian hoàn thành: unrecognised deadline "
			       "'Sớm nhất có thể'"));
	assert_has_line(all, "line 3: task 2: Thời gian hoàn thành is empty (write \"Thường "
			"xuyên\" for an ongoing task)");
	assert_non_null(strstr(all, "line 4: task 3: Thời gian hoàn thành: deadline '31/02/2026' "
			       "names an impossible date"));
	free(all);
}

/* Every problem of a file is reported, unit problems included, and CSV mistakes are named. */
static void test_all_errors(void **state)
{
	const char *text = "TT,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Kết quả,"
			   "Thời gian hoàn thành\n"
			   "1,Một,Sở Lạ,Sở Bình,,Năm 2026\n"
			   "2,Hai,Sở An,Sở Cũ; Sở Khác,,Năm 2026\n"
			   "3,Ba,Sở An,Sở Bình,,Không rõ\n"
			   "4,Bốn,Sở An,Sở An,,Năm 2026\n"
			   "5,Năm,Sở Văn hóa, Thể thao và Du lịch,,,Năm 2026\n";
	struct tasks_table t;
	struct tasks_errors errs = { 0 };
	assert_int_equal(tasks_table_read(text, strlen(text), &t, &errs), -1);
	assert_int_equal(t.n, 4);
	struct tasks_directory *d = small_directory();
	assert_int_equal(tasks_table_resolve(&t, d, &errs), -1);
	char *all = tasks_errors_join(&errs, "");
	assert_int_equal(errs.total, 4);
	assert_has_line(all, "line 6: more fields than the header has (quote a cell that "
			"contains a comma)");
	assert_non_null(strstr(all, "line 4: task 3: Thời gian hoàn thành: unrecognised deadline "
			       "'Không rõ'"));
	assert_has_line(all, "line 2: task 1: Cơ quan chủ trì: unknown unit 'Sở Lạ' (not the name "
			"or code of a unit, nor a phrase of the unit_alias table: add it with "
			"baocaoctl import aliases)");
	assert_non_null(strstr(all, "line 3: task 2: Cơ quan phối hợp: unknown unit 'Sở Khác'"));
	/* A unit that leads is not also a cooperator. */
	assert_int_equal(t.tasks[3].leads.n, 1);
	assert_int_equal(t.tasks[3].coops.n, 0);
	free(all);
	tasks_errors_free(&errs);
	tasks_table_free(&t);
	tasks_directory_free(d);

	size_t n;
	char *msg = read_bad("a,\"b\n", 5, &n);
	assert_string_equal(msg, "line 1: malformed CSV (a quote that is not closed, or a quote "
			     "inside an unquoted field)");
	free(msg);
	msg = read_bad("TT,\xff\n", 5, &n);
	assert_true(str_has_prefix(msg, "the file is neither an .xlsx workbook nor UTF-8 text"));
	free(msg);
}

/* Writes a workbook like an appendix saved from Excel and returns its bytes. */
static char *build_workbook(size_t *len, bool bad_unit)
{
	char path[] = "/tmp/baocao-test-tasks-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	lxw_workbook *wb = workbook_new(path);
	assert_non_null(wb);
	lxw_worksheet *hidden = workbook_add_worksheet(wb, "Ghi chú");
	lxw_worksheet *ws = workbook_add_worksheet(wb, "Phụ lục");
	assert_non_null(hidden);
	assert_non_null(ws);
	worksheet_write_string(hidden, 0, 0, "TT", NULL);
	worksheet_activate(ws);
	worksheet_hide(hidden);
	lxw_format *date = workbook_add_format(wb);
	format_set_num_format(date, "dd/mm/yyyy");
	worksheet_merge_range(ws, 0, 0, 0, 5, "PHỤ LỤC", NULL);
	worksheet_write_string(ws, 1, 1, "Danh mục nhiệm vụ", NULL);
	static const char *const header[] = { "TT", "Nội dung", "Cơ quan\nchủ trì",
					      "Cơ quan phối hợp", "Kết quả",
					      "Thời gian hoàn thành" };
	for (int c = 0; c < 6; c++)
		worksheet_write_string(ws, 3, (lxw_col_t)c, header[c], NULL);
	worksheet_write_string(ws, 4, 0, "I", NULL);
	worksheet_merge_range(ws, 4, 1, 4, 5, "Mục một", NULL);
	worksheet_write_number(ws, 5, 0, 1, NULL);
	worksheet_write_string(ws, 5, 1, "Việc một", NULL);
	worksheet_write_string(ws, 5, 2, bad_unit ? "Sở Lạ" : "Sở An\nSở Bình", NULL);
	worksheet_write_string(ws, 5, 3, "Các bên liên quan", NULL);
	worksheet_write_string(ws, 5, 4, "Văn bản", NULL);
	worksheet_write_number(ws, 5, 5, 2026, NULL);
	worksheet_write_number(ws, 6, 0, 2, NULL);
	worksheet_write_string(ws, 6, 1, "Việc hai", NULL);
	worksheet_write_string(ws, 6, 2, "Sở Bình", NULL);
	worksheet_write_string(ws, 6, 3, bad_unit ? "Sở Cũ" : "", NULL);
	lxw_datetime dt = { 2026, 11, 15, 0, 0, 0 };
	worksheet_write_datetime(ws, 6, 5, &dt, date);
	worksheet_write_string(ws, 7, 1, "tiếp theo", NULL);
	assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
	char *data = slurp(path, len);
	assert_int_equal(unlink(path), 0);
	return data;
}

/* A workbook: the first visible sheet, the header under titles, numbers, dates, cells named. */
static void test_xlsx(void **state)
{
	size_t len;
	char *data = build_workbook(&len, false);
	struct tasks_table t;
	struct tasks_errors errs = { 0 };
	if (tasks_table_read(data, len, &t, &errs) != 0)
		fail_msg("%s", tasks_errors_join(&errs, ""));
	free(data);
	assert_true(t.xlsx);
	assert_string_equal(t.sheet, "Phụ lục");
	assert_int_equal(t.n, 2);
	assert_string_equal(t.tasks[0].code, "I.1");
	assert_string_equal(t.tasks[0].section, "I. Mục một");
	assert_string_equal(t.tasks[0].where, "row 6");
	assert_string_equal(t.tasks[0].lead_where, "cell C6");
	assert_string_equal(t.tasks[0].deadline_text, "2026");
	assert_string_equal(t.tasks[1].code, "I.2");
	assert_string_equal(t.tasks[1].title, "Việc hai tiếp theo");
	assert_string_equal(t.tasks[1].deadline_text, "15/11/2026");
	char b[CAL_DATE_BUF];
	assert_string_equal(deadline_str(&t.tasks[0], b), "2026-12-31");
	assert_string_equal(deadline_str(&t.tasks[1], b), "2026-11-15");
	struct tasks_directory *d = small_directory();
	const char *none[1] = { NULL };
	char *err = NULL;
	assert_int_equal(tasks_directory_add_alias(d, "Các bên liên quan", none, 0, &err), 0);
	if (tasks_table_resolve(&t, d, &errs) != 0)
		fail_msg("%s", tasks_errors_join(&errs, ""));
	assert_int_equal(t.tasks[0].leads.n, 2);
	assert_int_equal(t.tasks[0].coops.n, 0);
	tasks_table_free(&t);

	data = build_workbook(&len, true);
	assert_int_equal(tasks_table_read(data, len, &t, &errs), 0);
	free(data);
	assert_int_equal(tasks_table_resolve(&t, d, &errs), -1);
	char *all = tasks_errors_join(&errs, "");
	assert_int_equal(errs.total, 2);
	assert_true(str_has_prefix(all, "cell C6: task I.1: Cơ quan chủ trì: unknown unit 'Sở Lạ'"));
	assert_non_null(strstr(all, "\ncell D7: task I.2: Cơ quan phối hợp: 'Sở Cũ' is unit C, "
			       "which is inactive"));
	free(all);
	tasks_errors_free(&errs);
	tasks_table_free(&t);
	tasks_directory_free(d);

	size_t n;
	char *msg = read_bad("PK\x03\x04garbage", 11, &n);
	assert_true(str_has_prefix(msg, "cannot read the workbook: "));
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_cases),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_appendix_282),
		cmocka_unit_test(test_weekly_list),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_xlsx),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
