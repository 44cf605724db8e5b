/* TLS material for Secrets: the only module that includes OpenSSL
 * headers. It checks PEM certificates, private keys and CRLs the way
 * Envoy will load them, so that a bad Secret is an error with a place in
 * `cairn check` rather than a NACK; it resolves and reads file-backed
 * Secrets under secrets.allowed-directories; and it watches those files
 * (tls/watch.c) so that a certbot renewal rebuilds the snapshot.
 *
 * Messages (the `why` buffers) never contain key material: only block
 * numbers, block types, file names and OpenSSL's reason strings. */
#ifndef CAIRN_TLS_TLS_H
#define CAIRN_TLS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_WHY_MAX 512

/* What a certificate bundle holds. Times are Unix seconds. */
struct tls_cert_info {
	size_t ncerts;
	int64_t not_before, not_after; /* of the first (leaf) certificate */
	int64_t earliest_not_after; /* of any certificate of the bundle */
	char subject[256]; /* of the leaf, RFC 2253 one-line form */
};

/* Every PEM block is a CERTIFICATE that parses, and there is at least
 * one (tls.crt, ca.crt). Returns 0, or -1 with why set. info may be NULL. */
int tls_check_certificates(const void *pem, size_t len,
    struct tls_cert_info *info, char *why, size_t whylen);
/* Exactly one unencrypted private key (PKCS#8, RSA or EC; EC PARAMETERS
 * blocks are ignored as Envoy does). */
int tls_check_private_key(const void *pem, size_t len, char *why, size_t whylen);
/* The key belongs to the first certificate of the chain. Both must have
 * passed their own checks. */
int tls_check_key_pair(const void *cert_pem, size_t cert_len,
    const void *key_pem, size_t key_len, char *why, size_t whylen);
/* Every PEM block is an X509 CRL that parses, and there is at least one. */
int tls_check_crl(const void *pem, size_t len, char *why, size_t whylen);

/* "2024-05-01T12:00:00Z" for a Unix time. */
void tls_format_time(int64_t t, char out[32]);

/* --- file-backed Secrets (files.c) ----------------------------------------- */

/* Largest certificate, key or CA file cairn reads. */
#define TLS_FILE_MAX_BYTES (1u << 20)

/* path must be absolute; its real path (all symlinks resolved) must lie
 * under one of dirs (each resolved too). Returns 0 with *real_out
 * (caller frees), or -1 with why naming the file. */
int tls_file_resolve(const char *path, char *const *dirs, size_t ndirs,
    char **real_out, char *why, size_t whylen);
/* Read a regular file of at most TLS_FILE_MAX_BYTES. Returns 0 with
 * *data_out (caller frees; NUL-terminated, not counted in *len_out), or
 * -1 with why. */
int tls_file_read(const char *path, uint8_t **data_out, size_t *len_out,
    char *why, size_t whylen);

/* --- certificate material of file-backed Secrets (material.c) -------------- */

/* One file as the DAG gets it: read before the build, so the DAG does no
 * I/O. Errors have no place of their own: the DAG reports them at the
 * annotation that names the file. */
struct tls_material_file {
	char *path; /* as the annotation writes it (absolute) */
	char *real; /* resolved under secrets.allowed-directories */
	char *error; /* why it cannot be used (resolve, read), or NULL */
	uint8_t *data; /* NUL-terminated, not counted in len; NULL on error */
	size_t len;
	uint64_t hash; /* of data, or of error */
	/* What tls_check_certificates and tls_check_private_key found. */
	bool cert_ok, key_ok;
	char *cert_why, *key_why; /* when not ok */
	struct tls_cert_info cert;
	/* The identity of what was read: equal = not read again. */
	uint64_t dev, ino;
	int64_t size, mtime_ns, ctime_ns;
};

struct tls_material;

struct tls_material *tls_material_new(void);
void tls_material_free(struct tls_material *m);
/* Hold exactly paths from now on (any order, repeats allowed), resolved
 * under dirs; a file whose identity is unchanged is not read again. */
void tls_material_update(struct tls_material *m, const char *const *paths,
    size_t npaths, char *const *dirs, size_t ndirs);
/* The entry of path, or NULL when the last update did not name it. */
const struct tls_material_file *tls_material_find(const struct tls_material *m,
    const char *path);
/* Of every entry's path and hash: changes when any file's content or
 * problem does. */
uint64_t tls_material_hash(const struct tls_material *m);
/* Files read since tls_material_new (tests: an unchanged file is not). */
size_t tls_material_reads(const struct tls_material *m);

/* --- watching the files (watch.c) ------------------------------------------- */

/* An inotify instance over the directories that hold a set of files and
 * the targets of their symlinks: a certbot renewal (new files in
 * archive/, symlinks in live/ replaced), a Kubernetes-style ..data swap,
 * an in-place rewrite or a chmod all show up as events. The owner's event
 * loop polls tls_watch_fd() and calls tls_watch_process() when readable. */
struct tls_watch;

struct tls_watch *tls_watch_new(void); /* NULL when inotify is unavailable */
void tls_watch_free(struct tls_watch *w);
int tls_watch_fd(const struct tls_watch *w);
/* Watch exactly these files from now on (replaces the previous set;
 * paths that do not exist yet are watched through their nearest existing
 * directory, so a certificate that appears later is noticed too). */
void tls_watch_set(struct tls_watch *w, const char *const *paths, size_t n);
/* Drain pending events. Returns 1 when something under a watched
 * directory changed (rebuild), 0 when nothing relevant happened, -1 when
 * the queue overflowed (rebuild to be safe). */
int tls_watch_process(struct tls_watch *w);
/* How many directories are watched (for tests and logs). */
size_t tls_watch_count(const struct tls_watch *w);

/* Internal to src/tls/: write an explanation into why (if given). */
void tls_why_set(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
