/* Named resources taken from the last translation as runs (memo.h,
 * memo_named_run_*): a Gateway's proxyless targets, two per host and
 * kind, are found at the cursor of their sequence by id and their items
 * copied from the last snapshot as blocks, as memo_emit_run does for
 * the objects of a DAG array. A target is known by an id its host's
 * routes array gives it (translate_gateway_proxyless.c), which a kept
 * host keeps: nothing of the host, the target's name or its blob is
 * read. */
#include "xds/memo_internal.h"

#include <stdint.h>
#include <string.h>

#include "util/xalloc.h"

/* How far an item may have moved in the last snapshot from where the
 * builder put it: the resources of another loop sorted before it (a
 * Gateway port's Listener and RouteConfigurations). */
#define NAMED_SHIFT_MAX 64

/* The length from which a run is lent, once its next entry starts a
 * chunk of its sequence (so that the next flush may move that chunk
 * whole): the entries checked are still in the cache when the items of
 * the chunks not moved whole are copied. */
#define NAMED_RUN_MAX 256

/* The smallest chunk a flush moves whole (named_chunk_movable): the
 * smaller ones are copied, so that changes do not leave a trail of
 * ever smaller chunks. */
#define NAMED_CHUNK_MIN (SEQ_CHUNK_CAP / 4)

void
memo_named_run_init(struct memo_named_run *r, enum memo_kind k,
    enum xds_type type, bool named_only)
{
	memset(r, 0, sizeof *r);
	r->k = k;
	r->type = type;
	r->named_only = named_only;
}

/* Where the last snapshot has the item of the sequence entry e, looked
 * for where the builder put it, then as far on as the last run found
 * it, then a few places on; SIZE_MAX when not there. */
static size_t
named_item(const struct xds_resource_set *ps, const struct seq_chunk *ch,
    const struct seq_entry *e, struct memo_named_run *r)
{
	const uint8_t *bytes = e->blob->bytes;
	size_t at = seq_entry_at(ch, e);

	if (at == SIZE_MAX)
		return SIZE_MAX;
	/* A set not sorted at finish has each item where it was put. */
	if (ps->as_put)
		return at < ps->n ? at : SIZE_MAX;
	if (at + r->shift < ps->n &&
	    xds_set_at_hint(ps, at + r->shift, &r->hint)->bytes == bytes)
		return at + r->shift;
	for (size_t d = 0; d <= NAMED_SHIFT_MAX && at + d < ps->n; d++)
		if (xds_set_at_hint(ps, at + d, &r->hint)->bytes == bytes) {
			r->shift = d;
			return at + d;
		}
	return SIZE_MAX;
}

/* Whether item i of the last snapshot's set ps is e's (of chunk ch):
 * when ps was not sorted at finish (as_put), e's item is where e says
 * the builder put it, and nothing of ps is read (as take_run trusts);
 * else the item's bytes are compared with e's blob's (which follow its
 * header: the blob is not read), read through r->hint, a chunk of ps:
 * a run's items are consecutive, so most reads find their chunk without
 * a search. */
static bool
named_item_is(const struct xds_resource_set *ps, const struct seq_chunk *ch,
    const struct seq_entry *e, struct memo_named_run *r, size_t i)
{
	if (i >= ps->n)
		return false;
	if (ps->as_put)
		return seq_entry_at(ch, e) == i;
	return xds_set_at_hint(ps, i, &r->hint)->bytes == e->blob->bytes;
}

/* Whether the entries at r's end are ids[0 .. nids), each with its item
 * the next one in the last snapshot; r->from and r->shift: where the
 * run starts there (set when the run is empty). */
static bool
named_check(struct translation *t, struct memo_named_run *r,
    const void *const *ids, size_t nids)
{
	struct translate_cache *c = t->cache;
	const struct xds_resource_set *ps;
	struct seq *q;
	size_t pos;

	if (c == NULL || c->verify || c->last == NULL ||
	    c->last->arena_endpoints || nids == 0)
		return false;
	q = &c->seqs[r->k];
	ps = &c->last->types[r->type];
	pos = t->seq_pos[r->k] + r->n;
	if (pos + nids > q->n)
		return false;
	for (size_t i = 0; i < nids; i++) {
		struct seq_chunk *ch;
		const struct seq_entry *e = seq_at(q, pos + i, &ch);
		size_t n = r->n + i;

		if (ids[i] == NULL || e->id != ids[i] || e->blob == NULL)
			return false;
		if (n == 0) {
			if ((r->from = named_item(ps, ch, e, r)) == SIZE_MAX)
				return false;
		} else if (!named_item_is(ps, ch, e, r, r->from + n)) {
			return false;
		}
	}
	return true;
}

/* Whether r's next entry (after those it took) starts a chunk of its
 * sequence, or is past its end. */
static bool
named_at_chunk_start(struct translation *t, const struct memo_named_run *r)
{
	struct seq *q = &t->cache->seqs[r->k];
	size_t pos = t->seq_pos[r->k] + r->n;

	if (pos >= q->n)
		return true;
	seq_at(q, pos, NULL);
	return q->start[q->hint] == pos;
}

bool
memo_named_runs_add(struct translation *t, struct memo_named_run *runs,
    size_t nruns, const void *const *ids, size_t nids)
{
	struct memo_named_run checked[MEMO_NAMED_RUNS_MAX];

	if (nruns > MEMO_NAMED_RUNS_MAX)
		return false;
	/* Each run checked once, on a copy: the runs are left as they were
	 * unless every one of them takes the ids. */
	for (size_t i = 0; i < nruns; i++) {
		checked[i] = runs[i];
		if (!named_check(t, &checked[i], ids, nids))
			return false;
	}
	for (size_t i = 0; i < nruns; i++) {
		runs[i] = checked[i];
		runs[i].n += nids;
		if (runs[i].n >= NAMED_RUN_MAX && named_at_chunk_start(t, &runs[i]))
			memo_named_run_flush(t, &runs[i]);
	}
	return true;
}

/* The run's entries one by one, when the builder refuses the block: each
 * blob added with a reference of the snapshot's, as memo_emit_named_seq
 * does for a target found in order. */
static void
named_one_by_one(struct translation *t, struct memo_named_run *r)
{
	struct seq *q = &t->cache->seqs[r->k];
	size_t pos = t->seq_pos[r->k];

	for (size_t j = 0; j < r->n; j++) {
		struct seq_entry *e = seq_at(q, pos + j, NULL);
		struct xds_blob *b = e->blob;
		size_t at = snapshot_builder_count(t->out, r->type);

		e->blob = NULL;
		t->proxyless_no_cluster |= e->flag;
		snapshot_builder_add_blob(t->out, r->type, b, r->named_only);
		translation_seq_put(t, r->k, e->id, e->key, b, e->flag, true);
		translation_seq_set_at(t, r->k, b, at);
		t->cache->seq_hits++;
	}
	q->done = pos + r->n;
	t->seq_pos[r->k] = pos + r->n;
	r->n = 0;
}

/* A chunk of q at the start of a run's rest of n entries, that the run
 * hands on whole: one a flush made (whole, contig, no DAG block), inside
 * the run, and not so small that moving it would keep fragments (those
 * are copied, with their neighbours, into chunks of their own). */
static bool
named_chunk_movable(const struct seq *q, size_t ci, size_t pos, size_t n)
{
	const struct seq_chunk *ch = q->c[ci];

	return q->start[ci] == pos && ch->n <= n && ch->whole && ch->contig &&
	    ch->src == NULL && ch->n >= NAMED_CHUNK_MIN;
}

/* The chunk named_hand_on is copying into (nq's last) done, and let go
 * of the room it did not fill: the run went on in a chunk moved whole. */
static void
named_open_done(struct seq *nq, struct seq_chunk *open)
{
	if (open->n < open->cap) {
		open->cap = open->n;
		nq->c[nq->nc - 1] = xrealloc(open, sizeof *open +
		    open->n * sizeof open->v[0]);
	}
	seq_chunk_done(nq);
}

/* The run's n entries at q's pos handed on to nq with their references
 * (the cursor never comes back to them), the first one's item at put in
 * the snapshot being built: the chunks a flush made last time moved by
 * pointer and placed by their delta (neither read nor written), the
 * other entries copied into chunks of their own, which the next flush
 * may move. Their chunks name no DAG block: take_chunk never takes them.
 * Returns whether some entry has its flag. */
static bool
named_hand_on(struct translate_cache *c, struct seq *q, struct seq *nq,
    size_t pos, size_t n, size_t put)
{
	struct seq_chunk *open = NULL, *ch;
	bool flag = false;

	for (size_t j = 0; j < n; j++) {
		struct seq_entry *e = seq_at(q, pos + j, &ch);

		if (named_chunk_movable(q, q->hint, pos + j, n - j)) {
			if (open != NULL)
				named_open_done(nq, open);
			open = NULL;
			ch->delta = (int64_t)(put + j) - (int64_t)ch->v[0].at;
			flag |= ch->flag;
			c->chunk_hits += ch->n;
			c->chunks++;
			j += ch->n - 1;
			seq_chunk_move(nq, q, q->hint);
			continue;
		}
		if (open != NULL && open->n == open->cap) {
			seq_chunk_done(nq);
			open = NULL;
		}
		if (open == NULL) {
			open = seq_chunk_new(nq, n - j < SEQ_CHUNK_CAP ? n - j :
			    SEQ_CHUNK_CAP);
			open->contig = true;
		}
		/* Consecutive in the run, so in the snapshot: contig. */
		open->v[open->n] = *e;
		open->v[open->n].at = (uint32_t)(put + j);
		open->flag |= e->flag;
		flag |= e->flag;
		open->n++;
	}
	if (open != NULL)
		named_open_done(nq, open);
	return flag;
}

void
memo_named_run_flush(struct translation *t, struct memo_named_run *r)
{
	struct translate_cache *c = t->cache;
	struct seq *q, *nq;
	size_t pos, put;
	bool flag;

	if (r->n == 0)
		return;
	q = &c->seqs[r->k];
	nq = &c->next_seqs[r->k];
	pos = t->seq_pos[r->k];
	if (snapshot_builder_count(t->out, r->type) + r->n >= SEQ_NOWHERE ||
	    (put = snapshot_builder_lend_run(t->out, r->type, c->last, r->from,
	    r->n, r->named_only, c->keep)) == SIZE_MAX) {
		named_one_by_one(t, r);
		return;
	}
	flag = named_hand_on(c, q, nq, pos, r->n, put);
	q->done = pos + r->n;
	t->seq_pos[r->k] = pos + r->n;
	c->seq_hits += r->n;
	c->run_hits += r->n;
	c->runs++;
	/* Making them had a side effect: so has reusing them. */
	t->proxyless_no_cluster |= flag;
	r->from += r->n;
	r->n = 0;
}
