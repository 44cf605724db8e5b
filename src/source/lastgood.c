/* Persisted last good versions (lastgood.h). One file per source file,
 * named by the xxh64 of its path, in $state/lastgood/<xxh64 of the source
 * key>/; the in-memory index holds each copy's path, content hash and
 * size (read from the headers at open), so a rebuild knows without any
 * I/O which copies are current. */
#include "source/lastgood.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* SHA256_Init and friends, deprecated in OpenSSL 3 in favour of EVP but
 * kept: the first EVP digest loads the default provider, which touches
 * about 2 MiB of libcrypto's pages that stay resident for the daemon's
 * life; the direct functions touch a few KiB (SPEC.md §12's memory). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "util/fs.h"
#include "util/hash.h"
#include "util/sorted.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define LASTGOOD_MAGIC "cairn-lastgood 1\n"
#define DEFAULT_STATE_DIRECTORY "/var/lib/cairn"
/* A header is the magic, a path of at most PATH_MAX and three short
 * lines: what open reads of each copy. */
#define HEADER_MAX (PATH_MAX + 256)
/* Up to this many puts are fsynced one by one at flush; more (a first
 * start) are made durable with one syncfs. */
#define FSYNC_EACH_MAX 64
/* In each source's directory: held (shared flock) by every serve using it,
 * so that another serve's pruning leaves it alone. Opened read-only: a
 * file open for writing would keep the file system from being remounted
 * read-only. */
#define LOCK_NAME "lock"

struct lg_entry {
	char *path;
	uint64_t hash; /* of the content on disk */
	size_t bytes; /* the copy's size on disk; 0 = no copy */
	char *tmp; /* a put waiting for flush, or NULL */
	uint64_t tmp_hash;
	size_t tmp_bytes;
};

struct lastgood {
	char *dir;
	int dirfd;
	int lockfd; /* LOCK_NAME, flocked shared while open (write mode) */
	bool read_only;
	bool reader; /* opened read-only on purpose (dump): never writes */
	size_t max_bytes, total; /* total: bytes of copies and pending puts */
	struct lg_entry *e; /* sorted by path */
	size_t n, cap;
	unsigned long tmp_serial;
};

/* --- format ----------------------------------------------------------- */

static void
sha256_hex(const char *hdr, size_t hlen, const char *data, size_t len,
    char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256_CTX ctx;

	SHA256_Init(&ctx);
	SHA256_Update(&ctx, hdr, hlen);
	SHA256_Update(&ctx, data, len);
	SHA256_Final(md, &ctx);
	for (unsigned int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

/* The header up to (not including) the sha256 line. */
static char *
header_signed(const char *path, size_t len, uint64_t hash)
{
	char hex[17];

	hash_hex(hash, hex);
	return xasprintf(LASTGOOD_MAGIC "path %s\nsize %zu\nxxh64 %s\n", path,
	    len, hex);
}

char *
lastgood_encode(const char *path, const char *data, size_t len,
    size_t *outlen)
{
	char *hdr = header_signed(path, len, hash_bytes(data, len)), sha[65];
	size_t hlen = strlen(hdr);
	char *out;

	sha256_hex(hdr, hlen, data, len, sha);
	out = xmalloc(hlen + 7 + 64 + 2 + len + 1);
	memcpy(out, hdr, hlen);
	memcpy(out + hlen, "sha256 ", 7);
	memcpy(out + hlen + 7, sha, 64);
	memcpy(out + hlen + 71, "\n\n", 2);
	if (len)
		memcpy(out + hlen + 73, data, len);
	out[hlen + 73 + len] = '\0';
	*outlen = hlen + 73 + len;
	free(hdr);
	return out;
}

/* "KEY VALUE\n" at *p: the value's start and length, *p past the line. */
static int
header_line(const char **p, const char *end, const char *key,
    const char **val, size_t *vlen)
{
	size_t klen = strlen(key);
	const char *nl;

	if ((size_t)(end - *p) <= klen + 1 || memcmp(*p, key, klen) != 0 ||
	    (*p)[klen] != ' ')
		return -1;
	nl = memchr(*p + klen + 1, '\n', (size_t)(end - *p) - klen - 1);
	if (nl == NULL)
		return -1;
	*val = *p + klen + 1;
	*vlen = (size_t)(nl - *val);
	*p = nl + 1;
	return 0;
}

static bool
is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The header of a copy: path (malloc'd), size, xxh64, sha256 and where
 * the content starts. Only the first bytes of a copy are needed. */
static int
header_parse(const char *buf, size_t n, char **path, size_t *size,
    uint64_t *xxh, const char **sha, size_t *hdrlen, size_t *signedlen,
    const char **why)
{
	const char *p = buf, *end = buf + n, *v;
	size_t vlen, ml = strlen(LASTGOOD_MAGIC);
	char num[32], *e;
	unsigned long long u;

	*why = "not a cairn last good copy (bad magic)";
	if (n < ml || memcmp(buf, LASTGOOD_MAGIC, ml) != 0)
		return -1;
	p += ml;
	*why = "header: bad path line";
	if (header_line(&p, end, "path", &v, &vlen) < 0 || vlen == 0 ||
	    memchr(v, '\0', vlen) != NULL)
		return -1;
	*path = xstrndup(v, vlen);
	*why = "header: bad size line";
	if (header_line(&p, end, "size", &v, &vlen) < 0 || vlen == 0 ||
	    vlen >= sizeof num || strspn(v, "0123456789") < vlen)
		goto fail;
	memcpy(num, v, vlen);
	num[vlen] = '\0';
	errno = 0;
	u = strtoull(num, &e, 10);
	if (errno != 0 || u > SIZE_MAX / 2)
		goto fail;
	*size = (size_t)u;
	*why = "header: bad xxh64 line";
	if (header_line(&p, end, "xxh64", &v, &vlen) < 0 || vlen != 16 ||
	    !is_hex(v, 16))
		goto fail;
	memcpy(num, v, 16);
	num[16] = '\0';
	*xxh = strtoull(num, NULL, 16);
	*signedlen = (size_t)(p - buf);
	*why = "header: bad sha256 line";
	if (header_line(&p, end, "sha256", &v, &vlen) < 0 || vlen != 64 ||
	    !is_hex(v, 64))
		goto fail;
	*sha = v;
	*why = "header: no blank line after it";
	if (p >= end || *p != '\n')
		goto fail;
	*hdrlen = (size_t)(p + 1 - buf);
	return 0;
fail:
	free(*path);
	*path = NULL;
	return -1;
}

int
lastgood_decode(const char *buf, size_t n, char **path, const char **data,
    size_t *len, const char **why)
{
	size_t size, hdrlen, signedlen;
	uint64_t xxh;
	const char *sha;
	char want[65];

	*path = NULL;
	if (header_parse(buf, n, path, &size, &xxh, &sha, &hdrlen, &signedlen,
	    why) < 0)
		return -1;
	if (n - hdrlen != size) {
		*why = n - hdrlen < size ? "truncated (shorter than its header says)" :
		    "longer than its header says";
		goto fail;
	}
	sha256_hex(buf, signedlen, buf + hdrlen, size, want);
	if (memcmp(want, sha, 64) != 0) {
		*why = "checksum mismatch (SHA-256 of header and content)";
		goto fail;
	}
	if (hash_bytes(buf + hdrlen, size) != xxh) {
		*why = "content hash mismatch";
		goto fail;
	}
	*data = buf + hdrlen;
	*len = size;
	return 0;
fail:
	free(*path);
	*path = NULL;
	return -1;
}

/* --- state directory ---------------------------------------------------- */

char *
lastgood_state_directory(const char *configured, const char **from)
{
	const char *dir = configured;

	*from = "state-directory in cairn.yaml";
	if (dir == NULL || dir[0] == '\0') {
		dir = getenv("CAIRN_STATE_DIRECTORY");
		*from = "$CAIRN_STATE_DIRECTORY";
	}
	if (dir == NULL || dir[0] == '\0') {
		/* systemd: a colon-separated list, ours first. */
		dir = getenv("STATE_DIRECTORY");
		*from = "$STATE_DIRECTORY, systemd's StateDirectory=";
		if (dir && dir[0])
			return xstrndup(dir, strcspn(dir, ":"));
	}
	if (dir && dir[0])
		return xstrdup(dir);
	*from = "the default; set state-directory in cairn.yaml, "
	    "StateDirectory=cairn (systemd) or $CAIRN_STATE_DIRECTORY to change it";
	return xstrdup(DEFAULT_STATE_DIRECTORY);
}

char *
lastgood_source_key_dir(const char *directory)
{
	char *real = realpath(directory, NULL);
	char *key = xasprintf("directory %s", real ? real : directory);

	free(real);
	return key;
}

char *
lastgood_source_key_git(const char *repository, const char *remote,
    const char *branch, const char *path)
{
	char *real = NULL, *key;

	if (remote == NULL || remote[0] == '\0')
		real = realpath(repository, NULL);
	key = xasprintf("git %s %s %s", remote && remote[0] ? remote :
	    real ? real : repository, branch ? branch : "",
	    path ? path : "");
	free(real);
	return key;
}

/* --- index -------------------------------------------------------------- */

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lg_entry *)a)->path,
	    ((const struct lg_entry *)b)->path);
}

/* A path (key) against an entry (elem), for sorted_search. */
static int
path_entry_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct lg_entry *)elem)->path);
}

/* The entry of path; with create, a new empty one in sorted place. */
static struct lg_entry *
entry_get(struct lastgood *lg, const char *path, bool create)
{
	size_t lo = sorted_search(path, lg->e, lg->n, sizeof lg->e[0],
	    path_entry_cmp);

	if (lo < lg->n && strcmp(path, lg->e[lo].path) == 0)
		return &lg->e[lo];
	if (!create)
		return NULL;
	ARRAY_RESERVE(lg->e, lg->n, lg->cap);
	memmove(&lg->e[lo + 1], &lg->e[lo], (lg->n - lo) * sizeof *lg->e);
	lg->n++;
	memset(&lg->e[lo], 0, sizeof lg->e[lo]);
	lg->e[lo].path = xstrdup(path);
	return &lg->e[lo];
}

static void
entry_remove(struct lastgood *lg, struct lg_entry *e)
{
	size_t i = (size_t)(e - lg->e);

	free(e->path);
	free(e->tmp);
	memmove(&lg->e[i], &lg->e[i + 1], (lg->n - i - 1) * sizeof *lg->e);
	lg->n--;
}

static void
copy_name(const char *path, char out[20])
{
	hash_hex(hash_bytes(path, strlen(path)), out);
	memcpy(out + 16, ".lg", 4);
}

/* Read at most max bytes of name (relative to dirfd). */
static char *
read_at(int dirfd, const char *name, size_t max, size_t *len, struct stat *st)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char *buf;
	size_t n = 0, want;

	if (fd < 0)
		return NULL;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return NULL;
	}
	want = (size_t)st->st_size < max ? (size_t)st->st_size : max;
	buf = xmalloc(want + 1);
	while (n < want) {
		ssize_t r = read(fd, buf + n, want - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void
warn_line(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
warn_line(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort(); /* out of memory, as xmalloc */
	va_end(ap);
	strbuf_puts(sb, s);
	strbuf_puts(sb, "\n");
	free(s);
}

/* Other sources' copies: a state directory serves one source at a time. */
static void
prune_other_sources(const char *base, const char *keep)
{
	DIR *d = opendir(base);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *sub, *lock;
		DIR *sd;
		struct dirent *f;
		int lfd;

		if (de->d_name[0] == '.' || strcmp(de->d_name, keep) == 0 ||
		    strlen(de->d_name) != 16 || !is_hex(de->d_name, 16))
			continue;
		sub = xasprintf("%s/%s", base, de->d_name);
		lock = xasprintf("%s/" LOCK_NAME, sub);
		lfd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		free(lock);
		/* Another serve (on another source) is using it: leave it. */
		if (lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) < 0) {
			close(lfd);
			free(sub);
			continue;
		}
		if ((sd = opendir(sub)) != NULL) {
			while ((f = readdir(sd)) != NULL)
				if (f->d_name[0] != '.' || strlen(f->d_name) > 2)
					unlinkat(dirfd(sd), f->d_name, 0);
			closedir(sd);
		}
		rmdir(sub);
		if (lfd >= 0)
			close(lfd);
		free(sub);
	}
	closedir(d);
}

static int
index_load(struct lastgood *lg, struct strbuf *warn)
{
	DIR *d = fdopendir(dup(lg->dirfd));
	struct dirent *de;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name, *sha, *why;
		size_t len, size, hdrlen, signedlen;
		char *buf, *path = NULL, expect[20];
		uint64_t xxh;
		struct stat st;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    strcmp(name, LOCK_NAME) == 0)
			continue;
		if (name[0] == '.') { /* an interrupted put */
			if (!lg->read_only)
				unlinkat(lg->dirfd, name, 0);
			continue;
		}
		buf = read_at(lg->dirfd, name, HEADER_MAX, &len, &st);
		if (buf == NULL)
			continue;
		if (header_parse(buf, len, &path, &size, &xxh, &sha, &hdrlen,
		    &signedlen, &why) == 0) {
			copy_name(path, expect);
			if (strcmp(expect, name) != 0)
				why = "file name does not match its path";
			else if ((size_t)st.st_size != hdrlen + size)
				why = (size_t)st.st_size < hdrlen + size ?
				    "truncated (shorter than its header says)" :
				    "longer than its header says";
			else
				why = NULL;
		}
		if (why != NULL) {
			warn_line(warn, "last good copy %s/%s discarded: %s%s", lg->dir,
			    name, why, lg->read_only ? "" : " (deleted)");
			if (!lg->read_only)
				unlinkat(lg->dirfd, name, 0);
		} else {
			struct lg_entry e = { .path = path, .hash = xxh,
				.bytes = (size_t)st.st_size };

			ARRAY_PUSH(lg->e, lg->n, lg->cap, e);
			lg->total += e.bytes;
			path = NULL;
		}
		free(path);
		free(buf);
	}
	closedir(d);
	if (lg->n > 1)
		qsort(lg->e, lg->n, sizeof *lg->e, entry_cmp);
	return 0;
}

int
lastgood_open(struct lastgood **out, const struct lastgood_options *o,
    char **warnings, char **err)
{
	struct lastgood *lg;
	char *base, hex[17];
	struct strbuf warn = STRBUF_INIT;
	bool ro = o->read_only;

	*out = NULL;
	*warnings = NULL;
	*err = NULL;
	hash_hex(hash_bytes(o->source_key, strlen(o->source_key)), hex);
	base = xasprintf("%s/lastgood", o->state_dir);
	lg = xcalloc(1, sizeof *lg);
	lg->dir = xasprintf("%s/%s", base, hex);
	lg->max_bytes = o->max_bytes ? o->max_bytes : LASTGOOD_DEFAULT_MAX_BYTES;
	lg->dirfd = lg->lockfd = -1;
	/* Another serve may prune the directory between mkdir and the lock:
	 * then make it again. */
	for (int attempt = 0; !ro && lg->lockfd < 0 && attempt < 3; attempt++) {
		char *lock;

		if (fs_mkdir_p(lg->dir, 0700) < 0) {
			if (errno != EROFS && errno != EACCES && errno != EPERM) {
				*err = xasprintf("cannot create %s: %s", lg->dir,
				    strerror(errno));
				goto fail;
			}
			ro = true;
			break;
		}
		if (access(lg->dir, W_OK | X_OK) < 0) {
			ro = true;
			break;
		}
		lock = xasprintf("%s/" LOCK_NAME, lg->dir);
		lg->lockfd = open(lock, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		free(lock);
		/* Never wait: a pruner holds it only while it deletes (and
		 * then this directory is made again). */
		if (lg->lockfd >= 0 && flock(lg->lockfd, LOCK_SH | LOCK_NB) < 0) {
			close(lg->lockfd);
			lg->lockfd = -1;
			usleep(10000);
		}
	}
	lg->dirfd = open(lg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lg->dirfd < 0) {
		*err = xasprintf("cannot open %s: %s", lg->dir, strerror(errno));
		goto fail;
	}
	if (ro && !o->read_only)
		warn_line(&warn, "the state directory %s is read-only: last good "
		    "copies are read but not updated", o->state_dir);
	lg->read_only = ro;
	lg->reader = o->read_only;
	if (!ro)
		prune_other_sources(base, hex);
	if (index_load(lg, &warn) < 0) {
		*err = xasprintf("cannot read %s: %s", lg->dir, strerror(errno));
		goto fail;
	}
	free(base);
	*warnings = warn.len ? strbuf_detach(&warn, NULL) : NULL;
	strbuf_free(&warn);
	*out = lg;
	return 0;
fail:
	strbuf_free(&warn);
	free(base);
	lastgood_close(lg);
	return -1;
}

void
lastgood_close(struct lastgood *lg)
{
	if (lg == NULL)
		return;
	for (size_t i = 0; i < lg->n; i++) {
		if (lg->e[i].tmp != NULL && lg->dirfd >= 0)
			unlinkat(lg->dirfd, lg->e[i].tmp, 0);
		free(lg->e[i].path);
		free(lg->e[i].tmp);
	}
	free(lg->e);
	if (lg->dirfd >= 0)
		close(lg->dirfd);
	if (lg->lockfd >= 0)
		close(lg->lockfd);
	free(lg->dir);
	free(lg);
}

bool
lastgood_is_read_only(const struct lastgood *lg)
{
	return lg->read_only;
}

bool
lastgood_is_reader(const struct lastgood *lg)
{
	return lg->reader;
}

const char *
lastgood_directory(const struct lastgood *lg)
{
	return lg->dir;
}

size_t
lastgood_count(const struct lastgood *lg)
{
	return lg->n;
}

const char *
lastgood_path_at(const struct lastgood *lg, size_t i)
{
	return lg->e[i].path;
}

size_t
lastgood_total_bytes(const struct lastgood *lg)
{
	return lg->total;
}

static bool
entry_has(const struct lg_entry *e, uint64_t hash)
{
	return (e->bytes != 0 && e->hash == hash && e->tmp == NULL) ||
	    (e->tmp != NULL && e->tmp_hash == hash);
}

bool
lastgood_has(const struct lastgood *lg, const char *path, uint64_t hash)
{
	struct lg_entry *e = entry_get((struct lastgood *)lg, path, false);

	return e != NULL && entry_has(e, hash);
}

bool
lastgood_has_path(const struct lastgood *lg, const char *path)
{
	struct lg_entry *e = entry_get((struct lastgood *)lg, path, false);

	return e != NULL && (e->bytes != 0 || e->tmp != NULL);
}

bool
lastgood_has_at(const struct lastgood *lg, size_t i, uint64_t hash)
{
	return i < lg->n && entry_has(&lg->e[i], hash);
}

/* Forget (and with unlink, delete) what path has on disk and pending. */
static void
entry_clear(struct lastgood *lg, struct lg_entry *e, bool unlink_copy)
{
	char name[20];

	if (e->tmp != NULL) {
		unlinkat(lg->dirfd, e->tmp, 0);
		lg->total -= e->tmp_bytes;
		free(e->tmp);
		e->tmp = NULL;
	}
	if (e->bytes != 0 && unlink_copy) {
		copy_name(e->path, name);
		unlinkat(lg->dirfd, name, 0);
		lg->total -= e->bytes;
		e->bytes = 0;
	}
}

int
lastgood_get(struct lastgood *lg, const char *path, char **data, size_t *len,
    char **err)
{
	struct lg_entry *e = entry_get(lg, path, false);
	char name[20], *buf, *p = NULL;
	const char *d, *why;
	size_t n, dlen;
	struct stat st;

	*data = NULL;
	*err = NULL;
	if (e == NULL || e->bytes == 0)
		return 0;
	copy_name(path, name);
	/* One byte more than the index says: a copy that grew is refused as
	 * "longer than its header says", not read whole. */
	buf = read_at(lg->dirfd, name, e->bytes + 1, &n, &st);
	if (buf == NULL) {
		why = "cannot be read";
		goto corrupt;
	}
	if (lastgood_decode(buf, n, &p, &d, &dlen, &why) < 0)
		goto corrupt;
	if (strcmp(p, path) != 0) {
		why = "holds another path";
		goto corrupt;
	}
	if (d != buf)
		memmove(buf, d, dlen);
	buf[dlen] = '\0';
	free(p);
	*data = buf;
	*len = dlen;
	return 1;
corrupt:
	*err = xasprintf("last good copy %s/%s of %s discarded: %s%s", lg->dir,
	    name, path, why, lg->read_only ? "" : " (deleted)");
	free(p);
	free(buf);
	if (!lg->read_only) {
		entry_clear(lg, e, true);
		entry_remove(lg, e);
	}
	return -1;
}

int
lastgood_put(struct lastgood *lg, const char *path, const char *data,
    size_t len, uint64_t hash, char **err)
{
	struct lg_entry *e;
	char *buf, *tmp;
	size_t n, off = 0;
	int fd;

	*err = NULL;
	if (lg->read_only) {
		*err = xasprintf("the state directory is read-only");
		return -1;
	}
	if (data == NULL) {
		/* Released after its build (source_blob_release_bytes). */
		*err = xasprintf("its bytes are no longer held");
		return -1;
	}
	if (strchr(path, '\n') != NULL || path[0] == '\0') {
		/* The header is line-based: such a copy could not be read. */
		*err = xasprintf("a path with a newline cannot be kept");
		return -1;
	}
	e = entry_get(lg, path, true);
	/* A new last good: whatever was there is no longer it. */
	entry_clear(lg, e, false);
	buf = lastgood_encode(path, data, len, &n);
	if (lg->total - e->bytes + n > lg->max_bytes) {
		*err = xasprintf("over the bound of %zu bytes for all last good "
		    "copies (%zu in use, this copy %zu)", lg->max_bytes,
		    lg->total - e->bytes, n);
		goto drop;
	}
	tmp = xasprintf(".%016llx.%ld.%lu.tmp", (unsigned long long)hash,
	    (long)getpid(), ++lg->tmp_serial);
	fd = openat(lg->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0) {
		*err = xasprintf("cannot create a temporary file in %s: %s", lg->dir,
		    strerror(errno));
		free(tmp);
		goto drop;
	}
	while (off < n) {
		ssize_t w = write(fd, buf + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			*err = xasprintf("cannot write to %s: %s", lg->dir,
			    w < 0 ? strerror(errno) : "short write");
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0 && *err == NULL)
		*err = xasprintf("cannot write to %s: %s", lg->dir, strerror(errno));
	if (*err != NULL) {
		unlinkat(lg->dirfd, tmp, 0);
		free(tmp);
		goto drop;
	}
	free(buf);
	e->tmp = tmp;
	e->tmp_hash = hash;
	e->tmp_bytes = n;
	lg->total += n;
	return 0;
drop:
	free(buf);
	entry_clear(lg, e, true);
	entry_remove(lg, e);
	return -1;
}

void
lastgood_drop(struct lastgood *lg, const char *path)
{
	struct lg_entry *e = entry_get(lg, path, false);

	if (e == NULL || lg->read_only)
		return;
	entry_clear(lg, e, true);
	entry_remove(lg, e);
}

size_t
lastgood_flush(struct lastgood *lg)
{
	size_t npending = 0, failed = 0;
	bool synced = true;

	if (lg->read_only)
		return 0;
	for (size_t i = 0; i < lg->n; i++)
		npending += lg->e[i].tmp != NULL;
	if (npending > FSYNC_EACH_MAX && syncfs(lg->dirfd) < 0)
		synced = false;
	for (size_t i = 0; i < lg->n; i++) {
		struct lg_entry *e = &lg->e[i];
		char name[20];
		int fd;

		if (e->tmp == NULL)
			continue;
		copy_name(e->path, name);
		if (npending <= FSYNC_EACH_MAX) {
			fd = openat(lg->dirfd, e->tmp, O_RDONLY | O_CLOEXEC);
			synced = fd >= 0 && fsync(fd) == 0;
			if (fd >= 0)
				close(fd);
		}
		if (!synced || renameat(lg->dirfd, e->tmp, lg->dirfd, name) < 0) {
			log_warning("last good copy of %s not saved in %s: %s", e->path,
			    lg->dir, strerror(errno));
			entry_clear(lg, e, true);
			/* Kept as an empty entry (bytes 0): removed below. */
			failed++;
			continue;
		}
		lg->total -= e->bytes;
		e->bytes = e->tmp_bytes;
		e->hash = e->tmp_hash;
		free(e->tmp);
		e->tmp = NULL;
	}
	for (size_t i = lg->n; i-- > 0;)
		if (lg->e[i].bytes == 0 && lg->e[i].tmp == NULL)
			entry_remove(lg, &lg->e[i]);
	if (npending > 0 && fsync(lg->dirfd) < 0)
		log_warning("fsync %s: %s", lg->dir, strerror(errno));
	return failed;
}
