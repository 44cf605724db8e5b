/* A cold build's groups on several threads. Each group's DAG is a pure
 * function of its own objects (parts.c says why the groups are
 * independent), so groups may be built in any order on any thread and
 * the walk in dag_build_units_owned assembles them in its own order: the
 * result is the same bytes. What groups share stays on the calling
 * thread, in the walk's order: the Gateway route memo (gateway_memo.c,
 * written by groups holding Gateway API objects) and the TLS group's
 * certificate material. */
#include "dag/parts_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "load/objects.h"
#include "util/xalloc.h"

void
dag_cache_set_threads(struct dag_cache *c, size_t threads)
{
	c->threads = threads;
}

void
parts_job_add(struct parts_job *j, size_t at, const size_t *members,
    size_t n, const uint64_t *ids, size_t nids, uint64_t h, bool tls,
    uint64_t context)
{
	*j = (struct parts_job){ .at = at, .n = n, .nids = nids, .h = h,
		.tls = tls, .context = context };
	j->members = xmemdup(members, (n ? n : 1) * sizeof *members);
	j->ids = xmemdup(ids, (nids ? nids : 1) * sizeof *ids);
}

void
parts_job_clear(struct parts_job *j)
{
	free(j->members);
	free(j->ids);
	memset(j, 0, sizeof *j);
}

/* Must the group be built on the calling thread? */
static bool
job_shares(const struct dag_unit *units, const struct parts_job *j)
{
	if (j->tls)
		return true;
	for (size_t i = 0; i < j->n; i++) {
		const struct dag_unit *u = &units[j->members[i]];

		for (size_t k = 0; k < u->nobjs; k++)
			if (u->objs[k]->kind >= OBJ_GATEWAYCLASS)
				return true;
	}
	return false;
}

struct jobs_pool {
	struct dag_cache *c;
	const struct dag_unit *units;
	const struct parts_job *jobs;
	const size_t *order; /* jobs the pool takes */
	size_t n;
	atomic_size_t next;
	const struct dag_options *opts;
	const struct fqdn_ledger *owners;
	struct dag **parts;
};

/* Groups a thread takes at a time: the shared counter and the cache
 * lines of parts[] move between CPUs once per batch, not per group. */
#define POOL_BATCH 8

static void
pool_run(struct jobs_pool *p)
{
	struct object **objs = NULL;
	uint64_t *objs_units = NULL;
	size_t objs_cap = 0, objs_units_cap = 0;

	for (;;) {
		size_t k = atomic_fetch_add_explicit(&p->next, POOL_BATCH,
		    memory_order_relaxed);
		size_t end;

		if (k >= p->n)
			break;
		end = p->n - k < POOL_BATCH ? p->n : k + POOL_BATCH;
		for (; k < end; k++) {
			const struct parts_job *j = &p->jobs[p->order[k]];

			p->parts[j->at] = parts_group_build(p->c, p->units,
			    j->members, j->n, p->opts, p->owners, &objs,
			    &objs_cap, &objs_units, &objs_units_cap, false,
			    j->context);
		}
	}
	free(objs);
	free(objs_units);
}

static void *
pool_worker(void *arg)
{
	pool_run(arg);
	return NULL;
}

size_t
parts_jobs_build(struct dag_cache *c, const struct dag_unit *units,
    struct parts_job *jobs, size_t njobs, const struct dag_options *opts,
    const struct fqdn_ledger *owners, struct dag **parts)
{
	size_t *order = xreallocarray(NULL, njobs + 1, sizeof *order);
	size_t *shared = xreallocarray(NULL, njobs + 1, sizeof *shared);
	size_t norder = 0, nshared = 0, started = 0, want;
	pthread_t tids[8];
	struct object **objs = NULL;
	size_t objs_cap = 0;
	struct jobs_pool pool = { .c = c, .units = units, .jobs = jobs,
		.order = order, .opts = opts, .owners = owners, .parts = parts };

	for (size_t k = 0; k < njobs; k++) {
		if (job_shares(units, &jobs[k]))
			shared[nshared++] = k;
		else
			order[norder++] = k;
	}
	if (norder < PARTS_PARALLEL_MIN) {
		/* Not worth a thread: everything here, in the walk's order. */
		nshared = 0;
		for (size_t k = 0; k < njobs; k++)
			shared[nshared++] = k;
		norder = 0;
	}
	pool.n = norder;
	atomic_init(&pool.next, 0);
	want = c->threads > 8 ? 8 : c->threads;
	for (size_t t = 1; norder > 0 && t < want; t++)
		if (pthread_create(&tids[started], NULL, pool_worker, &pool) == 0)
			started++;
	/* The shared groups first, in order, then a hand in the pool (which
	 * also builds everything when no thread started). */
	for (size_t i = 0; i < nshared; i++) {
		const struct parts_job *j = &jobs[shared[i]];

		parts[j->at] = parts_group_build(c, units, j->members, j->n, opts,
		    owners, &objs, &objs_cap, &c->objs_units, &c->objs_units_cap,
		    j->tls, j->context);
	}
	pool_run(&pool);
	for (size_t t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	free(objs);
	free(order);
	free(shared);
	return started > 0 ? norder : 0;
}
