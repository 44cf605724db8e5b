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
