/* File-backed Secrets: where a file really is, and reading it. A Secret
 * in the (possibly git-pushed) resource tree must not be able to make
 * cairn read, and send to every Envoy, any file cairn can read: only
 * files that resolve under secrets.allowed-directories are used. */
#include "tls/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/xalloc.h"

/* The explanation every check of this module hands back: nothing when the
 * caller passed no buffer. */
void
tls_why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* Is path equal to dir or below it (whole components)? */
static bool
path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

int
tls_file_resolve(const char *path, char *const *dirs, size_t ndirs,
    char **real_out, char *why, size_t whylen)
{
	char *real;

	*real_out = NULL;
	if (path == NULL || path[0] != '/') {
		tls_why_set(why, whylen, "\"%s\" is not an absolute path", path ? path : "");
		return -1;
	}
	if (ndirs == 0) {
		tls_why_set(why, whylen, "file %s: secrets.allowed-directories is empty, "
		    "so no file-backed Secret is allowed", path);
		return -1;
	}
	if ((real = realpath(path, NULL)) == NULL) {
		tls_why_set(why, whylen, "file %s: %s", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < ndirs; i++) {
		char *rd = realpath(dirs[i], NULL);
		bool ok;

		/* A directory that does not exist allows nothing. */
		if (rd == NULL)
			continue;
		ok = path_under(real, rd);
		free(rd);
		if (ok) {
			*real_out = real;
			return 0;
		}
	}
	if (strcmp(real, path) == 0)
		tls_why_set(why, whylen, "file %s is outside secrets.allowed-directories",
		    path);
	else
		tls_why_set(why, whylen, "file %s resolves to %s, outside "
		    "secrets.allowed-directories", path, real);
	free(real);
	return -1;
}

int
tls_file_read(const char *path, uint8_t **data_out, size_t *len_out, char *why,
    size_t whylen)
{
	struct stat st;
	uint8_t *buf;
	size_t off = 0;
	int fd;

	*data_out = NULL;
	*len_out = 0;
	/* path is resolved: a symlink here means it was swapped since. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		tls_why_set(why, whylen, "file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		tls_why_set(why, whylen, "file %s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_size > (off_t)TLS_FILE_MAX_BYTES) {
		tls_why_set(why, whylen, "file %s: %lld bytes, more than the %u a "
		    "certificate or key may have", path, (long long)st.st_size,
		    TLS_FILE_MAX_BYTES);
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			tls_why_set(why, whylen, "file %s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (r == 0) /* truncated while reading: use what is there */
			break;
		off += (size_t)r;
	}
	close(fd);
	buf[off] = '\0';
	*data_out = buf;
	*len_out = off;
	return 0;
}
