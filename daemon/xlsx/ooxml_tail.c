/*
 * The well-formedness check of a package made while it is written: a thread follows the zip
 * file libxlsxwriter writes in workbook_close() (each local header, then the raw deflate
 * stream, which ends by itself), inflates each XML part and parses it with expat as it comes,
 * on the core the writer leaves idle. Afterwards the parts it parsed are proven to be the final
 * file's (central directory: offset, sizes, CRC-32; the compressed bytes' SHA-256), and only
 * the others are parsed by ooxml_check_except(). Anything unexpected in what it follows (a
 * method other than deflate, a part it could not finish) only leaves more to parse afterwards.
 */
#include "ooxml.h"
#include "util.h"

#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define TAIL_CHUNK 65536
#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u
#define SIG_DESCRIPTOR 0x08074b50u

/* One part followed to its end. */
struct tail_part {
	char *name;
	uint64_t header;	/* its local header's offset */
	uint64_t start;		/* its compressed bytes' offset */
	uint64_t comp, size;	/* compressed and inflated lengths */
	uint32_t crc;		/* CRC-32 of the inflated bytes */
	unsigned char comp_sha[crypto_hash_sha256_BYTES];	/* of the compressed bytes */
	bool xml, ok;		/* an XML part, and found well-formed */
};

struct ooxml_tail {
	char *path;
	pthread_t thread;
	atomic_bool done;	/* the writer has closed the file, or given up */
	struct tail_part *parts;
	size_t nparts, cap;
	unsigned char in[TAIL_CHUNK], out[TAIL_CHUNK];
};

/* Little-endian integers of the zip format. */
static uint32_t le16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

/* A 32-bit one. */
static uint32_t le32(const unsigned char *p)
{
	return le16(p) | le16(p + 2) << 16;
}

/* Sleeps a millisecond: the writer is still writing. */
static void nap(void)
{
	struct timespec ts = { 0, 1000000 };
	nanosleep(&ts, NULL);
}

/* Reads up to n bytes at off, waiting while the writer may still add them: how many (0 at the
 * end of a finished file, -1 on an error). */
static ssize_t tail_some(struct ooxml_tail *t, int fd, void *buf, size_t n, uint64_t off)
{
	for (;;) {
		bool finished = atomic_load(&t->done);
		ssize_t got = pread(fd, buf, n, (off_t)off);
		if (got != 0 || finished)
			return got;
		nap();
	}
}

/* Reads exactly n bytes at off; false when the file ends first. */
static bool tail_exact(struct ooxml_tail *t, int fd, unsigned char *buf, size_t n, uint64_t off)
{
	size_t have = 0;
	while (have < n) {
		ssize_t got = tail_some(t, fd, buf + have, n - have, off + have);
		if (got <= 0)
			return false;
		have += (size_t)got;
	}
	return true;
}

/* Whether a part's name says it holds XML (as ooxml_check() decides). */
static bool tail_xml(const char *name)
{
	return str_has_suffix(name, ".xml") || str_has_suffix(name, ".rels") ||
	       str_has_suffix(name, ".vml");
}

/* Inflates (and parses, if XML) the part whose deflate stream starts at p->start; false when it
 * cannot be followed to its end. */
static bool tail_part_run(struct ooxml_tail *t, int fd, struct tail_part *p)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
		return false;
	XML_Parser xp = p->xml ? XML_ParserCreate(NULL) : NULL;
	if (p->xml && xp == NULL)
		abort();	/* out of memory: xmalloc's rule */
	p->ok = p->xml;
	uint32_t crc = (uint32_t)crc32(0, NULL, 0);
	crypto_hash_sha256_state sha;
	crypto_hash_sha256_init(&sha);
	uint64_t off = p->start;
	bool ended = false;
	while (!ended) {
		ssize_t got = tail_some(t, fd, t->in, sizeof t->in, off);
		if (got <= 0)
			break;
		zs.next_in = t->in;
		zs.avail_in = (uInt)got;
		int zr = Z_OK;
		while (zs.avail_in > 0 && zr == Z_OK) {
			zs.next_out = t->out;
			zs.avail_out = sizeof t->out;
			zr = inflate(&zs, Z_NO_FLUSH);
			size_t n = sizeof t->out - zs.avail_out;
			crc = (uint32_t)crc32(crc, t->out, (uInt)n);
			if (p->ok && n > 0 && XML_Parse(xp, (const char *)t->out, (int)n, 0) !=
					      XML_STATUS_OK)
				p->ok = false;
			if (zr == Z_BUF_ERROR && zs.avail_in > 0)
				zr = Z_OK;	/* the output was full: go on */
		}
		size_t used = (size_t)got - zs.avail_in;
		crypto_hash_sha256_update(&sha, t->in, used);
		off += used;
		if (zr == Z_STREAM_END)
			ended = true;
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			break;
	}
	if (ended && p->ok && XML_Parse(xp, "", 0, 1) != XML_STATUS_OK)
		p->ok = false;
	if (xp != NULL)
		XML_ParserFree(xp);
	p->comp = zs.total_in;
	p->size = zs.total_out;
	p->crc = crc;
	crypto_hash_sha256_final(&sha, p->comp_sha);
	inflateEnd(&zs);
	return ended;
}

/* Follows the file's entries until its central directory, or something it cannot follow. */
static void tail_follow(struct ooxml_tail *t, int fd)
{
	uint64_t pos = 0;
	unsigned char h[30];
	for (;;) {
		if (!tail_exact(t, fd, h, 4, pos) || le32(h) != SIG_LOCAL ||
		    !tail_exact(t, fd, h, sizeof h, pos))
			return;
		uint32_t flags = le16(h + 6), method = le16(h + 8);
		size_t nlen = le16(h + 26), elen = le16(h + 28);
		if (method != 8 || (flags & 1) != 0)
			return;
		char *name = xmalloc(nlen + 1);
		if (!tail_exact(t, fd, (unsigned char *)name, nlen, pos + sizeof h)) {
			free(name);
			return;
		}
		name[nlen] = '\0';
		struct tail_part p = { .name = name, .header = pos,
				       .start = pos + sizeof h + nlen + elen,
				       .xml = strlen(name) == nlen && tail_xml(name) };
		if (!tail_part_run(t, fd, &p)) {
			free(name);
			return;
		}
		if (t->nparts == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 16;
			t->parts = xrealloc(t->parts, t->cap * sizeof *t->parts);
		}
		t->parts[t->nparts++] = p;
		pos = p.start + p.comp;
		/* A data descriptor follows, with or without its signature. */
		if (flags & 8) {
			if (!tail_exact(t, fd, h, 4, pos))
				return;
			pos += le32(h) == SIG_DESCRIPTOR ? 16 : 12;
		}
	}
}

/* The thread: waits for the file to appear, then follows it. */
static void *tail_run(void *arg)
{
	struct ooxml_tail *t = arg;
	int fd;
	for (;;) {
		bool finished = atomic_load(&t->done);
		fd = open(t->path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT || finished)
			break;
		nap();
	}
	if (fd < 0)
		return NULL;
	tail_follow(t, fd);
	close(fd);
	return NULL;
}

/* Starts following the file the writer is about to create at path (ooxml.h). */
struct ooxml_tail *ooxml_tail_start(const char *path)
{
	struct ooxml_tail *t = xcalloc(1, sizeof *t);
	t->path = xstrdup(path);
	atomic_init(&t->done, false);
	if (pthread_create(&t->thread, NULL, tail_run, t) != 0) {
		free(t->path);
		free(t);
		return NULL;
	}
	return t;
}

/* Tells the thread the file is finished, and waits for it; once only. */
void ooxml_tail_stop(struct ooxml_tail *t)
{
	if (t == NULL || t->path == NULL)
		return;
	atomic_store(&t->done, true);
	if (pthread_join(t->thread, NULL) != 0)
		abort();	/* a joinable thread of ours: only a broken invariant fails */
	free(t->path);
	t->path = NULL;
}

/* Stops the tail if need be and frees what it found. */
void ooxml_tail_free(struct ooxml_tail *t)
{
	if (t == NULL)
		return;
	ooxml_tail_stop(t);
	for (size_t i = 0; i < t->nparts; i++)
		free(t->parts[i].name);
	free(t->parts);
	free(t);
}

/* How many XML parts were followed to their end and found well-formed. */
size_t ooxml_tail_followed(const struct ooxml_tail *t)
{
	size_t n = 0;
	for (size_t i = 0; t != NULL && i < t->nparts; i++)
		n += t->parts[i].xml && t->parts[i].ok;
	return n;
}

/* The part followed whose local header was at off, or NULL. */
static const struct tail_part *tail_find(const struct ooxml_tail *t, uint64_t off)
{
	for (size_t i = 0; i < t->nparts; i++)
		if (t->parts[i].header == off)
			return &t->parts[i];
	return NULL;
}

/* Whether the final bytes hold, as entry `name`, exactly what was followed as p. */
static bool tail_proven(const struct tail_part *p, const unsigned char *d, size_t len,
			const unsigned char *cd, size_t nlen)
{
	if (!p->xml || !p->ok || strlen(p->name) != nlen || memcmp(p->name, cd + 46, nlen) != 0)
		return false;
	if (le32(cd + 16) != p->crc || le32(cd + 20) != p->comp || le32(cd + 24) != p->size ||
	    le16(cd + 10) != 8)
		return false;
	if (p->header > len || len - p->header < 30 || le32(d + p->header) != SIG_LOCAL)
		return false;
	const unsigned char *h = d + p->header;
	uint64_t start = p->header + 30 + le16(h + 26) + le16(h + 28);
	if (start != p->start || start > len || len - start < p->comp)
		return false;
	unsigned char sha[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(sha, d + start, p->comp);
	return memcmp(sha, p->comp_sha, sizeof sha) == 0;
}

/* Checks the file's final bytes, the parts followed and proven the same not parsed again. */
int ooxml_tail_check(struct ooxml_tail *t, const void *data, size_t len, const char *main,
		     char **err)
{
	ooxml_tail_stop(t);
	const unsigned char *d = data;
	/* The end of central directory record: no comment in what libxlsxwriter writes, but one
	 * is looked past all the same. */
	size_t eocd = len;
	for (size_t back = 22; back <= len && back <= 22 + 65535 && eocd == len; back++)
		if (le32(d + len - back) == SIG_END)
			eocd = len - back;
	bool *done = NULL;
	size_t n = 0;
	if (eocd < len && len - eocd >= 22 && len <= UINT32_MAX) {
		n = le16(d + eocd + 10);
		uint64_t at = le32(d + eocd + 16), end = at + le32(d + eocd + 12);
		done = xcalloc(n ? n : 1, sizeof *done);
		for (size_t i = 0; i < n && end <= eocd; i++) {
			if (at > end || end - at < 46 || le32(d + at) != SIG_CENTRAL)
				break;
			const unsigned char *cd = d + at;
			size_t nlen = le16(cd + 28);
			size_t skip = 46 + nlen + le16(cd + 30) + le16(cd + 32);
			if (end - at < skip)
				break;
			const struct tail_part *p = tail_find(t, le32(cd + 42));
			done[i] = p != NULL && tail_proven(p, d, len, cd, nlen);
			at += skip;
		}
	}
	int rc = ooxml_check_except(data, len, main, done, n, err);
	free(done);
	return rc;
}
