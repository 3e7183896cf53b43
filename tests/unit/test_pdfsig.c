/* Tests of the PDF signature check (pdfsig.c) over the signed PDFs of tests/pdf/make_fixtures.py:
 * every state, the signer, organization and time read back, the JSON and the Vietnamese lines,
 * and hostile files (ByteRange out of bounds, overlapping, negative, huge /Contents, odd hex,
 * cut short, no trailer) refused or reported invalid. */
#include "pdfsig.h"
#include "util.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* 10:42 on 4 December 2026 in Vietnam: the /M of every fixture's signature dictionary. */
#define M_DATE 1796355720

static struct pdfsig_trust *trusted;

/* Reads a fixture (new buffer). */
static unsigned char *fixture(const char *name, size_t *len)
{
	char *path = xasprintf("%s/%s", PDF_FIXTURES, name);
	char *data = NULL;
	if (file_read_all(path, 1 << 24, &data, len) != 0)
		fail_msg("cannot read %s (made by tests/pdf/make_fixtures.py)", path);
	free(path);
	return (unsigned char *)data;
}

/* Checks bytes with the trusted root at the present time; asserts the file was examined. */
static void check_bytes(const unsigned char *pdf, size_t len, const struct pdfsig_trust *trust,
			struct pdfsig_result *r)
{
	char *err = NULL;
	int rc = pdfsig_verify(pdf, len, trust, time(NULL), r, &err);
	if (rc != 0)
		fail_msg("refused: %s", err);
	assert_null(err);
}

/* Checks a fixture and asserts it holds one signature in the given state; the result is
 * left in r. */
static void check_one(const char *name, enum pdfsig_state state, struct pdfsig_result *r)
{
	size_t len;
	unsigned char *pdf = fixture(name, &len);
	check_bytes(pdf, len, trusted, r);
	free(pdf);
	assert_int_equal(r->n, 1);
	if (r->sigs[0].state != state)
		fail_msg("%s: %s, not %s: %s", name, pdfsig_state_name(r->sigs[0].state),
			 pdfsig_state_name(state), r->sigs[0].message);
}

/* Loads the trusted root once. */
static int setup(void **state)
{
	char *path = xasprintf("%s/roots.pem", PDF_FIXTURES);
	char *err = NULL;
	trusted = pdfsig_trust_load(path, &err);
	free(path);
	if (trusted == NULL) {
		fprintf(stderr, "# %s\n", err);
		free(err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	pdfsig_trust_free(trusted);
	return 0;
}

/* A well signed file: valid, with its signer, organization and signing time. */
static void test_valid(void **state)
{
	struct pdfsig_result r;
	check_one("valid.pdf", PDFSIG_VALID, &r);
	assert_string_equal(r.sigs[0].signer, "Nguyễn Văn A");
	assert_string_equal(r.sigs[0].organization, "Sở Tài chính");
	/* The CMS signingTime: when the fixtures were made, not the /M. */
	assert_true(r.sigs[0].signed_at != 0 && r.sigs[0].signed_at != M_DATE);
	assert_true(llabs((long long)(time(NULL) - r.sigs[0].signed_at)) < 7 * 86400);
	char *line = pdfsig_summary_vi(&r);
	assert_true(str_has_prefix(line, "Ký số hợp lệ — Nguyễn Văn A, Sở Tài chính, "));
	assert_string_equal(line, r.sigs[0].message);
	free(line);
	pdfsig_result_free(&r);
}

/* Without signed attributes the time is the dictionary's /M; the JSON and the line exactly. */
static void test_dictionary_time_json_and_line(void **state)
{
	struct pdfsig_result r;
	check_one("noattr.pdf", PDFSIG_VALID, &r);
	assert_int_equal(r.sigs[0].signed_at, M_DATE);
	const char *line = "Ký số hợp lệ — Nguyễn Văn A, Sở Tài chính, 10 giờ 42 ngày 04/12/2026";
	char *summary = pdfsig_summary_vi(&r);
	assert_string_equal(summary, line);
	free(summary);
	char *json = pdfsig_result_json(&r);
	char *want = xasprintf("[{\"state\":\"valid\",\"signer\":\"Nguyễn Văn A\","
			       "\"organization\":\"Sở Tài chính\","
			       "\"signed_at\":\"2026-12-04T10:42:00+07:00\",\"message\":\"%s\"}]",
			       line);
	assert_string_equal(json, want);
	free(want);
	free(json);
	pdfsig_result_free(&r);
}

/* An update appended after signing: modified, the signer still named. */
static void test_modified(void **state)
{
	struct pdfsig_result r;
	check_one("modified.pdf", PDFSIG_MODIFIED, &r);
	assert_string_equal(r.sigs[0].signer, "Nguyễn Văn A");
	assert_true(str_has_prefix(r.sigs[0].message,
				   "Chữ ký số không hợp lệ: tệp đã bị sửa sau khi ký — Nguyễn Văn A"));
	char *json = pdfsig_result_json(&r);
	assert_non_null(strstr(json, "\"state\":\"modified\""));
	free(json);
	pdfsig_result_free(&r);
}

/* A signed byte changed: invalid. */
static void test_invalid(void **state)
{
	struct pdfsig_result r;
	check_one("invalid.pdf", PDFSIG_INVALID, &r);
	assert_string_equal(r.sigs[0].signer, "Nguyễn Văn A");
	assert_true(str_has_prefix(r.sigs[0].message,
				   "Chữ ký số không hợp lệ: nội dung đã ký bị thay đổi"));
	pdfsig_result_free(&r);
}

/* A signer of a root nobody trusts; and a good signature checked without the trusted root. */
static void test_untrusted(void **state)
{
	struct pdfsig_result r;
	check_one("untrusted.pdf", PDFSIG_UNTRUSTED, &r);
	assert_string_equal(r.sigs[0].signer, "Phạm Văn D");
	assert_string_equal(r.sigs[0].organization, "Công ty Lạ");
	assert_true(str_has_prefix(r.sigs[0].message, "Chữ ký số chưa được tin cậy: "));
	pdfsig_result_free(&r);

	size_t len;
	unsigned char *pdf = fixture("valid.pdf", &len);
	check_bytes(pdf, len, NULL, &r);
	assert_int_equal(r.sigs[0].state, PDFSIG_UNTRUSTED);
	pdfsig_result_free(&r);
	char *err = NULL, *other = xasprintf("%s/other-root.pem", PDF_FIXTURES);
	struct pdfsig_trust *t = pdfsig_trust_load(other, &err);
	assert_non_null(t);
	check_bytes(pdf, len, t, &r);
	assert_int_equal(r.sigs[0].state, PDFSIG_UNTRUSTED);
	pdfsig_result_free(&r);
	pdfsig_trust_free(t);
	t = pdfsig_trust_load("", &err);
	assert_non_null(t);
	check_bytes(pdf, len, t, &r);
	assert_int_equal(r.sigs[0].state, PDFSIG_UNTRUSTED);
	pdfsig_result_free(&r);
	pdfsig_trust_free(t);
	free(other);
	free(pdf);
}

/* A certificate that ran out in 2021: expired, with its end date. */
static void test_expired(void **state)
{
	struct pdfsig_result r;
	check_one("expired.pdf", PDFSIG_EXPIRED, &r);
	assert_string_equal(r.sigs[0].signer, "Lê Văn C");
	assert_true(str_has_prefix(r.sigs[0].message,
				   "Chứng thư số đã hết hạn (ngày 01/01/2021) — Lê Văn C, Sở Xây dựng"));
	pdfsig_result_free(&r);
	/* The valid signer checked at a time after its certificate's end (2044). */
	size_t len;
	unsigned char *pdf = fixture("valid.pdf", &len);
	char *err = NULL;
	assert_int_equal(pdfsig_verify(pdf, len, trusted, 2461449600 /* 2048 */, &r, &err), 0);
	assert_int_equal(r.sigs[0].state, PDFSIG_EXPIRED);
	pdfsig_result_free(&r);
	free(pdf);
}

/* Two signers, each reported in order; an update after both makes the last one modified. */
/* A change after a trusted signature, signed over by anyone: the later signature, untrusted,
 * vouches for nothing, and the first is modified (the document's state is not "valid"). */
static void test_untrusted_cover(void **state)
{
	size_t len;
	unsigned char *pdf = fixture("covered.pdf", &len);
	struct pdfsig_result r;
	check_bytes(pdf, len, trusted, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.sigs[0].state, PDFSIG_MODIFIED);
	assert_int_equal(r.sigs[1].state, PDFSIG_UNTRUSTED);
	pdfsig_result_free(&r);
	free(pdf);
}

static void test_two_signatures(void **state)
{
	size_t len;
	unsigned char *pdf = fixture("two.pdf", &len);
	struct pdfsig_result r;
	check_bytes(pdf, len, trusted, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.sigs[0].state, PDFSIG_VALID);
	assert_int_equal(r.sigs[1].state, PDFSIG_VALID);
	assert_string_equal(r.sigs[0].signer, "Nguyễn Văn A");
	assert_string_equal(r.sigs[1].signer, "Trần Thị B");
	assert_string_equal(r.sigs[1].organization, "Sở Nội vụ");
	char *line = pdfsig_summary_vi(&r);
	assert_true(str_has_prefix(line, "2 chữ ký số: Ký số hợp lệ — Nguyễn Văn A"));
	assert_non_null(strstr(line, "; Ký số hợp lệ — Trần Thị B, Sở Nội vụ"));
	free(line);
	pdfsig_result_free(&r);

	const char *more = "1 0 obj\n<< >>\nendobj\n%%EOF\n";
	unsigned char *longer = xmalloc(len + strlen(more));
	memcpy(longer, pdf, len);
	memcpy(longer + len, more, strlen(more));
	/* Bytes after both: the file changed after each was signed. */
	check_bytes(longer, len + strlen(more), trusted, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.sigs[0].state, PDFSIG_MODIFIED);
	assert_int_equal(r.sigs[1].state, PDFSIG_MODIFIED);
	pdfsig_result_free(&r);
	free(longer);

	/* The second signature's own bytes changed: it is invalid, and nothing that checks
	 * vouches for what follows the first, which is then modified. */
	unsigned char *at = memmem(pdf, len, "(Ky bao cao)", 12);
	assert_non_null(at);
	at = memmem(at + 1, len - (size_t)(at + 1 - pdf), "(Ky bao cao)", 12);
	assert_non_null(at);
	at[10] = 'O';
	check_bytes(pdf, len, trusted, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.sigs[0].state, PDFSIG_MODIFIED);
	assert_int_equal(r.sigs[1].state, PDFSIG_INVALID);
	assert_string_equal(r.sigs[1].signer, "Trần Thị B");
	pdfsig_result_free(&r);
	free(pdf);
}

/* No signature: none reported, "[]", "Không có chữ ký số". */
static void test_unsigned(void **state)
{
	size_t len;
	unsigned char *pdf = fixture("unsigned.pdf", &len);
	struct pdfsig_result r;
	check_bytes(pdf, len, trusted, &r);
	assert_int_equal(r.n, 0);
	char *json = pdfsig_result_json(&r), *line = pdfsig_summary_vi(&r);
	assert_string_equal(json, "[]");
	assert_string_equal(line, "Không có chữ ký số");
	free(json);
	free(line);
	free(pdf);
}

/* White space after the signed bytes is no change; anything else is. */
static void test_trailing_bytes(void **state)
{
	size_t len;
	unsigned char *pdf = fixture("valid.pdf", &len);
	unsigned char *more = xmalloc(len + 4);
	memcpy(more, pdf, len);
	memcpy(more + len, "\r\n \n", 4);
	struct pdfsig_result r;
	check_bytes(more, len + 4, trusted, &r);
	assert_int_equal(r.sigs[0].state, PDFSIG_VALID);
	pdfsig_result_free(&r);
	more[len + 2] = 'x';
	check_bytes(more, len + 4, trusted, &r);
	assert_int_equal(r.sigs[0].state, PDFSIG_MODIFIED);
	pdfsig_result_free(&r);
	free(more);
	free(pdf);
}

/* The trusted certificates: a missing file and a file without a certificate are refused. */
static void test_trust_load(void **state)
{
	char *err = NULL;
	assert_null(pdfsig_trust_load("/nonexistent/roots.pem", &err));
	assert_non_null(strstr(err, "/nonexistent/roots.pem"));
	free(err);
	err = NULL;
	char *path = xasprintf("%s/unsigned.pdf", PDF_FIXTURES);
	assert_null(pdfsig_trust_load(path, &err));
	assert_non_null(err);
	free(err);
	free(path);
	struct pdfsig_trust *t = pdfsig_trust_load(NULL, &err);
	assert_non_null(t);
	pdfsig_trust_free(t);
}

/* valid.pdf with its ByteRange text replaced (padded to the same length with spaces). */
static unsigned char *with_byterange(const unsigned char *pdf, size_t len, const char *text)
{
	unsigned char *copy = xmalloc(len);
	memcpy(copy, pdf, len);
	unsigned char *at = memmem(copy, len, "/ByteRange [", 12);
	assert_non_null(at);
	unsigned char *close = memchr(at, ']', 64);
	assert_non_null(close);
	size_t room = (size_t)(close - at) + 1;
	while (close[1] == ' ')
		close++, room++;
	assert_true(strlen(text) <= room);
	memset(at, ' ', room);
	memcpy(at, text, strlen(text));
	return copy;
}

/* Bytes of valid.pdf's ByteRange, read back. */
static void byterange_of(const unsigned char *pdf, size_t len, unsigned long br[4])
{
	const unsigned char *at = memmem(pdf, len, "/ByteRange [", 12);
	assert_non_null(at);
	assert_int_equal(sscanf((const char *)at, "/ByteRange [%lu %lu %lu %lu]", &br[0], &br[1],
				&br[2], &br[3]), 4);
}

/* One hostile ByteRange: one signature, invalid, its message naming the problem. */
static void expect_invalid(const unsigned char *pdf, size_t len, const char *why)
{
	struct pdfsig_result r;
	check_bytes(pdf, len, trusted, &r);
	assert_int_equal(r.n, 1);
	if (r.sigs[0].state != PDFSIG_INVALID || strstr(r.sigs[0].message, why) == NULL)
		fail_msg("%s: %s (expected invalid: %s)", pdfsig_state_name(r.sigs[0].state),
			 r.sigs[0].message, why);
	char *json = pdfsig_result_json(&r);
	assert_non_null(strstr(json, "\"state\":\"invalid\""));
	free(json);
	pdfsig_result_free(&r);
}

/* ByteRanges out of bounds, overlapping, negative, huge, not at 0, not the gap, malformed. */
static void test_hostile_byteranges(void **state)
{
	size_t len;
	unsigned char *pdf = fixture("valid.pdf", &len);
	unsigned long br[4];
	byterange_of(pdf, len, br);
	struct {
		char *text;
		const char *why;
	} cases[] = {
		{ xasprintf("/ByteRange [0 %lu %lu %lu]", br[1], br[2], br[3] + 1), "vượt quá" },
		{ xasprintf("/ByteRange [0 %lu %lu %lu]", br[1], br[2], 99999999UL), "vượt quá" },
		{ xasprintf("/ByteRange [0 %lu %lu %lu]", br[2], br[1], br[3]), "chồng lên nhau" },
		{ xasprintf("/ByteRange [0 -%lu %lu %lu]", br[1], br[2], br[3]), "số âm" },
		{ xasprintf("/ByteRange [0 %lu 99999999999999999999 %lu]", br[1], br[3]), "vượt quá" },
		{ xasprintf("/ByteRange [1 %lu %lu %lu]", br[1], br[2], br[3]), "phần đầu tệp" },
		{ xasprintf("/ByteRange [0 %lu %lu %lu]", br[1] - 3, br[2], br[3]), "/Contents" },
		{ xasprintf("/ByteRange [0 %lu %lu %lu]", br[1], br[2] - 2, br[3] + 2), "/Contents" },
		{ xasprintf("/ByteRange [0 %lu %lu]", br[1], br[2]), "không đúng dạng" },
		{ xasprintf("/ByteRange (0 %lu %lu %lu)", br[1], br[2], br[3]), "không đúng dạng" },
		{ xasprintf("/ByteRange [0 %lu %lu 0]", br[1], br[2]), "nội dung đã ký" },
	};
	for (size_t i = 0; i < nitems(cases); i++) {
		unsigned char *bad = with_byterange(pdf, len, cases[i].text);
		expect_invalid(bad, len, cases[i].why);
		free(bad);
		free(cases[i].text);
	}
	free(pdf);
}

/* /Contents: odd hex, a character not hex, nothing signed, not CMS. */
static void test_hostile_contents(void **state)
{
	size_t len;
	unsigned char *pdf = fixture("valid.pdf", &len);
	unsigned long br[4];
	byterange_of(pdf, len, br);
	/* One more digit before '>', the ByteRange moved by one. */
	unsigned char *odd = xmalloc(len + 1);
	memcpy(odd, pdf, br[2] - 1);
	odd[br[2] - 1] = '0';
	memcpy(odd + br[2], pdf + br[2] - 1, len - br[2] + 1);
	char *text = xasprintf("/ByteRange [0 %lu %lu %lu]", br[1], br[2] + 1, br[3]);
	unsigned char *fixed = with_byterange(odd, len + 1, text);
	expect_invalid(fixed, len + 1, "số chữ số lẻ");
	free(fixed);
	free(text);
	free(odd);

	unsigned char *copy = xmalloc(len);
	memcpy(copy, pdf, len);
	copy[br[1] + 5] = 'g';
	expect_invalid(copy, len, "không phải hệ 16");
	memcpy(copy, pdf, len);
	memset(copy + br[1] + 1, '0', br[2] - br[1] - 2);
	expect_invalid(copy, len, "trống");
	memcpy(copy, pdf, len);
	memcpy(copy + br[1] + 1, "deadbeef", 8);
	expect_invalid(copy, len, "không đọc được chữ ký");
	free(copy);
	free(pdf);
}

/* A small PDF of one signature dictionary whose /Contents holds the given hex (generated);
 * its /ByteRange before /Contents, or after. */
static unsigned char *synthetic_at(const char *hex_fill, size_t hex_len, bool range_after,
				   size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, range_after ? "%PDF-1.7\n1 0 obj\n<< /Type /Sig /Contents " :
		    "%PDF-1.7\n1 0 obj\n<< /Type /Sig /ByteRange [0 AAAAAAAA BBBBBBBB CCCCCCCC]"
		    " /Contents ");
	size_t start = sb.len;
	strbuf_addc(&sb, '<');
	for (size_t i = 0; i < hex_len; i++)
		strbuf_addc(&sb, hex_fill[i % strlen(hex_fill)]);
	strbuf_addc(&sb, '>');
	size_t end = sb.len;
	strbuf_adds(&sb, range_after ? " /ByteRange [0 AAAAAAAA BBBBBBBB CCCCCCCC] /M (D:2026)"
		    " >>\nendobj\nstartxref\n0\n%%EOF\n" : " >>\nendobj\nstartxref\n0\n%%EOF\n");
	char br[64];
	int n = snprintf(br, sizeof br, "[0 %zu %zu %zu]", start, end, sb.len - end);
	char *at = strstr(sb.data, "[0 AAAA");
	size_t room = strlen("[0 AAAAAAAA BBBBBBBB CCCCCCCC]");
	memset(at, ' ', room);
	memcpy(at, br, (size_t)n);
	*len = sb.len;
	return (unsigned char *)strbuf_detach(&sb);
}

/* synthetic_at with the /ByteRange first. */
static unsigned char *synthetic(const char *hex_fill, size_t hex_len, size_t *len)
{
	return synthetic_at(hex_fill, hex_len, false, len);
}

/* A /Contents larger than the limit, and one of zeros beyond the limit (reserved space). */
static void test_huge_contents(void **state)
{
	size_t len;
	unsigned char *pdf = synthetic("3082", 2 * PDFSIG_MAX_DER + 4000, &len);
	expect_invalid(pdf, len, "quá lớn");
	free(pdf);
	pdf = synthetic("0", 2 * PDFSIG_MAX_DER + 4000, &len);
	expect_invalid(pdf, len, "trống");
	free(pdf);
	pdf = synthetic("30", 2, &len);
	expect_invalid(pdf, len, "không đọc được");
	free(pdf);
	/* A gap past twice the largest signature's room is not scanned. */
	pdf = synthetic("0", 4 * PDFSIG_MAX_DER + 4000, &len);
	expect_invalid(pdf, len, "dài quá mức");
	free(pdf);
	/* /ByteRange after /Contents (as some signing tools write it) is inside the signed bytes
	 * too; the /M after it is read (2026-01-01 00:00 UTC). */
	pdf = synthetic_at("30", 2, true, &len);
	expect_invalid(pdf, len, "không đọc được");
	struct pdfsig_result r;
	check_bytes(pdf, len, trusted, &r);
	assert_int_equal(r.sigs[0].signed_at, 1767225600);
	pdfsig_result_free(&r);
	free(pdf);
}

/* Files that cannot be examined are refused; a cut signed file reports its signature invalid;
 * many signature dictionaries give at most PDFSIG_MAX_SIGS. */
static void test_not_examinable(void **state)
{
	size_t len;
	unsigned char *pdf = fixture("valid.pdf", &len);
	struct pdfsig_result r;
	char *err = NULL;
	const char *bad[] = { "", "hello", "%PDF-1.7\n1 0 obj << >> endobj\n",
			      "%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n" };
	for (size_t i = 0; i < nitems(bad); i++) {
		assert_int_equal(pdfsig_verify((const unsigned char *)bad[i], strlen(bad[i]),
					       trusted, time(NULL), &r, &err), -1);
		assert_non_null(err);
		assert_int_equal(r.n, 0);
		free(err);
		err = NULL;
	}
	assert_int_equal(pdfsig_verify(pdf, 300, trusted, time(NULL), &r, &err), -1);
	free(err);
	/* Cut after the first revision's %%EOF but within the signature's bytes. */
	expect_invalid(pdf, len - 100, "vượt quá");

	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "%PDF-1.7\n");
	for (int i = 0; i < 100; i++)
		strbuf_adds(&sb, "<< /ByteRange [0 1 2 3] /Contents <00> >>\n");
	strbuf_adds(&sb, "startxref\n0\n%%EOF\n/ByteRange");
	check_bytes((const unsigned char *)sb.data, sb.len, trusted, &r);
	assert_true(r.n >= 1 && r.n <= PDFSIG_MAX_SIGS);
	for (size_t i = 0; i < r.n; i++)
		assert_int_equal(r.sigs[i].state, PDFSIG_INVALID);
	pdfsig_result_free(&r);
	strbuf_free(&sb);
	free(pdf);
}

/* The inputs the fuzzer once failed on (tests/fuzz/pdfsig-regress/), each checked again: an
 * answer in bounds, and nothing left allocated (the sanitizer and valgrind runs see a leak).
 * The first kept OpenSSL 3.0's own copy of the signed bytes when CMS_verify met a memory BIO. */
static void test_fuzz_regressions(void **state)
{
	DIR *dir = opendir(PDF_REGRESS);
	if (dir == NULL)
		fail_msg("cannot open %s", PDF_REGRESS);
	struct dirent *de;
	int seen = 0;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", PDF_REGRESS, de->d_name);
		char *data = NULL;
		size_t len;
		if (file_read_all(path, 1 << 24, &data, &len) != 0)
			fail_msg("cannot read %s", path);
		struct pdfsig_result r;
		char *err = NULL;
		if (pdfsig_verify((unsigned char *)data, len, trusted, M_DATE, &r, &err) == 0) {
			assert_true(r.n <= PDFSIG_MAX_SIGS);
			for (size_t i = 0; i < r.n; i++)
				assert_non_null(r.sigs[i].message);
			pdfsig_result_free(&r);
		} else {
			assert_non_null(err);
			free(err);
		}
		free(data);
		free(path);
		seen++;
	}
	closedir(dir);
	assert_true(seen > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_dictionary_time_json_and_line),
		cmocka_unit_test(test_modified),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_untrusted),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_two_signatures),
		cmocka_unit_test(test_untrusted_cover),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_trust_load),
		cmocka_unit_test(test_hostile_byteranges),
		cmocka_unit_test(test_hostile_contents),
		cmocka_unit_test(test_huge_contents),
		cmocka_unit_test(test_not_examinable),
		cmocka_unit_test(test_fuzz_regressions),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
