/* Reading and writing fqdn-owners.ledger (owners_file.h). */
#include "owners_file.h"
#include "source/lastgood.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/xalloc.h"

#define OWNERS_FILE_NAME "fqdn-owners.ledger"
#define OWNERS_FILE_MAX (64 * 1024 * 1024)

char *
owners_file_path(const char *configured)
{
	const char *from;
	char *dir = lastgood_state_directory(configured, &from);
	char *path = xasprintf("%s/%s", dir, OWNERS_FILE_NAME);

	free(dir);
	return path;
}

int
owners_file_load(const char *path, struct fqdn_ledger *out, char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf, *err;
	size_t len = 0;
	int rc;

	fqdn_ledger_init(out);
	*why = NULL;
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		*why = xasprintf("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*why = xasprintf("%s: cannot read: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (st.st_size > OWNERS_FILE_MAX) {
		*why = xasprintf("%s: larger than %d bytes", path, OWNERS_FILE_MAX);
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	rc = fqdn_ledger_decode(out, buf, len, &err);
	free(buf);
	if (rc < 0) {
		*why = xasprintf("%s:%s", path, err);
		free(err);
		return -1;
	}
	return 0;
}

int
owners_file_save(const char *path, const struct fqdn_ledger *l, char **why)
{
	struct strbuf sb = STRBUF_INIT;
	char *tmp = xasprintf("%s.tmp", path);
	size_t off = 0;
	int fd, rc = -1;

	*why = NULL;
	fqdn_ledger_encode(l, &sb);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		*why = xasprintf("%s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < sb.len) {
		ssize_t w = write(fd, sb.buf + off, sb.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			*why = xasprintf("%s: cannot write: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		*why = xasprintf("%s: cannot write: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		*why = xasprintf("%s: cannot rename: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	strbuf_free(&sb);
	free(tmp);
	return rc;
}
