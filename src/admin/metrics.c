/* /metrics in the Prometheus text exposition format (0.0.4), written by
 * hand: one HELP and TYPE per family, label values escaped. */
#include <inttypes.h>
#include <string.h>

#include "admin/internal.h"
#include "autoconf.h"
#include "util/strbuf.h"
#include "xds/snapshot.h"

static const double histogram_bounds[ADMIN_HISTOGRAM_NBOUNDS] = ADMIN_HISTOGRAM_BOUNDS;

/* The order operators know the types by. */
static const enum xds_type metric_types[] = {
	XDS_LISTENER, XDS_ROUTE, XDS_CLUSTER, XDS_ENDPOINT, XDS_SECRET,
};

void
admin_prom_escape(struct strbuf *out, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '\\':
			strbuf_puts(out, "\\\\");
			break;
		case '"':
			strbuf_puts(out, "\\\"");
			break;
		case '\n':
			strbuf_puts(out, "\\n");
			break;
		default:
			strbuf_putc(out, *s);
		}
	}
}

static void
family(struct strbuf *out, const char *name, const char *type, const char *help)
{
	strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value"} for one label; value is escaped. */
static void
sample_label(struct strbuf *out, const char *name, const char *label,
    const char *value)
{
	strbuf_printf(out, "%s{%s=\"", name, label);
	admin_prom_escape(out, value);
	strbuf_puts(out, "\"}");
}

static void
counter_by_type(struct strbuf *out, const char *name, const char *help,
    const uint64_t *values)
{
	family(out, name, "counter", help);
	for (size_t i = 0; i < sizeof metric_types / sizeof metric_types[0]; i++) {
		enum xds_type t = metric_types[i];

		sample_label(out, name, "type", xds_type_short(t));
		strbuf_printf(out, " %" PRIu64 "\n", values[t]);
	}
}

static void
render_histogram(struct strbuf *out, const struct admin_histogram *h)
{
	const char *name = "cairn_rebuild_duration_seconds";
	uint64_t cumulative = 0;

	family(out, name, "histogram",
	    "Time to load, build and translate the source, per rebuild.");
	for (int i = 0; i <= ADMIN_HISTOGRAM_NBOUNDS; i++) {
		cumulative += h->counts[i];
		if (i < ADMIN_HISTOGRAM_NBOUNDS)
			strbuf_printf(out, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
			    histogram_bounds[i], cumulative);
		else
			strbuf_printf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name,
			    cumulative);
	}
	strbuf_printf(out, "%s_sum %.9g\n%s_count %" PRIu64 "\n", name, h->sum,
	    name, h->count);
}

static void
render_objects(struct strbuf *out, const struct admin_view *v)
{
	static const char *const statuses[] = { "valid", "invalid", "orphaned" };

	family(out, "cairn_objects", "gauge",
	    "Objects of the last build by kind and status.");
	for (size_t i = 0; v != NULL && i < v->nkinds; i++) {
		const struct admin_kind_count *k = &v->kinds[i];
		const uint64_t counts[] = { k->valid, k->invalid, k->orphaned };

		for (size_t j = 0; j < 3; j++) {
			strbuf_puts(out, "cairn_objects{kind=\"");
			admin_prom_escape(out, k->kind);
			strbuf_printf(out, "\",status=\"%s\"} %" PRIu64 "\n", statuses[j],
			    counts[j]);
		}
	}
}

/* From the objects' "not_after" (report.c): when each Secret's
 * certificate expires, so an alert can fire on
 * cairn_certificate_expiry_seconds - time() < 14 * 86400. */
static void
render_certificate_expiry(struct strbuf *out, const struct admin_view *v)
{
	family(out, "cairn_certificate_expiry_seconds", "gauge",
	    "When the certificate of each Secret expires (Unix time).");
	for (size_t i = 0; v != NULL && i < v->ncerts; i++) {
		strbuf_puts(out, "cairn_certificate_expiry_seconds{namespace=\"");
		admin_prom_escape(out, v->certs[i].namespace);
		strbuf_puts(out, "\",name=\"");
		admin_prom_escape(out, v->certs[i].name);
		strbuf_printf(out, "\"} %" PRId64 "\n", v->certs[i].not_after);
	}
}

/* A git remote: a failing fetch rebuilds nothing, so it needs series of
 * its own for an alert (cairn_git_fetch_consecutive_failures > 0 for
 * long). */
static void
render_fetch(struct strbuf *out, const struct admin_fetch_info *f)
{
	family(out, "cairn_git_fetches_total", "counter",
	    "Fetches of the git remote started.");
	strbuf_printf(out, "cairn_git_fetches_total %" PRIu64 "\n", f->fetches);
	family(out, "cairn_git_fetch_failures_total", "counter",
	    "Fetches of the git remote that failed (the last good commit keeps serving).");
	strbuf_printf(out, "cairn_git_fetch_failures_total %" PRIu64 "\n", f->failures);
	family(out, "cairn_git_fetch_consecutive_failures", "gauge",
	    "Fetches failed in a row; 0 once one works.");
	strbuf_printf(out, "cairn_git_fetch_consecutive_failures %u\n",
	    f->consecutive_failures);
}

void
admin_metrics_render(const struct admin_state *st, struct strbuf *out)
{
	const struct admin_view *v = st->view;
	static const struct admin_histogram empty;
	const struct ads_stats *a = &st->ads; /* zeros without ADS */

	family(out, "cairn_build_info", "gauge", "Always 1; the version of cairn.");
	sample_label(out, "cairn_build_info", "version", PACKAGE_VERSION);
	strbuf_puts(out, " 1\n");

	family(out, "cairn_up", "gauge",
	    "1 once the first snapshot is built (the same as /readyz).");
	strbuf_printf(out, "cairn_up %d\n", st->ready ? 1 : 0);

	family(out, "cairn_rebuilds_total", "counter",
	    "Rebuilds of the source since the start.");
	strbuf_printf(out, "cairn_rebuilds_total %" PRIu64 "\n", v ? v->rebuilds : 0);

	render_histogram(out, v ? &v->histogram : &empty);

	family(out, "cairn_last_rebuild_timestamp_seconds", "gauge",
	    "When the last rebuild finished (Unix time).");
	if (v != NULL)
		strbuf_printf(out, "cairn_last_rebuild_timestamp_seconds %.3f\n",
		    v->finished_unix);

	family(out, "cairn_source_info", "gauge",
	    "Always 1; the source revision (git commit or content hash) and branch serving now.");
	if (v != NULL) {
		strbuf_puts(out, "cairn_source_info{revision=\"");
		admin_prom_escape(out, v->revision);
		strbuf_puts(out, "\",branch=\"");
		admin_prom_escape(out, v->branch);
		strbuf_puts(out, "\"} 1\n");
	}

	render_objects(out, v);

	family(out, "cairn_file_errors", "gauge",
	    "Source files that do not parse (their last good version may still serve).");
	strbuf_printf(out, "cairn_file_errors %" PRIu64 "\n", v ? v->file_errors : 0);

	family(out, "cairn_streams", "gauge", "Open ADS streams by protocol.");
	strbuf_printf(out, "cairn_streams{protocol=\"sotw\"} %zu\n", a->streams_sotw);
	strbuf_printf(out, "cairn_streams{protocol=\"delta\"} %zu\n", a->streams_delta);

	counter_by_type(out, "cairn_xds_responses_total",
	    "xDS responses sent, by resource type.", a->responses);
	counter_by_type(out, "cairn_xds_acks_total",
	    "xDS responses acknowledged (ACK), by resource type.",
	    a->acks);
	counter_by_type(out, "cairn_xds_nacks_total",
	    "xDS responses rejected (NACK), by resource type.",
	    a->nacks);

	family(out, "cairn_xds_bytes_sent_total", "counter",
	    "Bytes of xDS responses sent (serialized messages).");
	strbuf_printf(out, "cairn_xds_bytes_sent_total %" PRIu64 "\n", a->bytes_sent);
	family(out, "cairn_xds_warming_timeouts_total", "counter",
	    "New clusters whose endpoints were not sent within xds.warming-timeout "
	    "while a Listener/RouteConfiguration update waited for them (it went anyway).");
	strbuf_printf(out, "cairn_xds_warming_timeouts_total %" PRIu64 "\n",
	    a->warming_timeouts);
	family(out, "cairn_xds_warming_held_streams", "gauge",
	    "ADS streams whose Listener/RouteConfiguration update waits for a new "
	    "cluster's endpoints (warming gate) now.");
	strbuf_printf(out, "cairn_xds_warming_held_streams %zu\n", a->warming_held);
	render_certificate_expiry(out, v);
	if (st->have_fetch)
		render_fetch(out, &st->fetch);

	/* Rendered lazily: these count only requests that needed
	 * a new build's report or DAG, never rebuilds. */
	family(out, "cairn_admin_renders_total", "counter",
	    "Renderings of a build's report (/status, /) and DAG (/debug/dag).");
	strbuf_printf(out, "cairn_admin_renders_total{what=\"status\"} %" PRIu64 "\n",
	    st->renders_status);
	strbuf_printf(out, "cairn_admin_renders_total{what=\"dag\"} %" PRIu64 "\n",
	    st->renders_dot);
}
