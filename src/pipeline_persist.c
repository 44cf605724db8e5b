/* The pipeline's last-good copies (source/lastgood.h): the copies of
 * files whose good version is new saved, those no longer in effect
 * dropped, now or after the publish. Apart from pipeline.c: the only
 * part that writes to the state directory. */
#include "pipeline_internal.h"

#include <stdlib.h>
#include <string.h>

#include "source/lastgood.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Save the copies of files whose good version is new (their bytes are in
 * files) and drop those of files no longer in effect; then make it all
 * durable at once (lastgood_flush). Entries, files and the store's index
 * are all sorted by path: one walk beside the other two, no search (a
 * one-file change in a 10,000-file tree stays a few microseconds here). */
static bool persist_delta(struct pipeline *p, const struct source_files *files,
    size_t max_puts);

/* Save e's good version (its bytes sf) as its last good copy; a failure is
 * logged once per version and leaves the file out after a restart. */
static void
persist_one(struct pipeline *p, struct file_entry *e,
    const struct source_file *sf)
{
	char *err;

	if (lastgood_put(p->lg, e->path, sf->data, sf->len, sf->hash,
	    &err) < 0) {
		if (e->persist_failed != sf->hash)
			log_warning("%s: last good copy not saved: %s; after a "
			    "restart a broken save of it would leave it out",
			    e->path, err);
		e->persist_failed = sf->hash;
		free(err);
	} else {
		e->persist_failed = 0;
		e->persisted = true;
	}
}

bool
pipeline_persist(struct pipeline *p, const struct source_files *files,
    size_t max_puts)
{
	char **drop = NULL;
	size_t *put = NULL, ndrop = 0, dcap = 0, nput = 0, pcap = 0;
	size_t j = 0, k = 0, nidx;
	bool ro;

	if (p->lg == NULL || lastgood_is_reader(p->lg))
		return true;
	if (files->delta)
		return persist_delta(p, files, max_puts);
	ro = lastgood_is_read_only(p->lg);
	nidx = lastgood_count(p->lg);
	for (size_t i = 0; i < p->n; i++) {
		struct file_entry *e = &p->entries[i];
		const struct source_file *sf;
		bool indexed;
		size_t at;

		e->persisted = false;
		for (; k < nidx && strcmp(lastgood_path_at(p->lg, k), e->path) < 0; k++)
			if (!ro)
				ARRAY_PUSH(drop, ndrop, dcap,
				    xstrdup(lastgood_path_at(p->lg, k)));
		at = k;
		indexed = k < nidx && strcmp(lastgood_path_at(p->lg, k), e->path) == 0;
		if (indexed)
			k++;
		if (e->good == NULL)
			continue;
		if (indexed && lastgood_has_at(p->lg, at, e->good->content_hash)) {
			e->persisted = true;
			continue;
		}
		while (j < files->n && strcmp(files->files[j].path, e->path) < 0)
			j++;
		if (e->restored || j >= files->n)
			continue;
		sf = &files->files[j];
		if (strcmp(sf->path, e->path) == 0 && sf->hash == e->good->content_hash)
			ARRAY_PUSH(put, nput, pcap, i);
	}
	for (; k < nidx && !ro; k++)
		ARRAY_PUSH(drop, ndrop, dcap, xstrdup(lastgood_path_at(p->lg, k)));
	if (nput > max_puts) {
		for (size_t d = 0; d < ndrop; d++)
			free(drop[d]);
		free(drop);
		free(put);
		return false;
	}
	for (size_t d = 0; d < ndrop; d++) {
		log_info("%s: gone from the source; its last good copy is dropped",
		    drop[d]);
		lastgood_drop(p->lg, drop[d]);
		free(drop[d]);
	}
	free(drop);
	j = 0;
	for (size_t q = 0; q < nput; q++) {
		struct file_entry *e = &p->entries[put[q]];
		const struct source_file *sf;

		while (strcmp(files->files[j].path, e->path) != 0)
			j++;
		sf = &files->files[j];
		persist_one(p, e, sf);
	}
	if (lastgood_flush(p->lg) > 0)
		for (size_t q = 0; q < nput; q++) {
			struct file_entry *e = &p->entries[put[q]];

			e->persisted = lastgood_has(p->lg, e->path,
			    e->good->content_hash);
		}
	free(put);
	return true;
}

/* pipeline_persist after a delta build: only the entries the build
 * touched and the paths it deleted are looked at; every other entry's
 * copy is what the last build left. */
static bool
persist_delta(struct pipeline *p, const struct source_files *files,
    size_t max_puts)
{
	struct file_entry **put = NULL;
	size_t nput = 0, pcap = 0;
	bool ro = lastgood_is_read_only(p->lg);

	for (size_t t = 0; t < p->ntouched; t++) {
		struct file_entry *e = pipeline_entry_find(p, p->touched[t]);
		const struct source_file *sf;

		if (e == NULL)
			continue;
		e->persisted = false;
		if (e->good == NULL)
			continue;
		if (lastgood_has(p->lg, e->path, e->good->content_hash)) {
			e->persisted = true;
			continue;
		}
		sf = e->restored ? NULL : pipeline_files_find(files, e->path);
		if (sf != NULL && sf->hash == e->good->content_hash)
			ARRAY_PUSH(put, nput, pcap, e);
	}
	if (nput > max_puts) {
		free(put);
		return false;
	}
	for (size_t g = 0; g < p->ngone && !ro; g++)
		if (lastgood_has_path(p->lg, p->gone[g])) {
			log_info("%s: gone from the source; its last good copy is "
			    "dropped", p->gone[g]);
			lastgood_drop(p->lg, p->gone[g]);
		}
	for (size_t q = 0; q < nput; q++) {
		struct file_entry *e = put[q];
		const struct source_file *sf = pipeline_files_find(files, e->path);

		persist_one(p, e, sf);
	}
	if (lastgood_flush(p->lg) > 0)
		for (size_t q = 0; q < nput; q++)
			put[q]->persisted = lastgood_has(p->lg, put[q]->path,
			    put[q]->good->content_hash);
	free(put);
	return true;
}

bool
pipeline_file_bytes_needed(void *pv, const struct source_file *f)
{
	struct pipeline *p = pv;
	struct file_entry *e;

	if (p->lg == NULL || lastgood_is_read_only(p->lg))
		return false;
	e = pipeline_entry_find(p, f->path);
	return e != NULL && e->good != NULL && !e->restored && !e->persisted &&
	    e->good->content_hash == f->hash;
}

void
pipeline_defer_persist(struct pipeline *p, bool later)
{
	p->persist_later = later;
}

void
pipeline_persist_pending(struct pipeline *p, const struct source_files *files,
    struct build_result *r)
{
	if (!p->persist_pending)
		return;
	p->persist_pending = false;
	pipeline_persist(p, files, SIZE_MAX);
	/* The result's statuses are the entries', in the same order. */
	for (size_t i = 0; i < p->n; i++) {
		const struct file_entry *e = &p->entries[i];

		/* As the build's walk has it: no version in effect, no
		 * copy of it. */
		if (r != NULL && i < r->nfiles)
			r->files[i].persisted = e->good != NULL && e->persisted;
		/* The kept table too: later results' tables come from it. */
		if (p->kept_valid && e->good != NULL)
			p->ftable[i].persisted = e->persisted;
	}
	/* Without the last build's result, its table now differs from the
	 * kept one at rows no build will patch: the next ones copy it. (A
	 * delta's copies change only the rows it touched, which the other
	 * table is patched at next.) */
	if (r == NULL || r->files_table == NULL ||
	    r->files_table->build != p->builds) {
		p->lag_valid = false;
		for (size_t k = 0; k < 2; k++)
			if (p->tables[k] != NULL)
				p->tables[k]->build = 0;
	}
}
