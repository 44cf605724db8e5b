/* Certificate material of file-backed Secrets, read before the DAG is
 * built: the pipeline hands the paths the Secrets name, this module
 * resolves each under secrets.allowed-directories, reads it only when its
 * (dev, ino, size, mtime, ctime) differ from what was read last time, and
 * keeps the bytes, their hash, what the PEM checks found and why a file
 * cannot be used. The DAG only looks entries up, so a build does no file
 * I/O and a group whose material did not change can be reused. */
#include "tls/tls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/hash.h"
#include "util/sorted.h"
#include "util/xalloc.h"

struct tls_material {
	struct tls_material_file *files; /* sorted by path, unique */
	size_t n;
	size_t reads; /* files read since tls_material_new */
	uint64_t hash; /* of every file's hash, in path order */
};

struct tls_material *
tls_material_new(void)
{
	return xcalloc(1, sizeof(struct tls_material));
}

static void
material_file_clear(struct tls_material_file *f)
{
	free(f->path);
	free(f->real);
	free(f->data);
	free(f->error);
	free(f->cert_why);
	free(f->key_why);
	memset(f, 0, sizeof *f);
}

void
tls_material_free(struct tls_material *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		material_file_clear(&m->files[i]);
	free(m->files);
	free(m);
}

static int
file_path_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct tls_material_file *)elem)->path);
}

const struct tls_material_file *
tls_material_find(const struct tls_material *m, const char *path)
{
	size_t i;

	if (m == NULL || m->n == 0)
		return NULL;
	i = sorted_search(path, m->files, m->n, sizeof m->files[0], file_path_cmp);
	if (i < m->n && strcmp(m->files[i].path, path) == 0)
		return &m->files[i];
	return NULL;
}

uint64_t
tls_material_hash(const struct tls_material *m)
{
	return m ? m->hash : 0;
}

size_t
tls_material_reads(const struct tls_material *m)
{
	return m ? m->reads : 0;
}

/* Read f->real (stat st) and run the PEM checks on what it holds. */
static void
material_read(struct tls_material *m, struct tls_material_file *f,
    const struct stat *st)
{
	char why[TLS_WHY_MAX];
	size_t len;

	m->reads++;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = st->st_size;
	f->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	f->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	if (tls_file_read(f->real, &f->data, &len, why, sizeof why) < 0) {
		f->error = xstrdup(why);
		return;
	}
	f->len = len;
	if (tls_check_certificates(f->data, len, &f->cert, why, sizeof why) == 0)
		f->cert_ok = true;
	else
		f->cert_why = xstrdup(why);
	if (tls_check_private_key(f->data, len, why, sizeof why) == 0)
		f->key_ok = true;
	else
		f->key_why = xstrdup(why);
}

/* f (path set, the rest of a previous read or empty) as the file is now. */
static void
material_refresh(struct tls_material *m, struct tls_material_file *f,
    char *const *dirs, size_t ndirs)
{
	char why[TLS_WHY_MAX];
	struct stat st;
	char *real;
	char *path = f->path;
	uint64_t h;

	if (tls_file_resolve(path, dirs, ndirs, &real, why, sizeof why) < 0) {
		f->path = NULL;
		material_file_clear(f);
		f->path = path;
		f->error = xstrdup(why);
		goto hash;
	}
	if (stat(real, &st) < 0) {
		f->path = NULL;
		material_file_clear(f);
		f->path = path;
		f->error = xasprintf("file %s: %s", path, strerror(errno));
		free(real);
		goto hash;
	}
	if (f->real != NULL && f->error == NULL && strcmp(f->real, real) == 0 &&
	    f->dev == st.st_dev && f->ino == st.st_ino && f->size == st.st_size &&
	    f->mtime_ns == (int64_t)st.st_mtim.tv_sec * 1000000000 +
	    st.st_mtim.tv_nsec && f->ctime_ns == (int64_t)st.st_ctim.tv_sec *
	    1000000000 + st.st_ctim.tv_nsec) {
		free(real);
		return; /* unchanged: its hash stands */
	}
	f->path = NULL;
	material_file_clear(f);
	f->path = path;
	f->real = real;
	material_read(m, f, &st);
hash:
	h = f->error ? hash_bytes_seeded(f->error, strlen(f->error), 1) :
	    hash_bytes(f->data, f->len);
	f->hash = h;
}

void
tls_material_update(struct tls_material *m, const char *const *paths,
    size_t npaths, char *const *dirs, size_t ndirs)
{
	const char **want = xreallocarray(NULL, npaths + 1, sizeof *want);
	struct tls_material_file *files;
	struct hash_state *hs;
	size_t n = 0, j = 0;

	if (npaths > 0) /* paths may be NULL then: memcpy wants a pointer */
		memcpy(want, paths, npaths * sizeof *want);
	qsort(want, npaths, sizeof *want, sorted_str_cmp);
	files = xcalloc(npaths + 1, sizeof *files);
	/* Both lists are sorted: keep what is still named, drop the rest. */
	for (size_t i = 0; i < npaths; i++) {
		struct tls_material_file *f = &files[n];

		if (n > 0 && strcmp(files[n - 1].path, want[i]) == 0)
			continue;
		while (j < m->n && strcmp(m->files[j].path, want[i]) < 0)
			material_file_clear(&m->files[j++]);
		if (j < m->n && strcmp(m->files[j].path, want[i]) == 0)
			*f = m->files[j++];
		else
			f->path = xstrdup(want[i]);
		material_refresh(m, f, dirs, ndirs);
		n++;
	}
	while (j < m->n)
		material_file_clear(&m->files[j++]);
	free(m->files);
	m->files = files;
	m->n = n;
	hs = hash_begin();
	for (size_t i = 0; i < n; i++) {
		hash_update(hs, files[i].path, strlen(files[i].path) + 1);
		hash_update(hs, &files[i].hash, sizeof files[i].hash);
	}
	m->hash = hash_end(hs);
	free(want);
}
