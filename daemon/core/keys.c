/* The server's secrets in data_dir: the workbook MAC key and the receipt signing key. */
#include "keys.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads exactly n bytes of a key file, or creates it with fill(); returns 0 or -1 with *err. */
static int key_file(const char *dir, const char *name, unsigned char *buf, size_t n,
		    void (*fill)(unsigned char *buf, size_t n, void *arg), void *arg,
		    uid_t uid, gid_t gid, char **err)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t got = read(fd, buf, n);
		char extra;
		ssize_t more = got == (ssize_t)n ? read(fd, &extra, 1) : 0;
		close(fd);
		if (got != (ssize_t)n || more != 0) {
			*err = xasprintf("%s: not a key of %zu bytes; restore it from a backup (or "
					 "remove it to make a new one, which invalidates earlier "
					 "workbooks or receipts)", path, n);
			free(path);
			return -1;
		}
		free(path);
		return 0;
	}
	if (errno != ENOENT) {
		*err = xasprintf("%s: cannot read: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		*err = xasprintf("%s: cannot create the folder: %s", dir, strerror(errno));
		free(path);
		return -1;
	}
	fill(buf, n, arg);
	/* Written under a name of its own, then linked into place: link() never replaces a key
	 * another process created meanwhile (that one is read and used instead). */
	char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	if (unlink(tmp) != 0 && errno != ENOENT) {	/* left by a crash of this pid */
		*err = xasprintf("%s: cannot remove %s: %s", path, tmp, strerror(errno));
		free(tmp);
		free(path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && write(fd, buf, n) == (ssize_t)n && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	if (ok && uid != (uid_t)-1 && chown(tmp, uid, gid) != 0)
		ok = false;
	bool raced = false;
	if (ok && link(tmp, path) != 0) {
		if (errno == EEXIST)
			raced = true;
		else
			ok = false;
	}
	if (!ok)
		*err = xasprintf("%s: cannot write a new key: %s", path, strerror(errno));
	if (unlink(tmp) != 0 && ok) {
		*err = xasprintf("%s: cannot remove %s: %s", path, tmp, strerror(errno));
		ok = false;
	}
	if (ok && raced) {
		free(tmp);
		free(path);
		return key_file(dir, name, buf, n, fill, arg, uid, gid, err);
	}
	free(tmp);
	free(path);
	return ok ? 0 : -1;
}

/* Fills with random bytes. */
static void fill_random(unsigned char *buf, size_t n, void *arg)
{
	randombytes_buf(buf, n);
}

/* Fills with a new Ed25519 secret key (its public half is derived when loading). */
static void fill_signing(unsigned char *buf, size_t n, void *arg)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	crypto_sign_keypair(pk, buf);
}

/* Loads or creates the keys. */
int keys_load(const char *data_dir, uid_t uid, gid_t gid, struct keys *out, char **err)
{
	if (key_file(data_dir, "workbook.key", out->mac, sizeof out->mac, fill_random, NULL, uid,
		     gid, err) != 0 ||
	    key_file(data_dir, "receipt.key", out->sign_sk, sizeof out->sign_sk, fill_signing, NULL,
		     uid, gid, err) != 0)
		return -1;
	if (crypto_sign_ed25519_sk_to_pk(out->sign_pk, out->sign_sk) != 0) {
		*err = xasprintf("%s/receipt.key: not an Ed25519 key", data_dir);
		return -1;
	}
	return 0;
}

static struct keys server_keys;

/* Keeps the daemon's keys. */
void keys_set_server(const struct keys *k)
{
	server_keys = *k;
}

/* The daemon's keys. */
const struct keys *keys_server(void)
{
	return &server_keys;
}
