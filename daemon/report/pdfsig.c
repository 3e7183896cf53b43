/* The digital signatures of a PDF: signature dictionaries found by a bounded scan of the bytes
 * (incremental updates included, no object parser), each checked (pdfsig_cms.c), and the
 * result told in JSON and in Vietnamese. */
#include "pdfsig.h"
#include "pdfsig_cms.h"

#include "json.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the %PDF- header may start (as readers allow). */
#define HEADER_WINDOW 1024
/* The most /ByteRange keys examined in one file. */
#define MAX_KEYS 64
/* How far from /ByteRange and /Contents a dictionary's other keys (/M) are looked for. */
#define DICT_WINDOW 4096
/* The largest number a ByteRange entry may hold (far beyond any file the daemon takes). */
#define MAX_OFFSET 1000000000000000ULL
/* Vietnam's time (Asia/Ho_Chi_Minh): UTC+07:00, without summer time since 1975. */
#define VN_OFFSET (7 * 3600)

/* One signature dictionary as the scan found it. */
struct found {
	size_t key;		/* offset of "/ByteRange" */
	size_t br[4];		/* the ByteRange, when problem is NULL */
	size_t end;		/* br[2] + br[3]: where the signed bytes end */
	const char *problem;	/* Vietnamese: why the dictionary cannot be checked */
};

/* Whether c is white space in a PDF. */
static bool pdf_space(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\0';
}


/* The first occurrence of needle in pdf[from, to), or SIZE_MAX. */
static size_t find(const unsigned char *pdf, size_t from, size_t to, const char *needle)
{
	size_t n = strlen(needle);
	if (from >= to || to - from < n)
		return SIZE_MAX;
	const unsigned char *p = memmem(pdf + from, to - from, needle, n);
	return p ? (size_t)(p - pdf) : SIZE_MAX;
}

/* The last occurrence of needle in pdf[from, to), or SIZE_MAX. */
static size_t find_last(const unsigned char *pdf, size_t from, size_t to, const char *needle)
{
	size_t n = strlen(needle);
	if (from >= to || to - from < n)
		return SIZE_MAX;
	for (size_t i = to - n + 1; i-- > from;)
		if (memcmp(pdf + i, needle, n) == 0)
			return i;
	return SIZE_MAX;
}

/* Reads the array after /ByteRange at *pos: four non-negative integers; NULL, or the problem. */
static const char *read_byterange(const unsigned char *pdf, size_t len, size_t pos, size_t br[4])
{
	while (pos < len && pdf_space(pdf[pos]))
		pos++;
	if (pos >= len || pdf[pos] != '[')
		return "ByteRange không đúng dạng";
	pos++;
	for (int k = 0; k < 4; k++) {
		while (pos < len && pdf_space(pdf[pos]))
			pos++;
		if (pos < len && pdf[pos] == '-')
			return "ByteRange có số âm";
		unsigned long long v = 0;
		size_t digits = 0;
		while (pos < len && pdf[pos] >= '0' && pdf[pos] <= '9') {
			v = v * 10 + (unsigned long long)(pdf[pos] - '0');
			if (v > MAX_OFFSET)
				return "ByteRange vượt quá độ dài tệp";
			pos++;
			digits++;
		}
		if (digits == 0)
			return "ByteRange không đúng dạng";
		br[k] = (size_t)v;
	}
	while (pos < len && pdf_space(pdf[pos]))
		pos++;
	if (pos >= len || pdf[pos] != ']')
		return "ByteRange không đúng dạng";
	return NULL;
}

/* Checks that a ByteRange covers the file but for exactly the /Contents hex string of the same
 * dictionary; NULL, or the problem. */
static const char *check_ranges(const unsigned char *pdf, size_t len, struct found *f)
{
	const size_t *br = f->br;
	if (br[0] != 0)
		return "phần đầu tệp nằm ngoài chữ ký";
	if (br[1] > len || br[3] > len || br[2] > len - br[3])
		return "ByteRange vượt quá độ dài tệp (tệp bị cắt?)";
	if (br[2] < br[1])
		return "hai đoạn được ký chồng lên nhau";
	if (br[2] - br[1] < 2 || pdf[br[1]] != '<' || pdf[br[2] - 1] != '>')
		return "khoảng giữa hai đoạn được ký không phải chuỗi /Contents";
	/* Room for the largest signature twice over (zero padding): a gap the size of the file,
	 * named by every /ByteRange, is not scanned again and again. */
	if (br[2] - br[1] > 4 * (size_t)PDFSIG_MAX_DER + 2)
		return "chuỗi /Contents dài quá mức một chữ ký";
	for (size_t i = br[1] + 1; i < br[2] - 1; i++)
		if (hex_digit_value(pdf[i]) < 0)
			return "chuỗi /Contents có ký tự không phải hệ 16";
	if ((br[2] - br[1] - 2) % 2 != 0)
		return "chuỗi /Contents có số chữ số lẻ";
	/* The string is the value of /Contents, of a dictionary inside the signed bytes. */
	size_t i = br[1];
	while (i > 0 && br[1] - i < 256 && pdf_space(pdf[i - 1]))
		i--;
	if (i < 9 || memcmp(pdf + i - 9, "/Contents", 9) != 0)
		return "khoảng giữa hai đoạn được ký không phải chuỗi /Contents";
	size_t end = br[2] + br[3];
	bool key_signed = f->key + 10 <= br[1] || (f->key >= br[2] && f->key + 10 <= end);
	if (!key_signed)
		return "ByteRange nằm ngoài phần được ký";
	return NULL;
}

/* Finds the signature dictionaries: every /ByteRange key (at most MAX_KEYS), in file order,
 * the same ByteRange once. Returns how many are in f. */
static size_t find_dicts(const unsigned char *pdf, size_t len, struct found *f)
{
	size_t n = 0, pos = 0, at;
	while (n < MAX_KEYS && (at = find(pdf, pos, len, "/ByteRange")) != SIZE_MAX) {
		pos = at + 10;
		struct found cur = { .key = at };
		cur.problem = read_byterange(pdf, len, pos, cur.br);
		if (cur.problem == NULL)
			cur.problem = check_ranges(pdf, len, &cur);
		if (cur.problem == NULL)
			cur.end = cur.br[2] + cur.br[3];
		bool dup = false;
		for (size_t k = 0; k < n && cur.problem == NULL; k++)
			dup |= f[k].problem == NULL && memcmp(f[k].br, cur.br, sizeof cur.br) == 0;
		if (!dup)
			f[n++] = cur;
	}
	return n;
}

/* Orders signatures by where their signed bytes end (the order they were made); those that
 * cannot be checked by where they are. */
static int found_cmp(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	size_t kx = x->problem ? x->key : x->end, ky = y->problem ? y->key : y->end;
	if (kx != ky)
		return kx < ky ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* Reads n digits at *p (within end) into *v; false when fewer are there. */
static bool date_digits(const unsigned char **p, const unsigned char *end, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (*p >= end || **p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

/* Parses a PDF date "D:YYYYMMDDHHmmSSOHH'mm'" (the parts after the year optional, and "D:" as
 * some writers leave it out); 0 if bad. */
static time_t pdf_date(const unsigned char *p, const unsigned char *end)
{
	if (end - p >= 2 && memcmp(p, "D:", 2) == 0)
		p += 2;
	int f[6] = { 0, 1, 1, 0, 0, 0 }, widths[6] = { 4, 2, 2, 2, 2, 2 };
	if (!date_digits(&p, end, 4, &f[0]))
		return 0;
	for (int i = 1; i < 6 && p < end && *p >= '0' && *p <= '9'; i++)
		if (!date_digits(&p, end, widths[i], &f[i]))
			return 0;
	if (f[0] < 1970 || f[0] > 9999 || f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 ||
	    f[3] > 23 || f[4] > 59 || f[5] > 60)
		return 0;
	long offset = 0;
	if (p < end && (*p == '+' || *p == '-')) {
		int sign = *p == '+' ? 1 : -1, hh = 0, mm = 0;
		p++;
		if (!date_digits(&p, end, 2, &hh) || hh > 23)
			return 0;
		if (p < end && *p == '\'')
			p++;
		if (p < end && *p >= '0' && *p <= '9' && (!date_digits(&p, end, 2, &mm) || mm > 59))
			return 0;
		offset = sign * (hh * 3600L + mm * 60L);
	}
	struct tm tm = { .tm_year = f[0] - 1900, .tm_mon = f[1] - 1, .tm_mday = f[2],
			 .tm_hour = f[3], .tm_min = f[4], .tm_sec = f[5] };
	time_t t = timegm(&tm);
	return t == (time_t)-1 ? 0 : t - offset;
}

/* The /M (D:...) of the dictionary around a signature, searched near its keys; 0 if none. */
static time_t dict_date(const unsigned char *pdf, size_t len, const struct found *f)
{
	size_t lo = f->key < f->br[1] ? f->key : f->br[1];
	size_t hi = f->key > f->br[2] ? f->key : f->br[2];
	size_t start = find_last(pdf, lo > DICT_WINDOW ? lo - DICT_WINDOW : 0, lo, "<<");
	size_t stop = find(pdf, hi, len - hi > DICT_WINDOW ? hi + DICT_WINDOW : len, ">>");
	if (start == SIZE_MAX)
		start = lo;
	if (stop == SIZE_MAX)
		stop = hi;
	/* The dictionary less its /Contents string: before it and after it. */
	size_t parts[2][2] = { { start, f->br[1] }, { f->br[2], stop } };
	for (int k = 0; k < 2; k++) {
		size_t pos = parts[k][0], at;
		while ((at = find(pdf, pos, parts[k][1], "/M")) != SIZE_MAX) {
			pos = at + 2;
			size_t i = pos;
			while (i < parts[k][1] && pdf_space(pdf[i]))
				i++;
			if (i < parts[k][1] && pdf[i] == '(')
				return pdf_date(pdf + i + 1, pdf + parts[k][1]);
		}
	}
	return 0;
}

/* Decodes the /Contents hex string into at most PDFSIG_MAX_DER bytes (new buffer; the reader
 * takes the signature's own length from its header and leaves the zeros of the space reserved
 * for it); beyond that only zeros may follow. NULL with the problem. */
static unsigned char *contents_der(const unsigned char *pdf, const size_t br[4], size_t *der_len,
				   const char **problem)
{
	const unsigned char *hex = pdf + br[1] + 1;
	size_t nbytes = (br[2] - br[1] - 2) / 2;
	size_t n = nbytes < PDFSIG_MAX_DER ? nbytes : PDFSIG_MAX_DER;
	for (size_t i = 2 * n; i < 2 * nbytes; i++) {
		if (hex[i] != '0') {
			*problem = "chữ ký quá lớn";
			return NULL;
		}
	}
	size_t used = n;
	while (used > 0 && hex[2 * used - 2] == '0' && hex[2 * used - 1] == '0')
		used--;
	if (used == 0) {
		*problem = "chuỗi /Contents trống (chưa ký)";
		return NULL;
	}
	unsigned char *der = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		der[i] = (unsigned char)(hex_digit_value(hex[2 * i]) << 4 | hex_digit_value(hex[2 * i + 1]));
	*der_len = n;
	return der;
}

/* Appends a time as "10 giờ 42 ngày 04/12/2026" in Vietnam's time. */
static void add_time_vi(struct strbuf *sb, time_t t)
{
	time_t local = t + VN_OFFSET;
	struct tm tm;
	if (gmtime_r(&local, &tm) == NULL)
		return;
	strbuf_addf(sb, "%d giờ %02d ngày %02d/%02d/%04d", tm.tm_hour, tm.tm_min, tm.tm_mday,
		    tm.tm_mon + 1, tm.tm_year + 1900);
}

/* Appends " — signer, organization, time" for what is known of them. */
static void add_who(struct strbuf *sb, const struct pdfsig_sig *s)
{
	const char *sep = " — ";
	if (s->signer) {
		strbuf_addf(sb, "%s%s", sep, s->signer);
		sep = ", ";
	}
	if (s->organization) {
		strbuf_addf(sb, "%s%s", sep, s->organization);
		sep = ", ";
	}
	if (s->signed_at != 0) {
		strbuf_adds(sb, sep);
		add_time_vi(sb, s->signed_at);
	}
}

/* Writes the Vietnamese line of one signature. */
static char *sig_message(const struct pdfsig_sig *s, const char *reason, time_t not_after)
{
	struct strbuf sb = STRBUF_INIT;
	switch (s->state) {
	case PDFSIG_VALID:
		strbuf_adds(&sb, "Ký số hợp lệ");
		break;
	case PDFSIG_UNTRUSTED:
		strbuf_addf(&sb, "Chữ ký số chưa được tin cậy: %s", reason);
		break;
	case PDFSIG_INVALID:
		strbuf_addf(&sb, "Chữ ký số không hợp lệ: %s", reason);
		break;
	case PDFSIG_MODIFIED:
		strbuf_adds(&sb, "Chữ ký số không hợp lệ: tệp đã bị sửa sau khi ký");
		break;
	case PDFSIG_EXPIRED:
		strbuf_adds(&sb, "Chứng thư số đã hết hạn");
		if (not_after != 0) {
			time_t local = not_after + VN_OFFSET;
			struct tm tm;
			if (gmtime_r(&local, &tm) != NULL)
				strbuf_addf(&sb, " (ngày %02d/%02d/%04d)", tm.tm_mday,
					    tm.tm_mon + 1, tm.tm_year + 1900);
		}
		break;
	}
	add_who(&sb, s);
	return strbuf_detach(&sb);
}

/* The index after the last byte that is not PDF white space. */
static size_t content_end(const unsigned char *pdf, size_t len)
{
	while (len > 0 && pdf_space(pdf[len - 1]))
		len--;
	return len;
}

/* What one signature's check left for its message. */
struct outcome {
	const char *reason;	/* Vietnamese, when not valid */
	time_t not_after;	/* the end of an expired certificate */
	bool intact;		/* the signature checks over its bytes (any state but invalid) */
};

/* Checks one signature dictionary into s (its message is written later). */
static void check_one(const unsigned char *pdf, size_t len, const struct found *f,
		      const struct pdfsig_trust *trust, time_t now, struct pdfsig_sig *s,
		      struct outcome *o)
{
	const char *reason = f->problem;
	struct pdfsig_cms cms = { .state = PDFSIG_INVALID };
	memset(s, 0, sizeof *s);
	s->state = PDFSIG_INVALID;
	if (reason == NULL) {
		size_t der_len = 0;
		unsigned char *der = contents_der(pdf, f->br, &der_len, &reason);
		if (der != NULL) {
			/* The signed bytes: both ranges, together never more than the file. */
			size_t n = f->br[1] + f->br[3];
			unsigned char *content = xmalloc(n ? n : 1);
			memcpy(content, pdf, f->br[1]);
			memcpy(content + f->br[1], pdf + f->br[2], f->br[3]);
			pdfsig_cms_check(der, der_len, content, n, trust, now, &cms);
			free(content);
			free(der);
			reason = cms.reason;
			s->state = cms.state;
			s->signer = cms.signer;
			s->organization = cms.organization;
			s->signed_at = cms.signing_time;
		}
		if (s->signed_at == 0)
			s->signed_at = dict_date(pdf, len, f);
	}
	o->reason = reason ? reason : "không kiểm tra được chữ ký";
	o->not_after = cms.not_after;
	o->intact = s->state != PDFSIG_INVALID;
}

/* Finds and checks every signature of a PDF (pdfsig.h). */
int pdfsig_verify(const unsigned char *pdf, size_t len, const struct pdfsig_trust *trust,
		  time_t now, struct pdfsig_result *out, char **err)
{
	out->n = 0;
	out->sigs = NULL;
	if (pdf == NULL || find(pdf, 0, len < HEADER_WINDOW ? len : HEADER_WINDOW, "%PDF-") ==
	    SIZE_MAX) {
		*err = xstrdup("not a PDF file (no %PDF- header)");
		return -1;
	}
	if (find_last(pdf, 0, len, "%%EOF") == SIZE_MAX ||
	    find_last(pdf, 0, len, "startxref") == SIZE_MAX) {
		*err = xstrdup("not a complete PDF file (no startxref or %%EOF: cut short?)");
		return -1;
	}
	struct found *f = xcalloc(MAX_KEYS, sizeof *f);
	size_t n = find_dicts(pdf, len, f);
	qsort(f, n, sizeof *f, found_cmp);
	if (n > PDFSIG_MAX_SIGS)
		n = PDFSIG_MAX_SIGS;
	struct outcome o[PDFSIG_MAX_SIGS];
	out->sigs = n ? xcalloc(n, sizeof *out->sigs) : NULL;
	for (size_t i = 0; i < n; i++)
		check_one(pdf, len, &f[i], trust, now, &out->sigs[i], &o[i]);
	/* A signature that checks must reach the end of the file, or a later signature that
	 * checks (itself not modified) must vouch for the bytes after it; for a valid signature
	 * only a valid one can, since anyone can add an untrusted signature over a change.
	 * Decided from the signature reaching furthest back to the first. White space at the end
	 * is not a change (it cannot hold an update). */
	size_t end = content_end(pdf, len);
	bool done[PDFSIG_MAX_SIGS] = { false }, intact[PDFSIG_MAX_SIGS] = { false };
	for (size_t k = 0; k < n; k++) {
		size_t i = SIZE_MAX;
		for (size_t c = 0; c < n; c++)
			if (!done[c] && (i == SIZE_MAX || f[c].end > f[i].end))
				i = c;
		done[i] = true;
		if (!o[i].intact)
			continue;
		bool valid = out->sigs[i].state == PDFSIG_VALID;
		bool covered = f[i].end >= end;
		for (size_t j = 0; j < n && !covered; j++)
			covered = done[j] && intact[j] && f[j].end > f[i].end &&
				  (!valid || out->sigs[j].state == PDFSIG_VALID);
		if (!covered)
			out->sigs[i].state = PDFSIG_MODIFIED;
		intact[i] = covered;
	}
	for (size_t i = 0; i < n; i++)
		out->sigs[i].message = sig_message(&out->sigs[i], o[i].reason, o[i].not_after);
	out->n = n;
	free(f);
	return 0;
}

/* Frees what pdfsig_verify filled in. */
void pdfsig_result_free(struct pdfsig_result *result)
{
	if (result == NULL)
		return;
	for (size_t i = 0; i < result->n; i++) {
		free(result->sigs[i].signer);
		free(result->sigs[i].organization);
		free(result->sigs[i].message);
	}
	free(result->sigs);
	result->sigs = NULL;
	result->n = 0;
}

/* The state's name in the API. */
const char *pdfsig_state_name(enum pdfsig_state state)
{
	switch (state) {
	case PDFSIG_VALID: return "valid";
	case PDFSIG_UNTRUSTED: return "untrusted";
	case PDFSIG_INVALID: return "invalid";
	case PDFSIG_MODIFIED: return "modified";
	case PDFSIG_EXPIRED: return "expired";
	}
	return "invalid";
}

/* Writes a string member, or null when the value is unknown. */
static void kv_string_or_null(struct json *j, const char *key, const char *value)
{
	json_key(j, key);
	if (value)
		json_string(j, value);
	else
		json_null(j);
}

/* The signatures as a JSON array (pdfsig.h). */
char *pdfsig_result_json(const struct pdfsig_result *result)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb);
	json_array_begin(&j);
	for (size_t i = 0; result && i < result->n; i++) {
		const struct pdfsig_sig *s = &result->sigs[i];
		json_object_begin(&j);
		json_kv_string(&j, "state", pdfsig_state_name(s->state));
		kv_string_or_null(&j, "signer", s->signer);
		kv_string_or_null(&j, "organization", s->organization);
		json_key(&j, "signed_at");
		struct tm tm;
		time_t local = s->signed_at + VN_OFFSET;
		if (s->signed_at != 0 && gmtime_r(&local, &tm) != NULL) {
			char buf[64];
			snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d+07:00",
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				 tm.tm_min, tm.tm_sec);
			json_string(&j, buf);
		} else {
			json_null(&j);
		}
		json_kv_string(&j, "message", s->message);
		json_object_end(&j);
	}
	json_array_end(&j);
	return strbuf_detach(&sb);
}

/* One Vietnamese line for all the signatures (pdfsig.h). */
char *pdfsig_summary_vi(const struct pdfsig_result *result)
{
	if (result == NULL || result->n == 0)
		return xstrdup("Không có chữ ký số");
	if (result->n == 1)
		return xstrdup(result->sigs[0].message);
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%zu chữ ký số: ", result->n);
	for (size_t i = 0; i < result->n; i++)
		strbuf_addf(&sb, "%s%s", i ? "; " : "", result->sigs[i].message);
	return strbuf_detach(&sb);
}
