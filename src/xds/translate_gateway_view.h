/* A Gateway's DAG view patched from the last translation's
 * (translate_gateway_view.c): the clusters and endpoints its HTTP hosts'
 * routes use, counted per reference, so a changed route moves the counts
 * of its hosts only. */
#ifndef CAIRN_XDS_TRANSLATE_GATEWAY_VIEW_H
#define CAIRN_XDS_TRANSLATE_GATEWAY_VIEW_H

#include <stdbool.h>

#include "dag/dag.h"

struct gw_view_memo;

/* The clusters and endpoints of gw's view (sorted by name, unique, as a
 * DAG's) from *mp's last ones and the hosts whose routes array changed;
 * *mp is made when NULL and dropped when the view cannot be patched.
 * held: the DAG the last translation kept (its objects are alive), whose
 * addresses *mp may hold. The arrays are malloc'd. False: not patched
 * (TLS or TCP routes' clusters, clusters with upstream certificates);
 * the caller makes the view whole. */
bool gw_view_patch(struct gw_view_memo **mp, const struct dag *held,
    const struct dag *dag, const struct dag_gateway *gw, struct dag *view);

void gw_view_memo_free(struct gw_view_memo *m);

/* Whether a route of port index port of the Gateway last patched has a
 * session (translate_session_port's answer), counted per host as hosts
 * come and go: valid after gw_view_patch, whatever it returned. */
bool gw_view_session(const struct gw_view_memo *m, size_t port);

/* The name of a view member, for the sorts and searches over the arrays
 * of void pointers a view is made of. */
static inline const char *
gw_view_cluster_name(const void *p)
{
	return ((const struct dag_cluster *)p)->name;
}

static inline const char *
gw_view_endpoints_name(const void *p)
{
	return ((const struct dag_endpoints *)p)->name;
}

#endif
