/* Tests of the settings table and the INI file reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "series.h"
#include "util.h"

/* Writes text into a new temporary file and returns its path. */
static char *write_temp(const char *text)
{
	char *path = xstrdup("/tmp/baocao-test-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Loads text as a config file; returns the result and fills cfg and err. */
static int load_text(const char *text, struct config *cfg, char **err)
{
	char *path = write_temp(text);
	*err = NULL;
	int rc = config_load(path, cfg, err);
	unlink(path);
	free(path);
	return rc;
}

static void test_defaults(void **state)
{
	struct config cfg;
	config_defaults(&cfg);
	assert_string_equal(cfg.listen, "127.0.0.1");
	assert_int_equal(cfg.port, 8080);
	assert_int_equal(cfg.workers, 4);
	assert_int_equal(cfg.max_upload_size, 10 * 1024 * 1024);
	assert_string_equal(cfg.time_zone, "Asia/Ho_Chi_Minh");
	assert_false(cfg.migrate_on_start);
	assert_int_equal(cfg.shutdown_timeout, 10000);
	config_free(&cfg);
}

static void test_every_setting_has_valid_default_and_help(void **state)
{
	for (const struct setting_def *d = config_settings; d->name; d++) {
		struct config cfg;
		config_defaults(&cfg);
		char *err = NULL;
		int rc = config_set(&cfg, d->section, d->name, d->def, &err);
		if (rc != 0)
			fail_msg("default of %s.%s rejected: %s", d->section, d->name, err);
		assert_non_null(d->help);
		assert_true(strlen(d->help) > 0);
		config_free(&cfg);
	}
}

static void test_settings_alphabetical_per_section(void **state)
{
	for (const struct setting_def *d = config_settings; d->name && d[1].name; d++) {
		int sec = strcmp(d->section, d[1].section);
		assert_true(sec <= 0);
		if (sec == 0 && strcmp(d->name, d[1].name) >= 0)
			fail_msg("%s.%s is not before %s", d->section, d->name, d[1].name);
	}
}

static void test_good_file(void **state)
{
	struct config cfg;
	char *err;
	int rc = load_text("; comment\n"
			   "[server]\n"
			   "port = 9090\n"
			   "workers = 2   ; inline comment\n"
			   "max_upload_size = 512K\n"
			   "shutdown_timeout = 1500ms\n"
			   "log_level = debug\n"
			   "[database]\n"
			   "conninfo = host=/tmp dbname=x\n"
			   "migrate_on_start = yes\n"
			   "reconnect_max = 2min\n", &cfg, &err);
	assert_int_equal(rc, 0);
	assert_null(err);
	assert_int_equal(cfg.port, 9090);
	assert_int_equal(cfg.workers, 2);
	assert_int_equal(cfg.max_upload_size, 512 * 1024);
	assert_int_equal(cfg.shutdown_timeout, 1500);
	assert_int_equal(cfg.log_level, 0);
	assert_string_equal(cfg.conninfo, "host=/tmp dbname=x");
	assert_true(cfg.migrate_on_start);
	assert_int_equal(cfg.reconnect_max, 120000);
	config_free(&cfg);
}

/* Each bad file must fail with a message naming the line and the key. */
static void test_bad_files(void **state)
{
	static const struct {
		const char *text;
		const char *expect;
	} cases[] = {
		{ "[server]\nport = 80x\n", ":2: invalid value '80x' for key 'port'" },
		{ "[server]\n\nport = 70000\n", ":3: invalid value '70000' for key 'port' in section [server]: out of range" },
		{ "[server]\nprot = 80\n", ":2: unknown key 'prot' in section [server]" },
		{ "[srever]\nport = 80\n", ":2: unknown section [srever]" },
		{ "port = 80\n", ":1: unknown section []" },
		{ "[server]\nworkers = 0\n", ":2: invalid value '0' for key 'workers'" },
		{ "[server]\nmax_upload_size = 20Q\n", "key 'max_upload_size'" },
		{ "[server]\nlog_level = loud\n", "expected debug, info, warn or error" },
		{ "[server]\ntime_zone = Mars/Olympus\n", ":2: invalid value 'Mars/Olympus' for key 'time_zone'" },
		{ "[database]\nmigrate_on_start = maybe\n", "expected true or false" },
		{ "[server]\nthis line has no equals sign\n", ":2: syntax error" },
		{ "[server]\nshutdown_timeout = 3 days\n", "key 'shutdown_timeout'" },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		struct config cfg;
		char *err;
		int rc = load_text(cases[i].text, &cfg, &err);
		assert_int_equal(rc, -1);
		assert_non_null(err);
		if (strstr(err, cases[i].expect) == NULL)
			fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].expect);
		assert_true(strncmp(err, "/tmp/baocao-test-config-", 24) == 0);
		/* A failed load leaves the defaults. */
		assert_int_equal(cfg.port, 8080);
		free(err);
		config_free(&cfg);
	}
}

static void test_missing_file(void **state)
{
	struct config cfg;
	char *err = NULL;
	assert_int_equal(config_load("/nonexistent/baocaod.conf", &cfg, &err), -1);
	assert_non_null(strstr(err, "/nonexistent/baocaod.conf: cannot open"));
	free(err);
	config_free(&cfg);
}

/* A reload keeps settings that need a restart and says which ones the file changed. */
static void test_keep_fixed(void **state)
{
	struct config old, new;
	char *err;
	assert_int_equal(load_text("[server]\nport = 9000\nlog_level = warn\n", &old, &err), 0);
	assert_int_equal(load_text("[server]\nport = 9001\nlog_level = debug\nlisten = 0.0.0.0\n",
				   &new, &err), 0);
	char *changed = NULL;
	config_keep_fixed(&old, &new, &changed);
	assert_non_null(changed);
	assert_non_null(strstr(changed, "server.port"));
	assert_non_null(strstr(changed, "server.listen"));
	assert_null(strstr(changed, "log_level"));
	assert_int_equal(new.port, 9000);
	assert_string_equal(new.listen, "127.0.0.1");
	assert_int_equal(new.log_level, 0);
	free(changed);

	changed = NULL;
	config_keep_fixed(&old, &old, &changed);
	assert_null(changed);
	config_free(&old);
	config_free(&new);
}

static void test_parsers(void **state)
{
	long long v;
	bool b;
	assert_true(config_parse_size("20M", &v));
	assert_int_equal(v, 20971520);
	assert_true(config_parse_size("1g", &v));
	assert_int_equal(v, 1073741824);
	assert_true(config_parse_size("100", &v));
	assert_int_equal(v, 100);
	assert_false(config_parse_size("-1", &v));
	assert_false(config_parse_size("", &v));
	assert_false(config_parse_size("99999999999999999999", &v));
	assert_true(config_parse_duration("90", &v));
	assert_int_equal(v, 90000);
	assert_true(config_parse_duration("2h", &v));
	assert_int_equal(v, 7200000);
	assert_true(config_parse_duration("90d", &v));
	assert_int_equal(v, 90LL * 86400000);
	assert_false(config_parse_duration("2 weeks", &v));
	assert_true(config_parse_bool("Off", &b));
	assert_false(b);
	assert_false(config_parse_bool("2", &b));
}

/* The shipped series file loads, and each definition reads back the same from the text the
 * database keeps (series_format, then series_parse_text). */
static void test_series_file_round_trip(void **state)
{
	struct series_list file, back;
	char *err = NULL;
	if (series_load(TEST_SOURCE_ROOT "/config/series.conf", &file, &err) != 0)
		fail_msg("%s", err);
	assert_non_null(series_find(&file, "nq57-weekly"));
	struct strbuf text = STRBUF_INIT;
	for (size_t i = 0; i < file.n; i++) {
		strbuf_addf(&text, "[series %s]\n", file.items[i].name);
		series_format(&file.items[i], &text);
	}
	if (series_parse_text(text.data, "test", &back, &err) != 0)
		fail_msg("%s", err);
	assert_int_equal(back.n, file.n);
	for (size_t i = 0; i < file.n; i++) {
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
		series_format(&file.items[i], &a);
		series_format(&back.items[i], &b);
		assert_string_equal(a.data, b.data);
		assert_string_equal(file.items[i].name, back.items[i].name);
		assert_int_equal(file.items[i].has_first, back.items[i].has_first);
		strbuf_free(&a);
		strbuf_free(&b);
	}
	const struct series_def *w = series_find(&back, "nq57-weekly");
	assert_non_null(w);
	assert_true(w->has_first && w->first.year == 2026 && w->first.index == 1);
	assert_int_equal(w->nreminders, 3);
	assert_true(w->require_document && w->require_consolidated_document);
	assert_false(series_find(&back, "ngoai-vu-282-half-yearly")->require_consolidated_document);
	/* yes or no only, said with the key */
	struct series_list bad;
	const char *wrong = "[series x]\nrequire_consolidated_document = maybe\n";
	assert_int_not_equal(series_parse_text(wrong, "test", &bad, &err), 0);
	assert_non_null(strstr(err, "invalid value 'maybe' for key 'require_consolidated_document'"));
	free(err);
	strbuf_free(&text);
	series_list_free(&file);
	series_list_free(&back);
}

/* ack_by: the default unless set; a value set is kept in the text the database keeps; a bad
 * one names the key and the line. */
static void test_series_ack_by(void **state)
{
	static const char base[] = "[series s]\ntitle = T\nperiod = weekly\n"
				   "unit_deadline = fri 11:00\nconsolidation_deadline = fri 15:30\n"
				   "consolidator = SKHCN\nunits = STC\n";
	struct series_list l;
	char *err = NULL;
	if (series_parse_text(base, "test", &l, &err) != 0)
		fail_msg("%s", err);
	struct ack_rule def = ACK_RULE_DEFAULT;
	assert_true(ack_rule_equal(&l.items[0].ack_by, &def));
	struct strbuf text = STRBUF_INIT;
	series_format(&l.items[0], &text);
	assert_null(strstr(text.data, "ack_by"));
	strbuf_free(&text);
	series_list_free(&l);
	char *set = xasprintf("%sack_by = +1d 8:00\n", base);
	if (series_parse_text(set, "test", &l, &err) != 0)
		fail_msg("%s", err);
	series_format(&l.items[0], &text);
	assert_non_null(strstr(text.data, "ack_by = +1d 08:00\n"));
	strbuf_free(&text);
	series_list_free(&l);
	free(set);
	set = xasprintf("%sack_by = fri 16:30\n", base);
	assert_int_not_equal(series_parse_text(set, "test", &l, &err), 0);
	assert_non_null(strstr(err, ":8:"));
	assert_non_null(strstr(err, "ack_by"));
	free(err);
	free(set);
}

/* The shipped example file (with the shipped series file) must load and mention every key. */
static void test_example_file_documents_every_key(void **state)
{
	const char *path = TEST_SOURCE_ROOT "/config/baocaod.conf.example";
	char *text;
	size_t len;
	assert_int_equal(file_read_all(path, 1 << 20, &text, &len), 0);
	const char *installed = "series_file = /usr/local/etc/baocao/series.conf";
	char *at = strstr(text, installed);
	assert_non_null(at);
	char *here = xasprintf("%.*sseries_file = %s/config/series.conf%s", (int)(at - text), text,
			       TEST_SOURCE_ROOT, at + strlen(installed));
	char *tmp = write_temp(here);
	struct config cfg;
	char *err = NULL;
	if (config_load(tmp, &cfg, &err) != 0)
		fail_msg("%s", err);
	config_free(&cfg);
	unlink(tmp);
	free(tmp);
	free(here);
	for (const struct setting_def *d = config_settings; d->name; d++) {
		char *needle = xasprintf("\n%s =", d->name);
		char *commented = xasprintf("\n;%s =", d->name);
		if (strstr(text, needle) == NULL && strstr(text, commented) == NULL)
			fail_msg("%s.%s is not in the example config", d->section, d->name);
		free(needle);
		free(commented);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_setting_has_valid_default_and_help),
		cmocka_unit_test(test_settings_alphabetical_per_section),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_keep_fixed),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_example_file_documents_every_key),
		cmocka_unit_test(test_series_file_round_trip),
		cmocka_unit_test(test_series_ack_by),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
