/* A change the daemon recorded: the two snapshots and the statuses that
 * may have changed, and the plan made from them when a page first asks
 * (the admin thread), then kept. */
#include "diff/diff.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"
#include "xds/snapshot.h"

struct diff_change {
	atomic_uint refs;
	pthread_mutex_t mu;
	/* Until the plan is made (then released). */
	struct snapshot *a, *b;
	struct diff_objects from, to;
	json_t *plan;
};

struct diff_change *
diff_change_new(struct snapshot *a, struct snapshot *b,
    struct diff_objects *from, struct diff_objects *to)
{
	struct diff_change *c = xcalloc(1, sizeof *c);

	atomic_init(&c->refs, 1);
	pthread_mutex_init(&c->mu, NULL);
	c->a = snapshot_ref(a);
	c->b = snapshot_ref(b);
	c->from = *from;
	c->to = *to;
	memset(from, 0, sizeof *from);
	memset(to, 0, sizeof *to);
	return c;
}

struct diff_change *
diff_change_from_plan(json_t *plan)
{
	struct diff_change *c = xcalloc(1, sizeof *c);

	atomic_init(&c->refs, 1);
	pthread_mutex_init(&c->mu, NULL);
	c->plan = json_incref(plan);
	return c;
}

struct diff_change *
diff_change_ref(struct diff_change *c)
{
	if (c != NULL)
		atomic_fetch_add(&c->refs, 1);
	return c;
}

static void
change_drop_inputs(struct diff_change *c)
{
	snapshot_unref(c->a);
	snapshot_unref(c->b);
	c->a = c->b = NULL;
	diff_objects_free(&c->from);
	diff_objects_free(&c->to);
}

void
diff_change_unref(struct diff_change *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	change_drop_inputs(c);
	json_decref(c->plan);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

json_t *
diff_change_plan(struct diff_change *c)
{
	json_t *plan;

	pthread_mutex_lock(&c->mu);
	if (c->plan == NULL) {
		/* Statuses outside from and to are the same on both sides:
		 * comparing these finds every status change. */
		struct diff_side sa = { c->a, &c->from, c->a->revision };
		struct diff_side sb = { c->b, &c->to, c->b->revision };

		json_t *gw;

		c->plan = diff_compute(&sa, &sb);
		/* Gateway nodes' own snapshots, as `cairn diff` shows them. */
		gw = diff_gateway_plans(c->a, c->b, c->a->revision, c->b->revision);
		if (gw != NULL)
			json_object_set_new(c->plan, "gateways", gw);
		change_drop_inputs(c);
	}
	plan = c->plan;
	pthread_mutex_unlock(&c->mu);
	return plan;
}
