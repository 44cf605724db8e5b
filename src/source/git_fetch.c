/* The git source, remote mode: a private bare mirror under the state
 * directory is fetched (every branch, pruned; see FETCH_REFSPEC) by a
 * worker thread, so a slow remote never stalls the watch thread; the
 * thread reports through an eventfd. A timerfd paces fetches
 * (fetch-interval, or an exponential backoff after failures). */
#include "source/git_internal.h"

#include <errno.h>
#include <git2.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/lastgood.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static void
job_release(struct fetch_job *job)
{
	if (atomic_fetch_sub(&job->refs, 1) != 1)
		return;
	if (job->efd >= 0)
		close(job->efd);
	free(job->mirror);
	free(job->url);
	free(job->refname);
	free(job->ssh_key);
	free(job->token_file);
	free(job->error);
	free(job);
}

static char *
read_token(const char *path)
{
	FILE *fp = fopen(path, "re");
	char buf[4096];
	size_t len;

	if (fp == NULL)
		return NULL;
	len = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	return len ? xstrdup(buf) : NULL;
}

/* ssh: the key file from the config (or CAIRN_GIT_SSH_KEY), else
 * ssh-agent. https: the token file's contents as the password. */
static int
fetch_credentials(git_credential **out, const char *url,
    const char *user_from_url, unsigned int allowed, void *payload)
{
	struct fetch_job *job = payload;
	const char *user = user_from_url && user_from_url[0] ?
	    user_from_url : "git";

	(void)url;
	if (atomic_load(&job->cancel) ||
	    ++job->credential_attempts > MAX_CREDENTIAL_ATTEMPTS) {
		git_error_set_str(GIT_ERROR_NET, "authentication failed "
		    "(credentials rejected)");
		return GIT_EUSER;
	}
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		if (job->ssh_key)
			return git_credential_ssh_key_new(out, user, NULL,
			    job->ssh_key, NULL);
		return git_credential_ssh_key_from_agent(out, user);
	}
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && job->token_file) {
		char *token = read_token(job->token_file);
		int rc;

		if (token == NULL) {
			char msg[512];

			snprintf(msg, sizeof msg, "cannot read the token file %s",
			    job->token_file);
			git_error_set_str(GIT_ERROR_NET, msg);
			return GIT_EUSER;
		}
		rc = git_credential_userpass_plaintext_new(out,
		    user_from_url && user_from_url[0] ? user_from_url :
		    "x-access-token", token);
		memset(token, 0, strlen(token));
		free(token);
		return rc;
	}
	return GIT_PASSTHROUGH;
}

static int
fetch_progress(const git_indexer_progress *stats, void *payload)
{
	struct fetch_job *job = payload;

	(void)stats;
	return atomic_load(&job->cancel) ? -1 : 0;
}

static int
fetch_sideband(const char *str, int len, void *payload)
{
	struct fetch_job *job = payload;

	(void)str;
	(void)len;
	return atomic_load(&job->cancel) ? -1 : 0;
}

static void
fetch_run(struct fetch_job *job)
{
	char *refspec = FETCH_REFSPEC;
	git_strarray refspecs = { &refspec, 1 };
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	git_remote_create_options ro = GIT_REMOTE_CREATE_OPTIONS_INIT;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_oid before, after;
	bool had_before, has_after;

	job->rc = -1;
	/* Anonymous, and without url.*.insteadOf: the mirror's config is
	 * ours and has none, and libgit2 1.5 leaks a regex match block for
	 * every config entry that lookup visits (fixed in libgit2 1.6). */
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
	    GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_repository_open_bare(&repo, job->mirror) < 0) {
		job->error = xstrdup(git_errmsg());
		goto done;
	}
	ro.repository = repo;
	if (git_remote_create_with_opts(&remote, job->url, &ro) < 0) {
		job->error = xstrdup(git_errmsg());
		goto done;
	}
	had_before = git_reference_name_to_id(&before, repo, job->refname) == 0;
	fo.callbacks.credentials = fetch_credentials;
	fo.callbacks.transfer_progress = fetch_progress;
	fo.callbacks.sideband_progress = fetch_sideband;
	fo.callbacks.payload = job;
	fo.prune = GIT_FETCH_PRUNE; /* a branch deleted upstream goes */
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if (git_remote_fetch(remote, &refspecs, &fo, "cairn: fetch") < 0) {
		job->error = xstrdup(atomic_load(&job->cancel) ? "cancelled" :
		    git_errmsg());
		goto done;
	}
	has_after = git_reference_name_to_id(&after, repo, job->refname) == 0;
	job->gone = !has_after;
	job->moved = had_before != has_after ||
	    (has_after && !git_oid_equal(&before, &after));
	job->rc = 0;
done:
	git_remote_free(remote);
	git_repository_free(repo);
}

static void *
fetch_thread(void *arg)
{
	struct fetch_job *job = arg;
	uint64_t one = 1;

	git_libgit2_init();
	fetch_run(job);
	git_libgit2_shutdown();
	if (write(job->efd, &one, sizeof one) < 0)
		log_error("git fetch: eventfd: %s", strerror(errno));
	job_release(job);
	return NULL;
}

void
source_git_timer_arm(struct source_git *sg, int64_t ms)
{
	loop_timer_arm(sg->fetch_timer, ms < 1 ? 1 : ms);
}

int
source_git_fetch_start(struct source_git *sg)
{
	struct fetch_job *job = xcalloc(1, sizeof *job);
	sigset_t all, old;
	int rc;

	atomic_init(&job->refs, 2); /* ours and the thread's */
	atomic_init(&job->cancel, false);
	job->efd = dup(sg->done_efd);
	job->mirror = xstrdup(sg->repo_path);
	job->url = xstrdup(sg->remote);
	job->refname = xstrdup(sg->refname);
	job->ssh_key = sg->ssh_key ? xstrdup(sg->ssh_key) : NULL;
	job->token_file = sg->token_file ? xstrdup(sg->token_file) : NULL;
	if (job->efd < 0) {
		log_error("git fetch: dup: %s", strerror(errno));
		job->refs = 1;
		job_release(job);
		return -1;
	}
	/* Signals belong to the thread with the signalfd, even when the
	 * caller has not blocked them yet (source_open runs early). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&job->thread, NULL, fetch_thread, job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("git fetch: cannot start a thread: %s", strerror(rc));
		job->refs = 1;
		job_release(job);
		return -1;
	}
	sg->job = job;
	sg->stats.fetches++;
	return 0;
}

int64_t
source_git_backoff_ms(const struct source_git *sg)
{
	int64_t cap = sg->fetch_interval_ms > SOURCE_GIT_MAX_BACKOFF_MS ?
	    sg->fetch_interval_ms : SOURCE_GIT_MAX_BACKOFF_MS;
	int64_t ms = sg->fetch_interval_ms;

	for (unsigned i = 1; i < sg->failures && ms < cap; i++)
		ms *= 2;
	return ms < cap ? ms : cap;
}

static const char *
serving(const struct source_git *sg, char buf[GIT_OID_HEXSZ + 1])
{
	if (!sg->have_last)
		return "nothing yet";
	git_oid_tostr(buf, GIT_OID_HEXSZ + 1, &sg->last_oid);
	return buf;
}

/* Collects a finished fetch. Returns 1 if the branch moved. */
int
source_git_fetch_finish(struct source_git *sg)
{
	struct fetch_job *job = sg->job;
	char hex[GIT_OID_HEXSZ + 1];
	int moved;

	pthread_join(job->thread, NULL);
	sg->job = NULL;
	if (job->rc == 0) {
		if (sg->failures)
			log_info("git fetch from %s works again", sg->remote_display);
		sg->failures = 0;
		free(sg->last_fetch_error);
		sg->last_fetch_error = NULL;
		source_git_timer_arm(sg, sg->fetch_interval_ms);
		if (job->moved && job->gone)
			log_warning("git fetch from %s: the remote has no branch "
			    "%s (any more)", sg->remote_display, sg->branch);
		else if (job->moved)
			log_info("git fetch from %s: branch %s moved",
			    sg->remote_display, sg->branch);
	} else {
		int64_t next;

		sg->failures++;
		sg->stats.fetch_failures++;
		next = source_git_backoff_ms(sg);
		log_warning("git fetch from %s failed (%u in a row): %s; still "
		    "serving %s; next attempt in %lld ms", sg->remote_display,
		    sg->failures, job->error, serving(sg, hex), (long long)next);
		free(sg->last_fetch_error);
		sg->last_fetch_error = xstrdup(job->error);
		source_git_timer_arm(sg, next);
	}
	moved = job->rc == 0 && job->moved;
	job_release(job);
	return moved;
}

/* The state directory, and in *from where that choice came from (for
 * messages that say what to change). */
static char *
state_directory(const struct source_git_options *o, const char **from)
{
	return lastgood_state_directory(o->state_dir, from);
}

/* The URL without user information, which may hold a password. */
char *
source_git_url_display(const char *url)
{
	const char *scheme = strstr(url, "://"), *host, *at;

	if (scheme == NULL)
		return xstrdup(url);
	host = scheme + 3;
	at = strchr(host, '@');
	if (at == NULL || strchr(host, '/') < at)
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(host - url), url, at + 1);
}

/* A mirror that cannot be created or written is an error at start, with
 * the path and what to do: otherwise every fetch would fail for a reason
 * the operator cannot see from the message (and an existing mirror on a
 * read-only file system would serve an old commit forever). */
static int
mirror_refuse(struct source_git *sg, struct diag_list *diags, const char *what,
    const char *path, const char *why, const char *state, const char *from)
{
	diag_add(diags, DIAG_ERROR, "", 0, 0, "git mirror of %s: cannot %s %s: "
	    "%s; the mirror lives in the state directory %s (%s), which must "
	    "be a directory cairn can write (mode 0700, owned by the cairn "
	    "user, on a writable file system with free space)",
	    sg->remote_display, what, path, why, state, from);
	return -1;
}

/* Creates the mirror if needed; sets sg->repo_path. */
int
source_git_mirror_prepare(struct source_git *sg, const struct source_git_options *o,
    struct diag_list *diags)
{
	const char *from;
	char *state = state_directory(o, &from), *dir, hex[17];
	git_repository *repo;
	struct stat st;
	int rc = -1;

	hash_hex(hash_bytes(sg->remote, strlen(sg->remote)), hex);
	dir = xasprintf("%s/git", state);
	sg->repo_path = xasprintf("%s/%s.git", dir, hex);
	if (fs_mkdir_p(dir, 0700) < 0) {
		mirror_refuse(sg, diags, "create", dir, strerror(errno), state, from);
		goto out;
	}
	if (stat(sg->repo_path, &st) == 0) {
		/* Fetches write objects, refs and their lock files here. */
		if (access(sg->repo_path, R_OK | W_OK | X_OK) < 0 ||
		    access(dir, W_OK | X_OK) < 0)
			mirror_refuse(sg, diags, "write", sg->repo_path,
			    strerror(errno), state, from);
		else
			rc = 0;
		goto out;
	}
	if (git_repository_init(&repo, sg->repo_path, 1) < 0) {
		mirror_refuse(sg, diags, "create", sg->repo_path, git_errmsg(),
		    state, from);
		goto out;
	}
	git_repository_free(repo);
	log_info("git: created the mirror of %s in %s", sg->remote_display,
	    sg->repo_path);
	rc = 0;
out:
	free(dir);
	free(state);
	return rc;
}

/* The first fetch, waited for (bounded) so that a fresh mirror has the
 * branch before the first scan. */
void
source_git_fetch_initial(struct source_git *sg)
{
	struct pollfd pfd = { .fd = sg->done_efd, .events = POLLIN };
	int64_t deadline = monotonic_ms() + OPEN_FETCH_WAIT_MS;

	if (source_git_fetch_start(sg) < 0) {
		source_git_timer_arm(sg, source_git_backoff_ms(sg));
		return;
	}
	for (;;) {
		int64_t left = deadline - monotonic_ms();
		int n;

		if (left <= 0) {
			log_warning("git fetch from %s: no answer after %d s; "
			    "going on with what the mirror has",
			    sg->remote_display, OPEN_FETCH_WAIT_MS / 1000);
			return; /* process_events collects it later */
		}
		n = poll(&pfd, 1, (int)left);
		if (n > 0 && efd_take(sg->done_efd)) {
			source_git_fetch_finish(sg);
			return;
		}
		if (n < 0 && errno != EINTR)
			return;
	}
}

void
source_git_fetch_abandon(struct source_git *sg)
{
	struct fetch_job *job = sg->job;
	struct pollfd pfd = { .fd = sg->done_efd, .events = POLLIN };

	atomic_store(&job->cancel, true);
	if (poll(&pfd, 1, CLOSE_FETCH_WAIT_MS) > 0) {
		pthread_join(job->thread, NULL);
	} else {
		/* Stuck in the network: the thread frees the job itself. */
		log_warning("git fetch from %s still running; abandoned",
		    sg->remote_display);
		pthread_detach(job->thread);
	}
	sg->job = NULL;
	job_release(job);
}
