/* Tests of composing an e-mail: encoded-words, file names, line ends and lengths, a real parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deliver.h"
#include "fileio.h"
#include "json_parse.h"
#include "mail.h"
#include "util.h"
#include "xmltext.h"

/* Decodes base64 (no line breaks) into out; returns false on a bad character or length. */
static bool b64_decode(const char *s, size_t n, struct strbuf *out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	if (n % 4 != 0)
		return false;
	for (size_t i = 0; i < n; i += 4) {
		unsigned v = 0;
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			const char *at = s[i + k] == '=' ? NULL : strchr(alphabet, s[i + k]);
			if (s[i + k] == '=')
				pad++;
			else if (at == NULL || s[i + k] == '\0' || pad)
				return false;
			v = v << 6 | (at != NULL ? (unsigned)(at - alphabet) : 0);
		}
		strbuf_addc(out, (char)(v >> 16));
		if (pad < 2)
			strbuf_addc(out, (char)(v >> 8));
		if (pad < 1)
			strbuf_addc(out, (char)v);
	}
	return true;
}

/* Checks one header field written by mail_header_text: lines of at most 78 characters, words of
 * at most 75 that each hold whole UTF-8 characters, and the words decode to value exactly. */
static void check_encoded_header(const char *name, const char *field, const char *value)
{
	struct strbuf decoded = STRBUF_INIT;
	size_t name_len = strlen(name);
	assert_true(strncmp(field, name, name_len) == 0 && strncmp(field + name_len, ": ", 2) == 0);
	const char *p = field + name_len + 2;
	size_t line_start = 0;
	for (const char *q = field; *q; q++) {
		if (q[0] == '\r' && q[1] == '\n') {
			if ((size_t)(q - field) - line_start > 78)
				fail_msg("line longer than 78 in [%s]", field);
			line_start = (size_t)(q + 2 - field);
		}
	}
	assert_true(str_has_suffix(field, "\r\n"));
	while (*p != '\r') {
		const char *end = strstr(p, "?=");
		assert_true(str_has_prefix(p, "=?UTF-8?B?"));
		assert_non_null(end);
		size_t word_len = (size_t)(end + 2 - p);
		if (word_len > 75)
			fail_msg("encoded-word of %zu characters", word_len);
		struct strbuf one = STRBUF_INIT;
		assert_true(b64_decode(p + 10, (size_t)(end - p - 10), &one));
		if (!xmltext_valid(strbuf_str(&one), one.len))
			fail_msg("a word splits a UTF-8 character: [%s]", strbuf_str(&one));
		strbuf_add(&decoded, one.data, one.len);
		strbuf_free(&one);
		p = end + 2;
		if (str_has_prefix(p, "\r\n "))
			p += 3;
	}
	assert_string_equal(p, "\r\n");
	assert_string_equal(strbuf_str(&decoded), value);
	strbuf_free(&decoded);
}

static void test_subject_words(void **state)
{
	static const char *const subjects[] = {
		"Nhắc nộp báo cáo tuần 50 năm 2026: Sở Văn hóa, Thể thao và Du lịch tỉnh Hà Tĩnh "
		"chưa nộp báo cáo tổng hợp",
		"Báo cáo",
		"ỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨỨ",
		"aỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨaỨ",
		"Đề nghị các đơn vị: Ủy ban nhân dân các huyện, thị xã, thành phố; các sở, ban, "
		"ngành cấp tỉnh hoàn thành việc cập nhật số liệu trước 17 giờ 00 ngày thứ Sáu, "
		"trường hợp chậm trễ sẽ được tổng hợp báo cáo Chủ tịch Ủy ban nhân dân tỉnh 😀",
		"A subject =?UTF-8?B?looks?= encoded",
		"An ASCII subject that is much too long for a single header line of seventy-eight",
	};
	static const char *const names[] = { "Subject", "X-A-Rather-Long-Header-Name-For-Folding" };
	for (size_t n = 0; n < nitems(names); n++) {
		for (size_t i = 0; i < nitems(subjects); i++) {
			struct strbuf sb = STRBUF_INIT;
			mail_header_text(&sb, names[n], subjects[i]);
			check_encoded_header(names[n], strbuf_str(&sb), subjects[i]);
			strbuf_free(&sb);
		}
	}
}

static void test_subject_plain(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	mail_header_text(&sb, "Subject", "Weekly report reminder");
	assert_string_equal(strbuf_str(&sb), "Subject: Weekly report reminder\r\n");
	strbuf_free(&sb);
}

static void test_ascii_filename(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Báo cáo tổng hợp tuần 50.xlsx", "Bao cao tong hop tuan 50.xlsx" },
		{ "ĐỀ XUẤT ƯU TIÊN Ở ĐẢO.pdf", "DE XUAT UU TIEN O DAO.pdf" },
		{ "Kết quả \"quý\" 3/2026.xlsx", "Ket qua _quy_ 3_2026.xlsx" },
		{ "Thu\xCC\x9B\xCC\x89 nghie\xCC\xA3m.txt", "Thu nghiem.txt" },
		{ "报告.xlsx", "__.xlsx" },
		{ "", "attachment" },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		char *s = mail_ascii_filename(cases[i].in);
		if (strcmp(s, cases[i].out) != 0)
			fail_msg("case %zu: got [%s] expected [%s]", i, s, cases[i].out);
		free(s);
	}
}

/* A message like the daemon's reminders, with an attachment. */
static struct mail_message sample(const struct mail_attachment *att, size_t natt)
{
	return (struct mail_message){
		.from = "Hệ thống báo cáo <baocao@example.vn>",
		.reply_to = "vanphong@example.vn",
		.to = "truongphong@example.vn",
		.subject = "Nhắc nộp báo cáo tuần 50 năm 2026 của Sở Văn hóa, Thể thao và Du lịch",
		.text = "Kính gửi đồng chí,\nbare LF\r\nCRLF\rbare CR\n\n.\nTrân trọng.",
		.html = "<p>Kính gửi đồng chí,</p>",
		.message_id = "<w50.u12@baocao.example.vn>",
		.date = 1765000000,
		.attachments = att,
		.nattachments = natt,
	};
}

static const unsigned char att_bytes[] = { 'P', 'K', 3, 4, 0, 0xFF, '\r', '\n', '.', '\n', 0x80 };
static const struct mail_attachment att = {
	.filename = "Báo cáo tổng hợp tuần 50.xlsx",
	.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	.data = att_bytes, .len = sizeof att_bytes,
};

static void test_lines_and_line_ends(void **state)
{
	struct mail_message m = sample(&att, 1);
	struct strbuf sb = STRBUF_INIT;
	mail_format(&m, &sb);
	const char *s = strbuf_str(&sb);
	size_t start = 0;
	for (size_t i = 0; i < sb.len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			fail_msg("bare LF at %zu", i);
		if (s[i] == '\r' && s[i + 1] != '\n')
			fail_msg("bare CR at %zu", i);
		if (s[i] == '\n') {
			if (i - 1 - start > 78)
				fail_msg("line of %zu characters at %zu", i - 1 - start, start);
			start = i + 1;
		}
	}
	assert_int_equal(start, sb.len);
	/* The text part's base64 decodes to the text with every line end as CRLF. */
	const char *body = strstr(s, "text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	assert_non_null(body);
	body = strstr(body, "\r\n\r\n") + 4;
	struct strbuf b64 = STRBUF_INIT, text = STRBUF_INIT;
	while (*body != '-') {
		const char *eol = strstr(body, "\r\n");
		assert_true(eol - body <= 76);
		strbuf_add(&b64, body, (size_t)(eol - body));
		body = eol + 2;
	}
	assert_true(b64_decode(strbuf_str(&b64), b64.len, &text));
	assert_string_equal(strbuf_str(&text),
			    "Kính gửi đồng chí,\r\nbare LF\r\nCRLF\r\nbare CR\r\n\r\n.\r\nTrân trọng.");
	assert_non_null(strstr(s, "Date: Sat, 06 Dec 2025 12:46:40 +0700\r\n"));
	/* Too long for one line: RFC 2231 continuations, each of whole characters. */
	assert_non_null(strstr(s, "Content-Disposition: attachment;\r\n"
				  " filename*0*=UTF-8''B%C3%A1o%20c%C3%A1o%20t%E1%BB%95ng%20h%E1%BB%A3p%20tu;\r\n"
				  " filename*1*=%E1%BA%A7n%2050.xlsx;\r\n"
				  " filename=\"Bao cao tong hop tuan 50.xlsx\"\r\n"));
	strbuf_reset(&sb);
	struct mail_attachment short_att = att;
	short_att.filename = "Tuần 50.xlsx";
	m.attachments = &short_att;
	mail_format(&m, &sb);
	assert_non_null(strstr(strbuf_str(&sb), "Content-Disposition: attachment;\r\n"
				  " filename*=UTF-8''Tu%E1%BA%A7n%2050.xlsx;\r\n filename=\"Tuan 50.xlsx\"\r\n"));
	strbuf_free(&b64);
	strbuf_free(&text);
	strbuf_free(&sb);
}

static void test_check_refuses(void **state)
{
	struct mail_message m = sample(NULL, 0);
	char *detail = NULL;
	assert_int_equal(mail_check(&m, &detail), 0);
	const char *bad_to[] = { "x@y.vn\r\nBcc: all@y.vn", "", "a@b, c@d", "<a@b>", "nobody" };
	for (size_t i = 0; i < nitems(bad_to); i++) {
		m = sample(NULL, 0);
		m.to = bad_to[i];
		assert_int_equal(mail_check(&m, &detail), -1);
		assert_non_null(detail);
		free(detail);
		detail = NULL;
	}
	m = sample(NULL, 0);
	m.message_id = "no-brackets@h";
	assert_int_equal(mail_check(&m, &detail), -1);
	free(detail);
	m = sample(NULL, 0);
	m.subject = NULL;
	assert_int_equal(mail_check(&m, &detail), -1);
	free(detail);
}

/* Texts outside the text rule (stored before it) are sent with U+FFFD, not refused. */
static void test_format_maps_bad_text(void **state)
{
	struct mail_message m = sample(NULL, 0);
	m.subject = "bad \xC3";
	m.text = "a\xEF\xBF\xBF" "b\x01" "c";
	char *detail = NULL;
	assert_int_equal(mail_check(&m, &detail), 0);
	struct strbuf sb = STRBUF_INIT, want = STRBUF_INIT;
	mail_format(&m, &sb);
	/* "bad \uFFFD" as one encoded-word; the body in base64 */
	assert_non_null(strstr(strbuf_str(&sb), "Subject: =?UTF-8?B?YmFkIO+/vQ==?="));
	assert_non_null(strstr(strbuf_str(&sb), "Ye+/vWLvv71j"));	/* "a\uFFFDb\uFFFDc" */
	strbuf_free(&sb);
	strbuf_free(&want);
}

/* Formats m into a file, parses it with Python's email package (tests/unit/data/mail_parse.py)
 * and returns what that reader saw. */
static struct jv *parse_with_python(const struct mail_message *m)
{
	char path[] = "/tmp/baocao-test-mail-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	struct strbuf sb = STRBUF_INIT;
	mail_format(m, &sb);
	assert_int_equal(write(fd, sb.data, sb.len), (ssize_t)sb.len);
	assert_int_equal(close(fd), 0);
	strbuf_free(&sb);
	char *cmd = xasprintf("/usr/bin/python3 %s/tests/unit/data/mail_parse.py %s", TEST_SOURCE_ROOT,
			      path);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	struct strbuf out = STRBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		strbuf_add(&out, buf, n);
	assert_int_equal(pclose(f), 0);
	assert_int_equal(unlink(path), 0);
	free(cmd);
	char *err = NULL;
	struct jv *v = jv_parse(strbuf_str(&out), out.len, &err);
	if (v == NULL)
		fail_msg("%s: [%s]", err, strbuf_str(&out));
	strbuf_free(&out);
	return v;
}

static void test_python_parses_back(void **state)
{
	if (access("/usr/bin/python3", X_OK) != 0)
		skip();
	struct mail_message m = sample(&att, 1);
	struct jv *v = parse_with_python(&m);
	assert_string_equal(jv_get_string(v, "subject"), m.subject);
	assert_string_equal(jv_get_string(v, "from_name"), "Hệ thống báo cáo");
	assert_string_equal(jv_get_string(v, "from_addr"), "baocao@example.vn");
	assert_string_equal(jv_get_string(v, "to"), m.to);
	assert_int_equal((long)jv_get(v, "date")->number, 1765000000);
	assert_string_equal(jv_get_string(v, "text"),
			    "Kính gửi đồng chí,\r\nbare LF\r\nCRLF\r\nbare CR\r\n\r\n.\r\nTrân trọng.");
	assert_string_equal(jv_get_string(v, "html"), m.html);
	const struct jv *names = jv_get(v, "filenames");
	assert_int_equal(names->len, 1);
	assert_string_equal(names->items[0].string, att.filename);
	assert_string_equal(jv_get(v, "attachments_hex")->items[0].string, "504b030400ff0d0a2e0a80");
	assert_int_equal((long)jv_get(v, "defects")->number, 0);
	jv_free(v);

	/* Without HTML and attachments: one text/plain part. */
	m = sample(NULL, 0);
	m.html = NULL;
	m.subject = "Plain ASCII subject";
	v = parse_with_python(&m);
	assert_string_equal(jv_get_string(v, "subject"), "Plain ASCII subject");
	assert_true(jv_get(v, "html")->type == JV_NULL);
	assert_int_equal(jv_get(v, "filenames")->len, 0);
	jv_free(v);
}

/* Reads a message through a mail_reader in pieces of random sizes (1 to 200 bytes, seeded);
 * checks its size was told right and returns it (new buffer). */
static void read_in_pieces(const struct mail_message *m, unsigned seed, struct strbuf *out)
{
	struct mail_reader *r = mail_reader_new(m);
	char piece[200];
	size_t n;
	srand(seed);
	do {
		size_t want = 1 + (size_t)rand() % sizeof piece;
		n = mail_reader_read(r, piece, want);
		assert_true(n <= want);
		strbuf_add(out, piece, n);
	} while (n > 0);
	assert_int_equal(mail_reader_read(r, piece, sizeof piece), 0);	/* stays at the end */
	assert_int_equal(mail_reader_size(r), out->len);
	mail_reader_free(r);
}

/* Bytes that vary and run through every value. */
static unsigned char *pattern(size_t n)
{
	unsigned char *p = xmalloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 131 + i / 251 + 7);
	return p;
}

/* The message read in small pieces (attachments encoded as they are reached) is the one
 * composed whole: attachments of 0, 1, 2, 3, 57 and 58 bytes (a base64 group, a line, a line
 * and one) and a large one, alone and several in one message; written to the spool too. */
static void test_reader_streams(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 57, 58, 56, 114, 256 * 1024 + 5 };
	const size_t nsizes = sizeof sizes / sizeof *sizes;
	struct mail_attachment all[sizeof sizes / sizeof *sizes];
	unsigned char *data[sizeof sizes / sizeof *sizes];
	for (size_t i = 0; i < nsizes; i++) {
		data[i] = pattern(sizes[i]);
		all[i] = att;
		all[i].filename = i % 2 ? "Tuần 50.xlsx" : "Văn bản ký số của Sở.pdf";
		all[i].content_type = i % 2 ? att.content_type : "application/pdf";
		all[i].data = data[i];
		all[i].len = sizes[i];
	}
	all[0].data = NULL;	/* no data at all, as an empty file may come */
	struct strbuf whole = STRBUF_INIT, read = STRBUF_INIT;
	/* Each alone, then all of them in one message, then none. */
	for (size_t k = 0; k <= nsizes + 1; k++) {
		struct mail_message m = k < nsizes ? sample(&all[k], 1) :
					k == nsizes ? sample(all, nsizes) : sample(NULL, 0);
		strbuf_reset(&whole);
		strbuf_reset(&read);
		mail_format(&m, &whole);
		read_in_pieces(&m, (unsigned)k + 1, &read);
		assert_int_equal(read.len, whole.len);
		assert_memory_equal(read.data, whole.data, whole.len);
	}
	/* A large attachment's body decodes back to its bytes. */
	struct mail_message one = sample(&all[nsizes - 1], 1);
	strbuf_reset(&read);
	read_in_pieces(&one, 99, &read);
	const char *body = strstr(strbuf_str(&read), "Tu_n 50.xlsx\"\r\n\r\n");
	if (body == NULL)
		body = strstr(strbuf_str(&read), ".pdf\"\r\n\r\n");
	assert_non_null(body);
	body = strstr(body, "\r\n\r\n") + 4;
	struct strbuf b64 = STRBUF_INIT, bytes = STRBUF_INIT;
	while (*body != '-') {
		const char *eol = strstr(body, "\r\n");
		assert_true(eol - body <= 76);
		strbuf_add(&b64, body, (size_t)(eol - body));
		body = eol + 2;
	}
	assert_true(b64_decode(strbuf_str(&b64), b64.len, &bytes));
	assert_int_equal(bytes.len, sizes[nsizes - 1]);
	assert_memory_equal(bytes.data, data[nsizes - 1], bytes.len);
	/* The spool writes the same bytes as mail_format. */
	char dir[] = "/tmp/baocao-spool-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct mail_message m = sample(all, nsizes);
	char *detail = NULL;
	assert_int_equal(mail_spool(dir, &m, &detail), 0);
	char *path = xasprintf("%s/w50.u12_baocao.example.vn.eml", dir);
	char *file = NULL;
	size_t len = 0;
	assert_int_equal(file_read_all(path, 64 << 20, &file, &len), 0);
	strbuf_reset(&whole);
	mail_format(&m, &whole);
	assert_int_equal(len, whole.len);
	assert_memory_equal(file, whole.data, len);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	free(file);
	free(path);
	for (size_t i = 0; i < nsizes; i++)
		free(data[i]);
	strbuf_free(&b64);
	strbuf_free(&bytes);
	strbuf_free(&whole);
	strbuf_free(&read);
}

/* Deliveries: secrets are not shown, plain http only to this machine, a missing folder is
 * not made, a written file has the delivery's mode. */
static void test_deliveries(void **state)
{
	char *shown = deliver_url_display("https://nhan:bi-mat@vptu.example.vn:8443/nhan?token=x#y");
	assert_string_equal(shown, "https://vptu.example.vn:8443/nhan");
	free(shown);
	struct deliver_file f = { "a.xlsx", "application/octet-stream", "x", 1, "<k@baocao>",
				  "nq57-weekly", "2026-W50", 1 };
	char *detail = NULL;
	assert_int_equal(deliver_http("http://vptu.example.vn/nhan?token=bi-mat", &f, &detail),
			 DELIVER_PERMANENT);
	assert_non_null(strstr(detail, "https://"));
	assert_null(strstr(detail, "bi-mat"));
	free(detail);
	detail = NULL;

	char dir[] = "/tmp/baocao-deliver-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *missing = xasprintf("%s/share", dir);
	assert_int_equal(deliver_folder(missing, "a.xlsx", "x", 1, &detail), DELIVER_TEMPORARY);
	assert_non_null(strstr(detail, "not there"));
	free(detail);
	detail = NULL;
	struct stat st;
	assert_int_not_equal(stat(missing, &st), 0);	/* not made */
	assert_int_equal(deliver_folder(dir, "../a.xlsx", "x", 1, &detail), DELIVER_PERMANENT);
	free(detail);
	detail = NULL;
	assert_int_equal(deliver_folder(dir, "a.xlsx", "abc", 3, &detail), DELIVER_DONE);
	char *path = xasprintf("%s/a.xlsx", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(st.st_size, 3);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	free(path);
	free(missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_words),
		cmocka_unit_test(test_subject_plain),
		cmocka_unit_test(test_ascii_filename),
		cmocka_unit_test(test_lines_and_line_ends),
		cmocka_unit_test(test_check_refuses),
		cmocka_unit_test(test_format_maps_bad_text),
		cmocka_unit_test(test_python_parses_back),
		cmocka_unit_test(test_deliveries),
		cmocka_unit_test(test_reader_streams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
