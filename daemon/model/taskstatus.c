/* Task deadlines from the plans' appendix text, reported states and the four official statuses. */
#include "taskstatus.h"
#include "utf8.h"
#include "xmltext.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- folding ---- */

/* Base letters of U+00C0..U+00FF; '?' keeps the character. */
static const char latin1_base[65] = "aaaaaa?ceeeeiiiidnooooo?ouuuuy??"
				    "aaaaaa?ceeeeiiiidnooooo?ouuuuy?y";
/* Base letters of the Vietnamese block U+1EA0..U+1EF9 (Ạ ... ỹ). */
static const char vn_base[91] = "aaaaaaaaaaaaaaaaaaaaaaaa" "eeeeeeeeeeeeeeee" "iiii"
				"oooooooooooooooooooooooo" "uuuuuuuuuuuuuu" "yyyyyyyy";

/* The ASCII letter a Vietnamese or Latin-1 letter folds to, or 0 if none. */
static char fold_letter(unsigned cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return (char)(cp - 'A' + 'a');
	if (cp < 0x80)
		return (char)cp;
	if (cp >= 0xC0 && cp <= 0xFF)
		return latin1_base[cp - 0xC0] == '?' ? 0 : latin1_base[cp - 0xC0];
	if (cp >= 0x1EA0 && cp <= 0x1EF9)
		return vn_base[cp - 0x1EA0];
	switch (cp) {
	case 0x0102: case 0x0103:	/* Ă ă */
		return 'a';
	case 0x0110: case 0x0111:	/* Đ đ */
		return 'd';
	case 0x0128: case 0x0129:	/* Ĩ ĩ */
		return 'i';
	case 0x0168: case 0x0169:	/* Ũ ũ */
		return 'u';
	case 0x01A0: case 0x01A1:	/* Ơ ơ */
		return 'o';
	case 0x01AF: case 0x01B0:	/* Ư ư */
		return 'u';
	}
	return 0;
}

/* True for the white space characters folding turns into one space. */
static bool is_space_cp(unsigned cp)
{
	return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == 0xA0 ||
	       (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x3000;
}

/* Folds text for matching (see the header). */
char *task_fold(const char *text)
{
	size_t n = strlen(text);
	if (!xmltext_valid(text, n))
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *s = (const unsigned char *)text;
	bool pending_space = false;
	strbuf_grow(&sb, n);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);	/* valid: checked above */
		if (is_space_cp(cp)) {
			pending_space = true;
		} else if ((cp >= 0x0300 && cp <= 0x036F) || cp == 0x200B || cp == 0xFEFF) {
			/* combining marks (NFD diacritics) and invisible characters: dropped */
		} else {
			if (pending_space && sb.len > 0)
				strbuf_addc(&sb, ' ');
			pending_space = false;
			char c = fold_letter(cp);
			if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212)
				strbuf_addc(&sb, '-');
			else if (c != 0)
				strbuf_addc(&sb, c);
			else
				strbuf_add(&sb, s + i, len);
		}
		i += len;
	}
	return strbuf_detach(&sb);
}

/* ---- deadline text ---- */

/* Removes spaces next to '-' and '/', and trailing '.', ',' or ';', in place. */
static void squeeze(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (*r == ' ' && ((w > s && (w[-1] == '-' || w[-1] == '/')) ||
				  r[1] == '-' || r[1] == '/'))
			continue;
		*w++ = *r;
	}
	while (w > s && (w[-1] == '.' || w[-1] == ',' || w[-1] == ';' || w[-1] == ' '))
		w--;
	*w = '\0';
}

/* Consumes the literal lit at *s; returns whether it was there. */
static bool lit(const char **s, const char *lit)
{
	size_t n = strlen(lit);
	if (strncmp(*s, lit, n) != 0)
		return false;
	*s += n;
	return true;
}

/* Consumes whichever of two optional prefixes is at *s, if any. */
static void skip_any(const char **s, const char *a, const char *b)
{
	if (!lit(s, a) && !lit(s, b))
		return;
}

/* Consumes min..max decimal digits at *s into *v. */
static bool num(const char **s, int min, int max, int *v)
{
	int n = 0, x = 0;
	while (n < max && (*s)[n] >= '0' && (*s)[n] <= '9')
		x = x * 10 + ((*s)[n++] - '0');
	if (n < min || ((*s)[n] >= '0' && (*s)[n] <= '9'))
		return false;
	*s += n;
	*v = x;
	return true;
}

/* Consumes a quarter number: roman I-IV or a digit 1-4. */
static bool quarter(const char **s, int *q)
{
	static const char *const romans[] = { "iv", "iii", "ii", "i" };
	static const int values[] = { 4, 3, 2, 1 };
	for (size_t i = 0; i < nitems(romans); i++) {
		const char *t = *s;
		if (lit(&t, romans[i]) && !(*t >= 'a' && *t <= 'z')) {
			*s = t;
			*q = values[i];
			return true;
		}
	}
	return num(s, 1, 1, q) && *q >= 1 && *q <= 4;
}

/* Consumes the separator before a year: "/", "-" or " nam ". */
static bool year_sep(const char **s)
{
	return lit(s, "/") || lit(s, "-") || lit(s, " nam ");
}

/* Matches a date d/m/yyyy (separator / - or .) or yyyy-mm-dd filling the whole string. */
static int match_date(const char *s, int *y, int *m, int *d)
{
	const char *t = s;
	if (num(&t, 4, 4, y) && lit(&t, "-") && num(&t, 1, 2, m) && lit(&t, "-") &&
	    num(&t, 1, 2, d) && *t == '\0')
		return 1;
	t = s;
	if (!num(&t, 1, 2, d))
		return 0;
	char sep = *t;
	if (sep != '/' && sep != '-' && sep != '.')
		return 0;
	t++;
	if (!num(&t, 1, 2, m) || *t != sep)
		return 0;
	t++;
	return num(&t, 4, 4, y) && *t == '\0';
}

/* True if s is a year range "YYYY-YYYY" filling the string; sets the last year. */
static bool match_years(const char *s, int *y1, int *y2)
{
	const char *t = s;
	return num(&t, 4, 4, y1) && lit(&t, "-") && num(&t, 4, 4, y2) && *t == '\0';
}

/* True if s ends with suffix. */
static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Sets out to the given day if it is real; returns 0 or -1. */
static int set_day(struct task_deadline *out, int y, int m, int d)
{
	if (!cal_ymd_valid(y, m, d))
		return -1;
	out->has_date = true;
	out->day = cal_from_ymd(y, m, d);
	return 0;
}

/* Parses folded, squeezed deadline text; returns 0, -1 unrecognised, -2 impossible date. */
static int parse_folded(const char *s, struct task_deadline *out)
{
	int y = 0, y2 = 0, m = 0, d = 0, q = 0;
	const char *t;

	out->has_date = false;
	out->day = 0;
	if (strcmp(s, "thuong xuyen") == 0 || strcmp(s, "hang nam") == 0 ||
	    ends_with(s, "nhung nam tiep theo") || ends_with(s, "cac nam tiep theo"))
		return 0;

	skip_any(&s, "ngay ", "trong ");
	if (match_date(s, &y, &m, &d))
		return set_day(out, y, m, d) == 0 ? 0 : -2;

	t = s;
	skip_any(&t, "nam ", "giai doan ");
	if (num(&t, 4, 4, &y) && *t == '\0')
		return set_day(out, y, 12, 31) == 0 ? 0 : -2;
	t = s;
	skip_any(&t, "nam ", "giai doan ");
	if (match_years(t, &y, &y2))
		return y2 >= y && set_day(out, y2, 12, 31) == 0 ? 0 : -2;

	t = s;
	if (lit(&t, "quy ") && quarter(&t, &q) && year_sep(&t) && num(&t, 4, 4, &y) &&
	    *t == '\0') {
		m = q * 3;
		if (y < CAL_YEAR_MIN || y > CAL_YEAR_MAX)
			return -2;
		return set_day(out, y, m, cal_days_in_month(y, m)) == 0 ? 0 : -2;
	}

	t = s;
	if (lit(&t, "thang ") && num(&t, 1, 2, &m) && year_sep(&t) && num(&t, 4, 4, &y) &&
	    *t == '\0') {
		if (m < 1 || m > 12 || y < CAL_YEAR_MIN || y > CAL_YEAR_MAX)
			return -2;
		return set_day(out, y, m, cal_days_in_month(y, m)) == 0 ? 0 : -2;
	}

	t = s;
	if (lit(&t, "6 thang ")) {
		if (lit(&t, "dau nam ") && num(&t, 4, 4, &y) && *t == '\0')
			return set_day(out, y, 6, 30) == 0 ? 0 : -2;
		if (lit(&t, "cuoi nam ") && num(&t, 4, 4, &y) && *t == '\0')
			return set_day(out, y, 12, 31) == 0 ? 0 : -2;
	}
	return -1;
}

/* Parses the "Thời gian hoàn thành" text of an appendix row. */
int task_deadline_parse(const char *text, struct task_deadline *out, char **err)
{
	char *f = task_fold(text);
	if (f == NULL) {
		*err = xstrdup("deadline text is not valid UTF-8");
		return -1;
	}
	squeeze(f);
	if (f[0] == '\0') {
		free(f);
		*err = xstrdup("deadline text is empty");
		return -1;
	}
	struct task_deadline dl;
	int rc = parse_folded(f, &dl);
	free(f);
	if (rc == 0) {
		*out = dl;
		return 0;
	}
	if (rc == -2)
		*err = xasprintf("deadline '%s' names an impossible date or year", text);
	else
		*err = xasprintf("unrecognised deadline '%s' (expected dd/mm/yyyy, Năm YYYY, "
				 "Năm YYYY-YYYY, Quý I-IV/YYYY, Tháng M/YYYY, Thường xuyên or "
				 "... và những năm tiếp theo)", text);
	return -1;
}

/* ---- reported states ---- */

/* Parses a reporter's status words. */
int task_state_parse(const char *text, enum task_state *out)
{
	static const struct {
		const char *folded;
		enum task_state state;
	} words[] = {
		{ "hoan thanh", TASK_STATE_DONE },
		{ "da hoan thanh", TASK_STATE_DONE },
		{ "done", TASK_STATE_DONE },
		{ "dang thuc hien", TASK_STATE_IN_PROGRESS },
		{ "dang trien khai", TASK_STATE_IN_PROGRESS },
		{ "in_progress", TASK_STATE_IN_PROGRESS },
		{ "in progress", TASK_STATE_IN_PROGRESS },
		{ "chua trien khai", TASK_STATE_NOT_STARTED },
		{ "chua thuc hien", TASK_STATE_NOT_STARTED },
		{ "not_started", TASK_STATE_NOT_STARTED },
		{ "not started", TASK_STATE_NOT_STARTED },
	};
	char *f = task_fold(text);
	if (f == NULL)
		return -1;
	squeeze(f);
	int rc = -1;
	for (size_t i = 0; i < nitems(words); i++) {
		if (strcmp(f, words[i].folded) == 0) {
			*out = words[i].state;
			rc = 0;
			break;
		}
	}
	free(f);
	return rc;
}

/* English code of a state. */
const char *task_state_code(enum task_state state)
{
	switch (state) {
	case TASK_STATE_DONE:
		return "done";
	case TASK_STATE_IN_PROGRESS:
		return "in_progress";
	case TASK_STATE_NOT_STARTED:
		return "not_started";
	}
	return "?";
}

/* Vietnamese words of a state. */
const char *task_state_label_vi(enum task_state state)
{
	switch (state) {
	case TASK_STATE_DONE:
		return "Hoàn thành";
	case TASK_STATE_IN_PROGRESS:
		return "Đang thực hiện";
	case TASK_STATE_NOT_STARTED:
		return "Chưa triển khai";
	}
	return "?";
}

/* ---- official statuses ---- */

/* Derives the official status of a task (see the header). */
enum task_status task_status_derive(enum task_state state, const cal_day *completed,
				    const struct task_deadline *deadline, cal_day period_end)
{
	bool has = deadline != NULL && deadline->has_date;
	if (state == TASK_STATE_DONE) {
		cal_day when = completed != NULL ? *completed : period_end;
		return !has || when <= deadline->day ? TASK_DONE_ON_TIME : TASK_DONE_LATE;
	}
	return !has || period_end <= deadline->day ? TASK_IN_PROGRESS_ON_TIME : TASK_OVERDUE;
}

static const struct {
	enum task_status status;
	const char *code;
	const char *label;
} statuses[] = {
	{ TASK_DONE_ON_TIME, "done_on_time", "Đã hoàn thành đúng hạn" },
	{ TASK_DONE_LATE, "done_late", "Đã hoàn thành quá hạn" },
	{ TASK_IN_PROGRESS_ON_TIME, "in_progress_on_time", "Chưa hoàn thành trong hạn" },
	{ TASK_OVERDUE, "overdue", "Chưa hoàn thành quá hạn" },
};

/* English code of a status. */
const char *task_status_code(enum task_status status)
{
	for (size_t i = 0; i < nitems(statuses); i++)
		if (statuses[i].status == status)
			return statuses[i].code;
	return "?";
}

/* Vietnamese label of a status. */
const char *task_status_label_vi(enum task_status status)
{
	for (size_t i = 0; i < nitems(statuses); i++)
		if (statuses[i].status == status)
			return statuses[i].label;
	return "?";
}

/* Parses an English status code. */
int task_status_parse_code(const char *code, enum task_status *out)
{
	for (size_t i = 0; i < nitems(statuses); i++) {
		if (strcmp(statuses[i].code, code) == 0) {
			*out = statuses[i].status;
			return 0;
		}
	}
	return -1;
}
