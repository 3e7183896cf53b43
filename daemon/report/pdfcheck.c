/* The structure check of a unit's document (PDF) at upload: the header, the end of file and a
 * trailer or cross-reference stream, and a scan of every name for active content, also inside
 * object streams (however their type is written) and behind #xx escapes. */
#include "pdfcheck.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define HEADER_WINDOW 1024	/* bytes allowed before %PDF- (the specification's tolerance) */
#define EOF_WINDOW 1024		/* %%EOF must be within this many bytes of the end */
#define NAME_MAX_LEN 64		/* longer names cannot be any of those looked for */

/* What a scan has seen. */
struct scan {
	enum pdfcheck_result found;	/* the first refusal, or OK */
	bool xref_stream;		/* a /XRef name: a cross-reference stream */
	bool objstm, flate, other_filter;	/* names of the object being read */
	bool has_n, has_first;		/* its /N and /First keys (an object stream's) */
	bool indirect_type, indirect_filter;	/* its /Type or /Filter given as "N G R" */
	size_t inflated;		/* bytes inflated so far, against PDFCHECK_INFLATE_MAX */
};

/* Whether c ends a regular token (white space or a delimiter, PDF 32000 7.2.2). */
static bool is_delim(unsigned char c)
{
	return c == 0 || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       strchr("()<>[]{}/%", c) != NULL;
}


/* Reads the name after the '/' at p[0], decoding #xx; returns the bytes consumed. */
static size_t read_name(const unsigned char *p, size_t len, char *out, size_t *outlen)
{
	size_t i = 1, n = 0;
	while (i < len && !is_delim(p[i])) {
		unsigned char c = p[i++];
		if (c == '#' && i + 1 < len && hex_digit_value(p[i]) >= 0 &&
		    hex_digit_value(p[i + 1]) >= 0) {
			c = (unsigned char)(hex_digit_value(p[i]) * 16 + hex_digit_value(p[i + 1]));
			i += 2;
		}
		if (n < NAME_MAX_LEN)
			out[n] = (char)c;
		n++;
	}
	*outlen = n;
	return i;
}

/* Judges one decoded name; in_data: it lies in a stream's data, where only long names count. */
static void judge_name(struct scan *sc, const char *name, size_t n, bool in_data)
{
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(name, lit, n) == 0)
	enum pdfcheck_result r = PDFCHECK_OK;
	if (IS("JavaScript") || (!in_data && IS("JS")))
		r = PDFCHECK_JAVASCRIPT;
	else if (IS("EmbeddedFile") || IS("EmbeddedFiles"))
		r = PDFCHECK_EMBEDDED_FILE;
	else if (IS("Launch"))
		r = PDFCHECK_LAUNCH;
	else if (IS("XFA") || IS("SubmitForm") || IS("ImportData") || IS("GoToR") ||
		 IS("GoToE") || IS("RichMedia"))
		r = PDFCHECK_ACTIVE;
	else if (!in_data && IS("XRef"))
		sc->xref_stream = true;
	else if (!in_data && IS("ObjStm"))
		sc->objstm = true;
	else if (!in_data && IS("N"))
		sc->has_n = true;
	else if (!in_data && IS("First"))
		sc->has_first = true;
	else if (!in_data && (IS("FlateDecode") || IS("Fl")) && !sc->flate)
		sc->flate = true;
	/* A second Flate, another filter (full or abbreviated) or decode parameters (a
	 * predictor): what one inflate gives is not the objects; such an object stream is
	 * refused as unreadable rather than scanned still encoded. */
	else if (!in_data && (IS("FlateDecode") || IS("Fl") || IS("ASCIIHexDecode") ||
			      IS("AHx") || IS("ASCII85Decode") || IS("A85") || IS("LZWDecode") ||
			      IS("LZW") || IS("RunLengthDecode") || IS("RL") || IS("Crypt") ||
			      IS("DecodeParms") || IS("DP")))
		sc->other_filter = true;
#undef IS
	if (r != PDFCHECK_OK && sc->found == PDFCHECK_OK)
		sc->found = r;
}

/* Scans the names of stream data (or of anything not parsed as objects). */
static void scan_data(struct scan *sc, const unsigned char *p, size_t len)
{
	char name[NAME_MAX_LEN];
	for (size_t i = 0; i < len && sc->found == PDFCHECK_OK;) {
		if (p[i] != '/') {
			i++;
			continue;
		}
		size_t n;
		i += read_name(p + i, len - i, name, &n);
		judge_name(sc, name, n, true);
	}
}

static void scan_objects(struct scan *sc, const unsigned char *p, size_t len, int depth);

/* Whether c is PDF white space (PDF 32000 7.2.2). */
static bool is_space(unsigned char c)
{
	return c == 0 || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

/* Whether p starts, after white space, with an indirect reference "N G R". */
static bool indirect_ref_at(const unsigned char *p, size_t len)
{
	size_t i = 0;
	for (int part = 0; part < 2; part++) {
		size_t space = i;
		while (i < len && is_space(p[i]))
			i++;
		if (part == 1 && i == space)
			return false;
		size_t digits = i;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == digits)
			return false;
	}
	size_t space = i;
	while (i < len && is_space(p[i]))
		i++;
	return i > space && i < len && p[i] == 'R' && (i + 1 == len || is_delim(p[i + 1]));
}

/* Resets what is known of the object being read. */
static void object_start(struct scan *sc)
{
	sc->objstm = sc->flate = sc->other_filter = false;
	sc->has_n = sc->has_first = sc->indirect_type = sc->indirect_filter = false;
}

/* Whether the stream about to be read may be an object stream: named so, or with an object
 * stream's /N and /First keys, or a /Type that is not written out (which a reader resolves). */
static bool maybe_objstm(const struct scan *sc)
{
	return sc->objstm || (sc->has_n && sc->has_first) || sc->indirect_type;
}

/* Inflates an object stream's data and scans its objects; UNREADABLE when it cannot. */
static void scan_objstm(struct scan *sc, const unsigned char *p, size_t len)
{
	if (sc->other_filter || sc->indirect_filter) {
		sc->found = PDFCHECK_UNREADABLE;
		return;
	}
	if (!sc->flate) {
		scan_objects(sc, p, len, 1);
		return;
	}
	size_t room = PDFCHECK_INFLATE_MAX - sc->inflated;
	size_t cap = len * 4 + 4096 < room ? len * 4 + 4096 : room;
	unsigned char *out = cap ? malloc(cap) : NULL;
	if (out == NULL) {
		sc->found = PDFCHECK_UNREADABLE;
		return;
	}
	z_stream z;
	memset(&z, 0, sizeof z);
	bool ok = inflateInit(&z) == Z_OK;
	int zr = Z_OK;
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)len;
	while (ok) {
		z.next_out = out + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			break;
		/* Data cut short (the word "endstream" inside stored compressed bytes ends the
		 * search early) is not taken: the objects after the cut would go unseen. */
		if (zr == Z_BUF_ERROR && z.avail_in == 0) {
			ok = false;
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			ok = false;
			break;
		}
		if (z.avail_out == 0) {
			size_t more = cap * 2 < room ? cap * 2 : room;
			if (more <= cap) {
				ok = false;	/* past the bound: a decompression bomb */
				break;
			}
			unsigned char *grown = realloc(out, more);
			if (grown == NULL) {
				ok = false;
				break;
			}
			out = grown;
			cap = more;
		}
	}
	size_t got = z.total_out;
	inflateEnd(&z);
	if (ok) {
		sc->inflated += got;
		scan_objects(sc, out, got, 1);
	} else {
		sc->found = PDFCHECK_UNREADABLE;
	}
	free(out);
}

/* Scans objects: names, and (at depth 0) streams, their data skipped for short names and
 * object streams opened. */
static void scan_objects(struct scan *sc, const unsigned char *p, size_t len, int depth)
{
	char name[NAME_MAX_LEN];
	size_t i = 0;
	while (i < len && sc->found == PDFCHECK_OK) {
		if (p[i] == '/') {
			size_t n;
			i += read_name(p + i, len - i, name, &n);
			judge_name(sc, name, n, false);
			if (depth == 0 && (n == 4 || n == 6) && indirect_ref_at(p + i, len - i)) {
				if (n == 4 && memcmp(name, "Type", 4) == 0)
					sc->indirect_type = true;
				else if (n == 6 && memcmp(name, "Filter", 6) == 0)
					sc->indirect_filter = true;
			}
			continue;
		}
		bool word_start = !is_delim(p[i]) && (i == 0 || is_delim(p[i - 1]));
		if (!word_start) {
			i++;
			continue;
		}
		size_t w = i;
		while (w < len && !is_delim(p[w]))
			w++;
		size_t wl = w - i;
		if (wl == 3 && memcmp(p + i, "obj", 3) == 0) {
			object_start(sc);
		} else if (depth == 0 && wl == 6 && memcmp(p + i, "stream", 6) == 0 &&
			   (w < len && (p[w] == '\n' || p[w] == '\r'))) {
			bool crlf = p[w] == '\r' && w + 1 < len && p[w + 1] == '\n';
			size_t start = w + (crlf ? 2 : 1);
			const unsigned char *end = memmem(p + start, len - start, "endstream", 9);
			size_t stop = end ? (size_t)(end - p) : len;
			if (maybe_objstm(sc))
				scan_objstm(sc, p + start, stop - start);
			/* Its raw bytes too: a cross-reference table may point into them. */
			scan_data(sc, p + start, stop - start);
			object_start(sc);
			w = stop;
		}
		i = w;
	}
}

/* Checks a PDF held whole in memory. */
enum pdfcheck_result pdfcheck(const unsigned char *pdf, size_t len)
{
	size_t window = len < HEADER_WINDOW + 8 ? len : HEADER_WINDOW + 8;
	const unsigned char *h = memmem(pdf, window, "%PDF-", 5);
	if (h == NULL || (size_t)(h - pdf) > HEADER_WINDOW || (size_t)(h - pdf) + 8 > len ||
	    (h[5] != '1' && h[5] != '2') || h[6] != '.')
		return PDFCHECK_NOT_PDF;
	size_t tail = len < EOF_WINDOW ? len : EOF_WINDOW;
	if (memmem(pdf + len - tail, tail, "%%EOF", 5) == NULL)
		return PDFCHECK_TRUNCATED;
	struct scan sc;
	memset(&sc, 0, sizeof sc);
	scan_objects(&sc, pdf, len, 0);
	if (sc.found != PDFCHECK_OK)
		return sc.found;
	if (memmem(pdf, len, "trailer", 7) == NULL && !sc.xref_stream)
		return PDFCHECK_TRUNCATED;
	return PDFCHECK_OK;
}

/* A short English code for an answer and the logs. */
const char *pdfcheck_code(enum pdfcheck_result r)
{
	switch (r) {
	case PDFCHECK_OK:
		return "ok";
	case PDFCHECK_NOT_PDF:
		return "not_pdf";
	case PDFCHECK_TRUNCATED:
		return "pdf_incomplete";
	case PDFCHECK_JAVASCRIPT:
		return "pdf_javascript";
	case PDFCHECK_EMBEDDED_FILE:
		return "pdf_embedded_file";
	case PDFCHECK_LAUNCH:
		return "pdf_launch_action";
	case PDFCHECK_ACTIVE:
		return "pdf_active_content";
	case PDFCHECK_UNREADABLE:
		return "pdf_unreadable";
	}
	return "pdf_unreadable";
}

/* What the person who sent the file reads, in Vietnamese, with what to do. */
const char *pdfcheck_message(enum pdfcheck_result r)
{
	switch (r) {
	case PDFCHECK_OK:
		return "Tệp PDF hợp lệ.";
	case PDFCHECK_NOT_PDF:
		return "Tệp gửi lên không phải văn bản PDF. Hãy xuất văn bản ra PDF (trong Word: "
		       "Tệp > Lưu thành > PDF) rồi gửi lại.";
	case PDFCHECK_TRUNCATED:
		return "Tệp PDF không trọn vẹn (thiếu phần kết thúc hoặc bảng tham chiếu), có thể "
		       "do tải lên bị ngắt. Hãy xuất lại văn bản ra PDF rồi gửi lại.";
	case PDFCHECK_JAVASCRIPT:
		return "Tệp PDF có chứa mã JavaScript nên hệ thống không nhận. Hãy xuất lại văn "
		       "bản ra PDF từ trình soạn thảo (không dùng biểu mẫu có mã lệnh) rồi gửi lại.";
	case PDFCHECK_EMBEDDED_FILE:
		return "Tệp PDF có tệp đính kèm bên trong nên hệ thống không nhận. Hãy xuất lại "
		       "văn bản ra PDF không có tệp đính kèm rồi gửi lại.";
	case PDFCHECK_LAUNCH:
		return "Tệp PDF có lệnh mở chương trình khác (Launch) nên hệ thống không nhận. Hãy "
		       "xuất lại văn bản ra PDF không có liên kết mở chương trình rồi gửi lại.";
	case PDFCHECK_ACTIVE:
		return "Tệp PDF có biểu mẫu động hoặc lệnh gửi dữ liệu, mở tệp khác hay phát nội "
		       "dung đa phương tiện nên hệ thống không nhận. Hãy in hoặc xuất lại văn bản ra "
		       "PDF thông thường rồi gửi lại.";
	case PDFCHECK_UNREADABLE:
		return "Không đọc được cấu trúc tệp PDF để kiểm tra an toàn. Hãy xuất lại văn bản "
		       "ra PDF theo định dạng chuẩn rồi gửi lại.";
	}
	return "Tệp PDF không hợp lệ.";
}
