/* Tests of deadline texts, reporters' status words and the four official task statuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "taskstatus.h"
#include "util.h"

#define CASES_FILE TEST_SOURCE_ROOT "/tests/unit/data/taskstatus_cases.txt"

/* Parses "YYYY-MM-DD" in a case file or fails the test. */
static cal_day day_of(unsigned line, const char *s)
{
	cal_day d;
	if (cal_parse_date(s, &d) != 0)
		fail_msg("taskstatus_cases.txt:%u: bad date '%s'", line, s);
	return d;
}

/* Checks one deadline case. */
static void deadline_case(unsigned line, const char *text, const char *expect)
{
	struct task_deadline dl;
	char *err = NULL;
	int rc = task_deadline_parse(text, &dl, &err);
	if (strcmp(expect, "error") == 0) {
		if (rc == 0)
			fail_msg("taskstatus_cases.txt:%u: '%s' accepted", line, text);
		assert_non_null(err);
		if (strstr(err, text) == NULL)
			fail_msg("taskstatus_cases.txt:%u: message '%s' does not quote the text",
				 line, err);
		free(err);
		return;
	}
	if (rc != 0)
		fail_msg("taskstatus_cases.txt:%u: '%s': %s", line, text, err);
	if (strcmp(expect, "none") == 0) {
		if (dl.has_date)
			fail_msg("taskstatus_cases.txt:%u: '%s' has a date", line, text);
		return;
	}
	if (!dl.has_date)
		fail_msg("taskstatus_cases.txt:%u: '%s' has no date", line, text);
	char got[CAL_DATE_BUF];
	cal_format_date(dl.day, got);
	if (strcmp(got, expect) != 0)
		fail_msg("taskstatus_cases.txt:%u: '%s' gave %s, expected %s", line, text, got,
			 expect);
}

/* Checks one reporter-words case. */
static void state_case(unsigned line, const char *text, const char *expect)
{
	enum task_state st;
	int rc = task_state_parse(text, &st);
	if (strcmp(expect, "error") == 0) {
		if (rc == 0)
			fail_msg("taskstatus_cases.txt:%u: '%s' accepted as %s", line, text,
				 task_state_code(st));
		return;
	}
	if (rc != 0)
		fail_msg("taskstatus_cases.txt:%u: '%s' not recognised", line, text);
	if (strcmp(task_state_code(st), expect) != 0)
		fail_msg("taskstatus_cases.txt:%u: '%s' gave %s, expected %s", line, text,
			 task_state_code(st), expect);
}

/* Checks one status case: state | completed | deadline | period end | code. */
static void status_case(unsigned line, char **f)
{
	enum task_state st;
	if (task_state_parse(f[0], &st) != 0)
		fail_msg("taskstatus_cases.txt:%u: bad state '%s'", line, f[0]);
	cal_day completed = 0;
	bool has_completed = strcmp(f[1], "-") != 0;
	if (has_completed)
		completed = day_of(line, f[1]);
	struct task_deadline dl = { .has_date = strcmp(f[2], "none") != 0 };
	if (dl.has_date)
		dl.day = day_of(line, f[2]);
	cal_day end = day_of(line, f[3]);
	enum task_status s = task_status_derive(st, has_completed ? &completed : NULL, &dl, end);
	if (strcmp(task_status_code(s), f[4]) != 0)
		fail_msg("taskstatus_cases.txt:%u: got %s, expected %s", line, task_status_code(s),
			 f[4]);
	if (!dl.has_date) {
		enum task_status s2 = task_status_derive(st, has_completed ? &completed : NULL,
							 NULL, end);
		assert_int_equal(s, s2);
	}
}

/* Splits a '|'-separated line into fields trimmed of ASCII spaces; returns the count. */
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

/* Every case of taskstatus_cases.txt. */
static void test_cases(void **state)
{
	FILE *fp = fopen(CASES_FILE, "r");
	if (fp == NULL)
		fail_msg("cannot open %s", CASES_FILE);
	char buf[1024];
	unsigned line = 0;
	int counts[3] = { 0, 0, 0 };
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		line++;
		buf[strcspn(buf, "\r\n")] = '\0';
		char *s = str_trim(buf);
		if (s[0] == '\0' || s[0] == '#')
			continue;
		char *f[8];
		int n = split_fields(s, f, 8);
		if (n == 3 && strcmp(f[0], "deadline") == 0) {
			deadline_case(line, f[1], f[2]);
			counts[0]++;
		} else if (n == 3 && strcmp(f[0], "state") == 0) {
			state_case(line, f[1], f[2]);
			counts[1]++;
		} else if (n == 6 && strcmp(f[0], "status") == 0) {
			status_case(line, f + 1);
			counts[2]++;
		} else {
			fail_msg("taskstatus_cases.txt:%u: malformed case", line);
		}
	}
	assert_int_equal(fclose(fp), 0);
	assert_true(counts[0] >= 50);
	assert_true(counts[1] >= 20);
	assert_true(counts[2] >= 15);
}

/* Codes, labels and their round trips. */
static void test_labels(void **state)
{
	static const struct {
		enum task_status s;
		const char *code, *label;
	} want[] = {
		{ TASK_DONE_ON_TIME, "done_on_time", "Đã hoàn thành đúng hạn" },
		{ TASK_DONE_LATE, "done_late", "Đã hoàn thành quá hạn" },
		{ TASK_IN_PROGRESS_ON_TIME, "in_progress_on_time", "Chưa hoàn thành trong hạn" },
		{ TASK_OVERDUE, "overdue", "Chưa hoàn thành quá hạn" },
	};
	for (size_t i = 0; i < nitems(want); i++) {
		enum task_status s;
		assert_string_equal(task_status_code(want[i].s), want[i].code);
		assert_string_equal(task_status_label_vi(want[i].s), want[i].label);
		assert_int_equal(task_status_parse_code(want[i].code, &s), 0);
		assert_int_equal(s, want[i].s);
	}
	enum task_status s;
	assert_int_equal(task_status_parse_code("late", &s), -1);

	static const enum task_state states[] = {
		TASK_STATE_DONE, TASK_STATE_IN_PROGRESS, TASK_STATE_NOT_STARTED,
	};
	for (size_t i = 0; i < nitems(states); i++) {
		enum task_state st;
		assert_int_equal(task_state_parse(task_state_label_vi(states[i]), &st), 0);
		assert_int_equal(st, states[i]);
		assert_int_equal(task_state_parse(task_state_code(states[i]), &st), 0);
		assert_int_equal(st, states[i]);
	}
	assert_string_equal(task_state_label_vi(TASK_STATE_DONE), "Hoàn thành");
	assert_string_equal(task_state_label_vi(TASK_STATE_IN_PROGRESS), "Đang thực hiện");
	assert_string_equal(task_state_label_vi(TASK_STATE_NOT_STARTED), "Chưa triển khai");
}

/* Folding: NFC and NFD agree, đ, dashes, spaces; invalid UTF-8 is refused. */
static void test_fold(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Thường xuyên", "thuong xuyen" },
		/* NFD: T h u + ̛ + ̀ ... */
		{ "Thu\xcc\x9b\xcc\x80o\xcc\x9bng xuye\xcc\x82n", "thuong xuyen" },
		{ "ĐƯỜNG ĐI", "duong di" },
		{ "  a\xc2\xa0\xc2\xa0 b\t\n", "a b" },
		{ "2026\xe2\x80\x93" "2027", "2026-2027" },
		{ "Ắ Ặ ẵ ỹ Ỵ ơ Ơ ư Ư ă Ă ĩ Ĩ ũ Ũ", "a a a y y o o u u a a i i u u" },
		{ "Àà Éé Ìì Òò Ùù Ýý Ââ Êê Ôô Ãã Õõ", "aa ee ii oo uu yy aa ee oo aa oo" },
		{ "x\xe2\x80\x8by", "xy" },
		{ "α×β", "α×β" },
		{ "", "" },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		char *f = task_fold(cases[i].in);
		assert_non_null(f);
		assert_string_equal(f, cases[i].out);
		free(f);
	}
	assert_null(task_fold("\xff"));
	assert_null(task_fold("a\xc3"));

	/* Every precomposed letter of the Vietnamese block folds to an ASCII letter. */
	for (unsigned cp = 0x1EA0; cp <= 0x1EF9; cp++) {
		char in[4] = { (char)(0xE0 | cp >> 12), (char)(0x80 | ((cp >> 6) & 0x3F)),
			       (char)(0x80 | (cp & 0x3F)), 0 };
		char *f = task_fold(in);
		assert_non_null(f);
		assert_int_equal(strlen(f), 1);
		assert_true(strchr("aeiouy", f[0]) != NULL);
		free(f);
	}
	struct task_deadline dl;
	char *err = NULL;
	assert_int_equal(task_deadline_parse("\xff", &dl, &err), -1);
	assert_string_equal(err, "deadline text is not valid UTF-8");
	free(err);
	assert_int_equal(task_deadline_parse(" \t ", &dl, &err), -1);
	assert_string_equal(err, "deadline text is empty");
	free(err);
	assert_int_equal(task_deadline_parse("  Thường xuyên\t", &dl, &err), 0);
	assert_false(dl.has_date);
	enum task_state st;
	assert_int_equal(task_state_parse("\xff", &st), -1);
}

/* Runs the tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_fold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
