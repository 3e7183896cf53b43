/* The web pages: the files of web_dir, loaded and gzipped once, served from memory. */
#include "static.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <zlib.h>

#define STATIC_MAX_FILES 256
#define STATIC_MAX_FILE (4 * 1024 * 1024)
#define STATIC_MAX_TOTAL (32 * 1024 * 1024)
#define STATIC_NAME_MAX 64
#define ETAG_BYTES 12		/* of the BLAKE2b hash of the content: 24 hex digits */

/* One file, as it is sent and gzipped. */
struct static_file {
	char *name;
	const char *type;
	bool html;
	unsigned char *data;
	size_t len;
	unsigned char *gz;	/* NULL when gzip does not make it smaller */
	size_t gzlen;
	char etag[2 * ETAG_BYTES + 3];		/* "hex" */
	char etag_gz[2 * ETAG_BYTES + 6];	/* "hex-gz": another representation */
};

/* The files being served. */
struct static_set {
	struct static_file *files;
	size_t n;
};

static struct static_set *current;

/* The media types served, by file name extension; other files are not served. */
static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".json", "application/json; charset=utf-8" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".svg", "image/svg+xml; charset=utf-8" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
};

/* The media type of a file name, or NULL when such files are not served. */
static const char *type_of(const char *name)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (str_has_suffix(name, types[i].ext))
			return types[i].type;
	return NULL;
}

/* Whether a name is one the set may hold: letters, digits, '.', '_', '-', not starting with
 * a dot, at most STATIC_NAME_MAX bytes. */
static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > STATIC_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Gzips data at the best level; returns 0, or -1 if zlib failed. */
static int gzip_bytes(const unsigned char *data, size_t len, unsigned char **out, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	/* 15 + 16: a gzip header and trailer rather than zlib's. */
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t cap = deflateBound(&z, (uLong)len) + 32;
	unsigned char *buf = xmalloc(cap);
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	size_t produced = cap - z.avail_out;
	if (deflateEnd(&z) != Z_OK || rc != Z_STREAM_END) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = produced;
	return 0;
}

/* Frees a set. */
static void set_free(struct static_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		free(set->files[i].name);
		free(set->files[i].data);
		free(set->files[i].gz);
	}
	free(set->files);
	free(set);
}

/* Reads one file into f; returns 0, or -1 with *err set. */
static int file_load(const char *dir, const char *name, const char *type, size_t *total,
		     struct static_file *f, char **err)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *data = NULL;
	size_t len = 0;
	if (file_read_all(path, STATIC_MAX_FILE, &data, &len) != 0) {
		*err = errno == EFBIG ?
		       xasprintf("%s is larger than %d bytes", path, STATIC_MAX_FILE) :
		       xasprintf("cannot read %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	*total += len;
	if (*total > STATIC_MAX_TOTAL) {
		free(data);
		*err = xasprintf("the files of %s take more than %d bytes", dir, STATIC_MAX_TOTAL);
		return -1;
	}
	memset(f, 0, sizeof *f);
	f->name = xstrdup(name);
	f->type = type;
	f->html = str_has_suffix(name, ".html");
	f->data = (unsigned char *)data;
	f->len = len;
	unsigned char hash[ETAG_BYTES];
	char hex[2 * ETAG_BYTES + 1];
	if (crypto_generichash(hash, sizeof hash, f->data, len, NULL, 0) != 0) {
		*err = xasprintf("cannot hash %s", name);
		return -1;
	}
	sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
	snprintf(f->etag, sizeof f->etag, "\"%s\"", hex);
	snprintf(f->etag_gz, sizeof f->etag_gz, "\"%s-gz\"", hex);
	if (gzip_bytes(f->data, len, &f->gz, &f->gzlen) != 0) {
		*err = xasprintf("cannot gzip %s", name);
		return -1;
	}
	if (f->gzlen >= len) {	/* images, tiny files: sent as they are */
		free(f->gz);
		f->gz = NULL;
		f->gzlen = 0;
	}
	return 0;
}

/* Orders files by name, for lookups. */
static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct static_file *)a)->name, ((const struct static_file *)b)->name);
}

/* Reads the servable files of dir into the set in use. */
int static_load(const char *dir, char **err)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		*err = xasprintf("cannot open the web folder %s: %s; set server.web_dir", dir,
				 strerror(errno));
		return -1;
	}
	struct static_set *set = xcalloc(1, sizeof *set);
	set->files = xcalloc(STATIC_MAX_FILES, sizeof *set->files);
	size_t total = 0;
	int rc = 0;
	struct dirent *e;
	errno = 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		const char *type = type_of(e->d_name);
		if (!name_ok(e->d_name) || type == NULL)
			continue;	/* dot files, editors' backups, folders: never served */
		char *path = xasprintf("%s/%s", dir, e->d_name);
		struct stat st;
		/* lstat: a link in the folder is not followed out of it */
		bool regular = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
		free(path);
		if (!regular)
			continue;
		if (set->n == STATIC_MAX_FILES) {
			*err = xasprintf("%s has more than %d files to serve", dir, STATIC_MAX_FILES);
			rc = -1;
			break;
		}
		rc = file_load(dir, e->d_name, type, &total, &set->files[set->n], err);
		if (rc == 0 || set->files[set->n].name)
			set->n++;	/* a half-loaded file is freed with the set */
		errno = 0;
	}
	if (rc == 0 && errno != 0) {
		*err = xasprintf("cannot read the web folder %s: %s", dir, strerror(errno));
		rc = -1;
	}
	if (closedir(d) != 0 && rc == 0) {
		*err = xasprintf("cannot close the web folder %s: %s", dir, strerror(errno));
		rc = -1;
	}
	if (rc == 0) {
		bool index = false;
		for (size_t i = 0; i < set->n; i++)
			index = index || strcmp(set->files[i].name, "index.html") == 0;
		if (!index) {
			*err = xasprintf("%s has no index.html; set server.web_dir to the folder of "
					 "the web pages", dir);
			rc = -1;
		}
	}
	if (rc != 0) {
		set_free(set);
		return -1;
	}
	qsort(set->files, set->n, sizeof *set->files, file_cmp);
	set_free(current);
	current = set;
	return 0;
}

/* The number of files being served. */
size_t static_count(void)
{
	return current ? current->n : 0;
}

/* Frees the set in use. */
void static_free(void)
{
	set_free(current);
	current = NULL;
}

/* Whether the text at p starts the token tok (case-insensitive), followed by a delimiter. */
static bool token_is(const char *p, size_t n, const char *tok)
{
	return n == strlen(tok) && strncasecmp(p, tok, n) == 0;
}

/* The q-value of one Accept-Encoding element's parameters (";q=0.5"); 1 if none. */
static double qvalue(const char *params, size_t n)
{
	double q = 1.0;
	for (size_t i = 0; i + 1 < n; i++) {
		if (params[i] != ';')
			continue;
		size_t j = i + 1;
		while (j < n && (params[j] == ' ' || params[j] == '\t'))
			j++;
		if (j + 1 < n && (params[j] == 'q' || params[j] == 'Q') && params[j + 1] == '=') {
			char num[8] = "";
			size_t k = 0;
			for (j += 2; j < n && k + 1 < sizeof num && params[j] != ';' &&
			     params[j] != ' '; j++)
				num[k++] = params[j];
			num[k] = '\0';
			char *end;
			q = strtod(num, &end);
			if (end == num || q < 0 || q > 1)
				q = 0;	/* unreadable: not acceptable */
		}
	}
	return q;
}

/* Whether an Accept-Encoding value accepts gzip. */
bool static_accepts_gzip(const char *ae)
{
	if (ae == NULL)
		return false;
	double gzip = -1, star = -1;
	for (const char *p = ae; *p;) {
		size_t n = strcspn(p, ",");
		size_t name = strcspn(p, ";,");
		const char *t = p;
		size_t tn = name;
		while (tn && (*t == ' ' || *t == '\t')) {
			t++;
			tn--;
		}
		while (tn && (t[tn - 1] == ' ' || t[tn - 1] == '\t'))
			tn--;
		double q = qvalue(p + name, n - name);
		if (token_is(t, tn, "gzip") || token_is(t, tn, "x-gzip"))
			gzip = q;
		else if (token_is(t, tn, "*"))
			star = q;
		p += n + (p[n] == ',');
	}
	return gzip >= 0 ? gzip > 0 : star > 0;
}

/* Whether an If-None-Match value names etag (weak comparison: a W/ prefix is ignored). */
bool static_etag_matches(const char *inm, const char *etag)
{
	if (inm == NULL)
		return false;
	size_t elen = strlen(etag);
	for (const char *p = inm; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"')
			return false;	/* not a list of entity tags */
		const char *close = strchr(p + 1, '"');
		if (close == NULL)
			return false;
		size_t n = (size_t)(close - p) + 1;
		if (n == elen && memcmp(p, etag, n) == 0)
			return true;
		p = close + 1;
	}
	return false;
}

/* The file of a name, or NULL. */
static const struct static_file *lookup(const char *name)
{
	if (current == NULL || !name_ok(name))
		return NULL;
	struct static_file key = { .name = (char *)name };
	return bsearch(&key, current->files, current->n, sizeof *current->files, file_cmp);
}

/* Answers GET / (index.html) and GET /{file} from memory. */
void static_serve(struct http_request *rq, struct http_response *rs, struct db *db)
{
	const char *name = route_param(&rq->params, "file");
	const struct static_file *f = lookup(name ? name : "index.html");
	if (f == NULL) {
		http_error(rs, 404, "not_found", "Không có trang này. Hãy mở trang chủ của hệ "
			   "thống rồi chọn trang cần xem.");
		return;
	}
	bool gz = f->gz != NULL && static_accepts_gzip(http_header(rq, "Accept-Encoding"));
	const char *etag = gz ? f->etag_gz : f->etag;
	/* Every file is checked again at each use (no-cache): a new version of the daemon is
	 * seen at once, and an unchanged file costs a 304 without a body. */
	http_add_header(rs, "Cache-Control", "no-cache");
	http_add_header(rs, "ETag", etag);
	if (f->gz)
		http_add_header(rs, "Vary", "Accept-Encoding");
	rs->content_type = f->type;
	strbuf_reset(&rs->body);
	if (static_etag_matches(http_header(rq, "If-None-Match"), etag)) {
		rs->status = 304;
		rs->content_type = NULL;
		return;
	}
	rs->status = 200;
	if (gz) {
		http_add_header(rs, "Content-Encoding", "gzip");
		strbuf_add(&rs->body, f->gz, f->gzlen);
	} else {
		strbuf_add(&rs->body, f->data, f->len);
	}
}
