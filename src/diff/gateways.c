/* The plans of the Gateways' snapshots (SPEC.md §5a): nodes naming a
 * Gateway get its snapshot, not the default one, so `cairn diff`, the
 * pre-receive plan and the daemon's /debug/diff show each Gateway that
 * changes after the default plan. */
#include "diff/diff.h"

#include <string.h>

#include "util/strbuf.h"
#include "xds/snapshot.h"

/* What a node naming gateway gets from snap: its Gateway's snapshot, or
 * nothing (an empty snapshot the caller unrefs). */
static struct snapshot *
gateway_snapshot(struct snapshot *snap, const char *gateway)
{
	struct snapshot *g = snapshot_select(snap, gateway);

	return g != NULL && g != snap ? snapshot_ref(g) :
	    snapshot_builder_finish(snapshot_builder_new(snap->revision));
}

json_t *
diff_gateway_plans(struct snapshot *a, struct snapshot *b,
    const char *from_revision, const char *to_revision)
{
	json_t *out = json_object();
	size_t i = 0, j = 0;

	while (i < a->ngateways || j < b->ngateways) {
		int c = i == a->ngateways ? 1 : j == b->ngateways ? -1 :
		    strcmp(a->gateways[i].name, b->gateways[j].name);
		const char *name = c <= 0 ? a->gateways[i].name :
		    b->gateways[j].name;
		struct snapshot *ga = gateway_snapshot(a, name);
		struct snapshot *gb = gateway_snapshot(b, name);
		struct diff_side da = { ga, NULL, from_revision };
		struct diff_side db = { gb, NULL, to_revision };
		json_t *plan = diff_compute(&da, &db);

		if (!diff_plan_empty(plan))
			json_object_set(out, name, plan);
		json_decref(plan);
		snapshot_unref(ga);
		snapshot_unref(gb);
		i += c <= 0;
		j += c >= 0;
	}
	if (json_object_size(out) == 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

void
diff_gateway_plans_text(const json_t *plans, bool color, struct strbuf *out)
{
	const char *name;
	json_t *plan;

	json_object_foreach((json_t *)plans, name, plan) {
		struct strbuf sb = STRBUF_INIT;
		const char *line;

		diff_render_text(plan, color, &sb);
		if (out->len > 0)
			strbuf_putc(out, '\n');
		strbuf_printf(out, "Gateway %s (nodes with cairn.io/gateway: %s)\n",
		    name, name);
		line = sb.buf ? sb.buf : "";
		while (*line != '\0') {
			const char *nl = strchr(line, '\n');
			size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);

			if (len > 1)
				strbuf_puts(out, "  ");
			strbuf_add(out, line, len);
			line += len;
		}
		strbuf_free(&sb);
	}
}
