/* Last good versions that survive a restart (SPEC §4 "Last good per
 * file"): each source file's last good bytes (directory mode)
 * and the last good commit id (git mode), kept under the state directory
 * in $state/lastgood/HASH/ (HASH: of the source), one file per file.
 *
 * Every copy is written atomically (a temporary file, fsync, rename, fsync
 * of the directory) and carries its path, size, xxh64 and a SHA-256 of
 * header and content: a truncated, bit-flipped or foreign copy is refused
 * by lastgood_get, deleted and reported, never served.
 *
 * Ownership: a struct lastgood is owned by whoever opened it (serve's watch
 * thread, or a one-shot dump, read-only); it is not thread-safe. Strings
 * and buffers returned through out parameters belong to the caller. The
 * format is in docs/reliability.md ("Last good across restarts"). */
#ifndef CAIRN_SOURCE_LASTGOOD_H
#define CAIRN_SOURCE_LASTGOOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* All copies of one source together stay under this many bytes; a file
 * whose copy would cross it is not persisted (and its older copy is
 * dropped, never left stale). */
#define LASTGOOD_DEFAULT_MAX_BYTES ((size_t)64 << 20)
/* The key of the commit copy (git mode); no source path starts with '@'. */
#define LASTGOOD_COMMIT_KEY "@commit"

struct lastgood;

struct lastgood_options {
	const char *state_dir; /* resolved (lastgood_state_directory) */
	const char *source_key; /* what the copies belong to (see below) */
	bool read_only; /* dump: read, never create, write or delete */
	size_t max_bytes; /* 0 = LASTGOOD_DEFAULT_MAX_BYTES */
};

/* The state directory: configured (cairn.yaml state-directory or a flag),
 * else $CAIRN_STATE_DIRECTORY, else the first of systemd's
 * $STATE_DIRECTORY, else /var/lib/cairn. *from says which, for messages.
 * Caller frees. */
char *lastgood_state_directory(const char *configured, const char **from);

/* The key of a source: "directory <realpath>" or "git <repository or
 * remote> <branch> <path>". Caller frees. */
char *lastgood_source_key_dir(const char *directory);
char *lastgood_source_key_git(const char *repository, const char *remote,
    const char *branch, const char *path);

/* Open (serve: create) the copies of source_key. Reads every copy's
 * header into an index; in write mode removes leftover temporary files,
 * headers that do not parse (reported through *warnings, one line each,
 * caller frees) and the copies of other sources. Returns -1 with *err
 * (caller frees) when the directory cannot be used at all; a state
 * directory that exists but is read-only opens read-only, with a
 * warning. */
int lastgood_open(struct lastgood **out, const struct lastgood_options *o,
    char **warnings, char **err);
void lastgood_close(struct lastgood *lg);
bool lastgood_is_read_only(const struct lastgood *lg);
/* Opened with read_only (dump): it only reads, and nobody tries to write. */
bool lastgood_is_reader(const struct lastgood *lg);
const char *lastgood_directory(const struct lastgood *lg); /* borrowed */

/* The copy of path: 1 = found and intact (*data, NUL-terminated, and *len
 * are the caller's), 0 = none, -1 = corrupt: refused, deleted (write mode)
 * and the reason in *err (caller frees). */
int lastgood_get(struct lastgood *lg, const char *path, char **data,
    size_t *len, char **err);
/* A copy of path is on disk (whatever its content). */
bool lastgood_has_path(const struct lastgood *lg, const char *path);
/* A copy of path with content hash `hash` is on disk. */
bool lastgood_has(const struct lastgood *lg, const char *path, uint64_t hash);
/* Persist data as path's copy (hash = hash_bytes(data, len)). Written to a
 * temporary file now, renamed into place by lastgood_flush. Returns -1
 * with *err when it cannot (read-only, over the bound, write error): the
 * old copy of path is then dropped, as it is no longer the last good. */
int lastgood_put(struct lastgood *lg, const char *path, const char *data,
    size_t len, uint64_t hash, char **err);
/* Delete path's copy (the file is gone from the source). */
void lastgood_drop(struct lastgood *lg, const char *path);
/* Make the puts durable and visible: fsync the temporary files, rename
 * them over the copies, fsync the directory. Returns the number of puts
 * that failed here (their reasons logged). */
size_t lastgood_flush(struct lastgood *lg);

/* The index, sorted by path, for pruning. */
size_t lastgood_count(const struct lastgood *lg);
const char *lastgood_path_at(const struct lastgood *lg, size_t i);
size_t lastgood_total_bytes(const struct lastgood *lg);
/* The copy at index position i holds content hash (lastgood_has without
 * the search, for a walk beside another sorted list). */
bool lastgood_has_at(const struct lastgood *lg, size_t i, uint64_t hash);

/* The file format, pure functions for tests and fuzzers. encode returns a
 * malloc'd buffer of *outlen bytes. decode checks everything and returns 0
 * with *path (malloc'd), and *data and *len pointing into buf, or -1 with a
 * static reason in *why. */
char *lastgood_encode(const char *path, const char *data, size_t len,
    size_t *outlen);
int lastgood_decode(const char *buf, size_t n, char **path,
    const char **data, size_t *len, const char **why);

#endif
