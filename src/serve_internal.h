/* What the pieces of `cairn serve` share: the daemon's state (struct
 * serve) and the functions one piece calls in another. cmd_serve.c: flags,
 * start, stop and the event loop's handlers; serve_rebuild.c: one rebuild
 * and SIGHUP's reload; serve_publish.c: what a build hands the log, systemd
 * and the admin endpoint, and the change it records; serve_state.c: the
 * state directory (FQDN ledger, last good copies). Not for use outside
 * these files. */
#ifndef CAIRN_SERVE_INTERNAL_H
#define CAIRN_SERVE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "admin/admin.h"
#include "ads/ads.h"
#include "cmd.h"
#include "diff/diff.h"
#include "report_log.h"
#include "source/debounce.h"
#include "source/lastgood.h"
#include "source/source.h"
#include "tls/tls.h"
#include "util/loop.h"

struct serve {
	struct cairn_config cfg;
	struct cmd_flags flags;
	struct translate_options to;
	struct source *source;
	struct pipeline *pipeline;
	/* Directory mode: the FQDN ledger's file (SPEC §6a); NULL in git
	 * mode, where history orders the claims. */
	char *owners_path;
	bool owners_save_failed; /* warned already */
	struct ads_server *ads;
	struct admin_server *admin;
	struct debounce debounce;
	struct loop *loop; /* every fd and timer below */
	struct loop_timer *debounce_timer;
	struct loop_timer *watchdog; /* at half of WATCHDOG_USEC, or NULL */
	int sigfd;
	int refreshfd; /* eventfd: the admin thread asks for POST /refresh */
	struct snapshot *current; /* last published */
	char *serving_subject; /* git: subject of the commit in effect */
	struct report_log problems; /* reported by the last build */
	unsigned long rebuilds;
	bool stopping;
	struct tls_watch *tlswatch; /* files of file-backed Secrets, or NULL */
	/* The last build, kept so that the admin endpoint renders its report
	 * and DAG only when a page asks (issue #8), not on every rebuild. A
	 * result owns what it points to (pipeline.h): build_mu guards only
	 * the pointer and its id, swapped when a build is done; a render
	 * takes a reference and renders without the lock, so builds and
	 * renders never wait for each other. render_rw (taken before
	 * build_mu): a render holds it as a reader, since the DAG points
	 * into the config; a reload drops the kept build and replaces the
	 * config as the writer. */
	pthread_mutex_t build_mu;
	struct serve_build *build; /* NULL = none yet */
	uint64_t build_id; /* of the build kept; 0 = none yet */
	pthread_rwlock_t render_rw;
	/* The objects' statuses of the build in effect, per DAG part, to tell
	 * what the next change does to them (issue #19, admin /debug/diff). */
	struct diff_statuses *statuses;
	struct admin_fetch_info fetch_seen; /* git remote: last shown */
	bool have_fetch_seen;
	/* Last good copies in the state directory (issue #15), or NULL when
	 * there is none: per file (directory) or the commit (git). */
	struct lastgood *lastgood;
	bool git_fallback_tried; /* the persisted commit, once per start */
	/* The initial build saves its many copies after READY (the files of
	 * that build kept until then). */
	bool defer_persist;
	struct source_files pending_files;
};

/* serve's source hands pipeline_build the delta form of source_files
 * (only changed files and removed paths after a change the source could
 * follow), so a rebuild costs what changed; one-shot commands read whole
 * revisions. */
#define SERVE_SOURCE_DELTA true

/* A kept build, shared by the watch thread and renders. */
struct serve_build {
	atomic_uint refs;
	struct build_result r;
};

/* cmd_serve.c */
int64_t serve_now_ms(void);
void serve_on_source(void *arg);

/* serve_rebuild.c */
void serve_rebuild(struct serve *s, const char *why);
void serve_reload(struct serve *s);

/* serve_publish.c */
void serve_log_changes(struct serve *s, const struct build_result *r);
void serve_notify_status(struct serve *s, const struct build_result *r);
void serve_keep_build(struct serve *s, struct serve_build *b);
void serve_drop_build(struct serve *s);
json_t *serve_render_status(void *arg, uint64_t build_id);
char *serve_render_dot(void *arg, uint64_t build_id);
void serve_publish_admin(struct serve *s, const struct build_result *r, double seconds);
void serve_publish_fetch(struct serve *s);
void serve_record_change(struct serve *s, const struct build_result *r);

/* serve_state.c */
void serve_owners_attach(struct serve *s);
void serve_owners_save(struct serve *s, const struct build_result *r);
void serve_open_lastgood(struct serve *s);
void serve_save_commit(struct serve *s, const char *commit);
bool serve_git_fallback(struct serve *s, struct build_result *r,
    const char *tip, char **subject);
void serve_release_bytes(struct serve *s, struct source_files *files);
void serve_persist_deferred(struct serve *s);

#endif
