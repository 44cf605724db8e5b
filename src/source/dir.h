/* The directory source (SPEC.md §4 "Directory"): every *.yaml / *.yml
 * below a root, read in sorted path order, and an inotify fd that tells
 * the caller when a rescan is due. The caller owns the event loop and the
 * debounce timer (source/debounce.h); this module owns the watches. */
#ifndef CAIRN_SOURCE_DIR_H
#define CAIRN_SOURCE_DIR_H

#include <stdbool.h>
#include <stddef.h>

#include "source/source.h"
#include "util/diag.h"

#define SOURCE_DIR_DEFAULT_MAX_FILE_BYTES SOURCE_DEFAULT_MAX_FILE_BYTES

struct source_dir;

struct source_dir_options {
	size_t max_file_bytes; /* 0 = 4 MiB */
};

/* opts may be NULL. Returns -1 if root is unusable (not a readable
 * directory, or no inotify instance), with the reason added to diags. */
int source_dir_open(const char *root, const struct source_dir_options *opts,
    struct source_dir **out, struct diag_list *diags);
/* The inotify fd (non-blocking, close-on-exec) for the caller's epoll;
 * borrowed, valid until source_dir_close. */
int source_dir_fd(const struct source_dir *sd);
/* Drains pending inotify events. Returns 1 if anything relevant changed
 * (a rescan is needed), 0 if only irrelevant events arrived (editor swap
 * files, hidden files, non-YAML regular files), -1 on a read error.
 * An inotify queue overflow returns 1; after an overflow or a read error
 * the next scan rebuilds every watch and re-checks every file. */
int source_dir_process_events(struct source_dir *sd);
/* Reads the whole tree into *out, which is overwritten (not freed) and
 * then owned by the caller: release it with source_files_free even when
 * -1 is returned. Files are sorted by path (byte-wise), out->revision is
 * 16 hex digits over the (path, content hash) list. Problems with single
 * files (unreadable, too large, symlink loops) become diagnostics in
 * out->diags and leave that file out; -1 only when the root itself cannot
 * be read. Drains pending events first. Unchanged files are served from a
 * cache keyed by (dev, ino, size, mtime, ctime); after events, directories
 * no event touched are not even listed again (see dir.c), while a scan no
 * event asked for (startup, SIGHUP) re-checks every file. Re-establishes
 * the watches on every directory seen and drops stale ones. */
int source_dir_scan(struct source_dir *sd, struct source_files *out);
void source_dir_close(struct source_dir *sd);
/* The delta form of struct source_files (source.h), off by default: once
 * on, a scan that inotify events asked for hands out only the files added
 * or changed since the previous scan and the paths removed, with
 * delta = true; the first scan, a scan after an overflow or a read error,
 * and a scan no event asked for (SIGHUP) still hand out the whole tree. */
void source_dir_set_delta(struct source_dir *sd, bool on);

#endif
