/* The ADS grpc server: binding, the completion-queue thread, accepting
 * calls by method name, publishing snapshots to streams, shutdown.
 *
 * Methods are not registered: every call arrives through
 * grpc_server_request_call() and is dispatched on details.method, so an
 * unknown method gets a proper UNIMPLEMENTED from us. */
#include "ads/stream.h"
#include "ads/transport_security.h"
#include "ads/trim.h"
#include "ads/warming.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/log.h>

#include "util/log.h"
#include "util/xalloc.h"

#define ADS_METHOD_PREFIX "/envoy.service.discovery.v3.AggregatedDiscoveryService/"
#define ADS_METHOD_SOTW ADS_METHOD_PREFIX "StreamAggregatedResources"
#define ADS_METHOD_DELTA ADS_METHOD_PREFIX "DeltaAggregatedResources"
/* Calls requested from grpc ahead of time, so a burst of reconnecting
 * Envoys does not wait for one queue round trip each. */
#define ADS_ACCEPTS 8

struct ads_accept {
	struct ads_tag tag;
	struct ads_server *server;
	grpc_call *call;
	grpc_call_details details;
	grpc_metadata_array metadata;
};

/* grpc core logs through gpr_log; route it to ours. */
static void
grpc_log_to_cairn(gpr_log_func_args *args)
{
	if (args->severity == GPR_LOG_SEVERITY_ERROR)
		log_warning("grpc: %s (%s:%d)", args->message, args->file, args->line);
	else
		log_debug("grpc: %s (%s:%d)", args->message, args->file, args->line);
}

static void
grpc_log_setup(void)
{
	gpr_set_log_function(grpc_log_to_cairn);
	gpr_set_log_verbosity(log_get_level() >= LOG_LEVEL_DEBUG ?
	    GPR_LOG_SEVERITY_INFO : GPR_LOG_SEVERITY_ERROR);
}

static bool
set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* TLS (or mTLS) credentials from the PEM files of opts, or plaintext
 * where nobody else can listen in (or with --insecure-xds). */
static grpc_server_credentials *
server_credentials(const struct ads_options *opts, bool local,
    struct ads_transport **tls_out, char **errmsg)
{
	*tls_out = NULL;
	if (set(opts->tls_certificate) || set(opts->tls_key) || set(opts->tls_client_ca)) {
		struct ads_transport_files f = { opts->tls_certificate, opts->tls_key,
			opts->tls_client_ca };
		grpc_server_credentials *creds = ads_transport_credentials(&f,
		    tls_out, errmsg);

		if (creds != NULL)
			log_info("ads: serving xDS over %s on %s", set(f.client_ca) ?
			    "mTLS (client certificates required)" : "TLS", opts->address);
		return creds;
	}
	if (!local && !opts->insecure_xds) {
		*errmsg = xasprintf("refusing to serve xDS in plaintext on %s: it is "
		    "neither a loopback address nor a unix socket, and TLS is not "
		    "configured; listen on 127.0.0.1, ::1 or unix:/path, configure "
		    "xds.tls, or pass --insecure-xds to accept plaintext on this "
		    "address", opts->address);
		return NULL;
	}
	if (!local)
		log_warning("ads: serving xDS in plaintext on %s (--insecure-xds): "
		    "anyone who can reach it can read every route, cluster and "
		    "secret", opts->address);
	return grpc_insecure_server_credentials_create();
}

bool
ads_server_tune_process(void)
{
	if (getenv("GRPC_EXPERIMENTS") != NULL)
		return false;
	return setenv("GRPC_EXPERIMENTS", ADS_GRPC_EXPERIMENTS, 0) == 0;
}

static void
request_call(struct ads_server *s, struct ads_accept *a)
{
	grpc_call_error err;

	a->call = NULL;
	grpc_call_details_init(&a->details);
	grpc_metadata_array_init(&a->metadata);
	err = grpc_server_request_call(s->server, &a->call, &a->details,
	    &a->metadata, s->cq, s->cq, &a->tag);
	if (err != GRPC_CALL_OK) {
		log_error("ads: cannot accept calls: %s", grpc_call_error_to_string(err));
		grpc_call_details_destroy(&a->details);
		grpc_metadata_array_destroy(&a->metadata);
		s->accepts_pending--;
		free(a);
	}
}

static char *
call_peer(grpc_call *call)
{
	char *p = grpc_call_get_peer(call);
	char *copy = xstrdup(p ? p : "?");

	gpr_free(p);
	return copy;
}

/* Registers a stream for call, or refuses the call when the server is
 * stopping or full. */
static void
open_stream(struct ads_server *s, grpc_call *call, enum ads_stream_kind kind)
{
	struct ads_stream *st = NULL;
	size_t open;
	bool stopping;

	pthread_mutex_lock(&s->mu);
	stopping = s->stopping;
	open = s->nstreams[ADS_STREAM_SOTW] + s->nstreams[ADS_STREAM_DELTA];
	if (!stopping && open < s->max_streams) {
		st = ads_stream_new(s, call, call_peer(call), kind, ++s->next_stream_id);
		if (s->snap != NULL)
			st->snap = snapshot_ref(s->snap);
		st->generation = s->generation;
		st->next = s->streams;
		if (s->streams != NULL)
			s->streams->prev = st;
		s->streams = st;
		s->nstreams[kind]++;
	}
	pthread_mutex_unlock(&s->mu);

	if (stopping) {
		ads_call_reject(call, GRPC_STATUS_UNAVAILABLE, "cairn is shutting down");
	} else if (st == NULL) {
		char *msg = xasprintf("too many xDS streams (the limit is %zu)",
		    s->max_streams);

		log_warning("ads: refusing a stream: %s", msg);
		ads_call_reject(call, GRPC_STATUS_RESOURCE_EXHAUSTED, msg);
		free(msg);
	} else {
		ads_stream_start(st);
		ads_stream_unref(st);
	}
}

void
ads_server_stream_closed(struct ads_server *s, struct ads_stream *st)
{
	pthread_mutex_lock(&s->mu);
	if (st->prev != NULL)
		st->prev->next = st->next;
	else if (s->streams == st)
		s->streams = st->next;
	if (st->next != NULL)
		st->next->prev = st->prev;
	st->prev = st->next = NULL;
	s->nstreams[st->kind]--;
	pthread_mutex_unlock(&s->mu);
}

static void
on_accept(struct ads_accept *a, bool success)
{
	struct ads_server *s = a->server;
	grpc_call *call = a->call;
	bool again;

	if (success && call != NULL) {
		if (grpc_slice_str_cmp(a->details.method, ADS_METHOD_SOTW) == 0) {
			open_stream(s, call, ADS_STREAM_SOTW);
		} else if (grpc_slice_str_cmp(a->details.method, ADS_METHOD_DELTA) == 0) {
			open_stream(s, call, ADS_STREAM_DELTA);
		} else {
			char *method = grpc_slice_to_c_string(a->details.method);
			char *msg = xasprintf("unknown method %s: cairn serves "
			    "envoy.service.discovery.v3.AggregatedDiscoveryService",
			    method);

			log_debug("ads: %s", msg);
			ads_call_reject(call, GRPC_STATUS_UNIMPLEMENTED, msg);
			free(msg);
			gpr_free(method);
		}
	}
	grpc_call_details_destroy(&a->details);
	grpc_metadata_array_destroy(&a->metadata);

	/* A failed accept means the server is shutting down. */
	pthread_mutex_lock(&s->mu);
	again = success && !s->stopping;
	if (again)
		request_call(s, a);
	else
		s->accepts_pending--;
	pthread_mutex_unlock(&s->mu);
	if (!again)
		free(a);
}

/* Gives the free pages of every arena back (src/ads/trim.h says when).
 * The shared bodies go first on a burst's trim: every stream has been
 * sent them by then. */
static void
ads_trim_heap(struct ads_server *s, enum ads_trim_kind kind)
{
	int64_t t0 = ads_clock_monotonic_ms();
	size_t bodies = 0;

	if (kind == ADS_TRIM_BURST)
		bodies = ads_body_cache_release(&s->bodies);
	malloc_trim(0);
	if (kind == ADS_TRIM_BURST)
		log_debug("ads: free heap pages given back after a burst of sends, "
		    "%zu bytes of shared bodies let go (%lld ms)", bodies,
		    (long long)(ads_clock_monotonic_ms() - t0));
	else
		log_debug("ads: free heap pages given back after the burst's "
		    "replies (%lld ms)",
		    (long long)(ads_clock_monotonic_ms() - t0));
}

static void *
cq_thread(void *arg)
{
	struct ads_server *s = arg;
	struct ads_trim trim = { 0 };

	for (;;) {
		uint64_t sent = atomic_load_explicit(&s->bytes_sent,
		    memory_order_relaxed);
		int wait_ms = ads_trim_wait_ms(&trim, sent);
		grpc_event ev = grpc_completion_queue_next(s->cq, wait_ms >= 0 ?
		    gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
		    gpr_time_from_millis(wait_ms, GPR_TIMESPAN)) :
		    gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
		struct ads_tag *tag;

		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type == GRPC_QUEUE_TIMEOUT) {
			enum ads_trim_kind kind = ads_trim_timeout(&trim, sent);

			if (kind != ADS_TRIM_NONE)
				ads_trim_heap(s, kind);
			continue;
		}
		ads_trim_event(&trim);
		if (ev.type != GRPC_OP_COMPLETE)
			continue;
		tag = ev.tag;
		switch (tag->kind) {
		case ADS_TAG_ACCEPT:
			on_accept(tag->owner, ev.success != 0);
			break;
		case ADS_TAG_REJECT:
			ads_reject_handle_event(tag);
			break;
		case ADS_TAG_SHUTDOWN:
			pthread_mutex_lock(&s->mu);
			s->shutdown_done = true;
			pthread_cond_broadcast(&s->cond);
			pthread_mutex_unlock(&s->mu);
			break;
		default:
			ads_stream_handle_event(tag, ev.success != 0);
			break;
		}
	}
	return NULL;
}

/* Drains and destroys a queue no thread is polling. */
static void
cq_destroy_unpolled(grpc_completion_queue *cq)
{
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC),
	    NULL).type != GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(cq);
}

static int start_publisher(struct ads_server *s, char **errmsg);
static void stop_publisher(struct ads_server *s);

int
ads_server_start(const struct ads_options *opts, struct ads_server **out,
    char **errmsg)
{
	grpc_server_credentials *creds;
	struct ads_transport *tls;
	struct ads_server *s;
	size_t max_recv;
	pthread_condattr_t attr;
	bool local;
	int err;

	*out = NULL;
	if (ads_address_check(opts->address, &local, errmsg) < 0)
		return -1;
	grpc_log_setup();
	grpc_init();
	if ((creds = server_credentials(opts, local, &tls, errmsg)) == NULL) {
		grpc_shutdown();
		return -1;
	}

	s = xcalloc(1, sizeof *s);
	s->tls = tls;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &attr);
	/* Monotonic too: it also waits for warming deadlines. */
	pthread_cond_init(&s->publish_cond, &attr);
	pthread_condattr_destroy(&attr);
	s->warming_timeout_ms = opts->warming_timeout_ms > 0 ?
	    opts->warming_timeout_ms : 0;
	ads_body_cache_init(&s->bodies);
	if (start_publisher(s, errmsg) < 0) {
		grpc_server_credentials_release(creds);
		goto fail;
	}
	s->shutdown_tag = (struct ads_tag){ ADS_TAG_SHUTDOWN, s };
	s->max_streams = opts->max_streams ? opts->max_streams : ADS_DEFAULT_MAX_STREAMS;
	max_recv = opts->max_receive_bytes ? opts->max_receive_bytes :
	    ADS_DEFAULT_MAX_RECEIVE_BYTES;
	if (max_recv > INT_MAX)
		max_recv = INT_MAX;

	{
		grpc_arg args[] = {
			{ .type = GRPC_ARG_INTEGER,
			  .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
			  .value.integer = (int)max_recv },
			/* grpc sets SO_REUSEPORT by default: a second cairn
			 * on the same port must fail, not share it. */
			{ .type = GRPC_ARG_INTEGER,
			  .key = GRPC_ARG_ALLOW_REUSEPORT,
			  .value.integer = 0 },
			/* An Envoy that vanished without closing (power
			 * loss, a dropped route) is found by our own pings
			 * within KEEPALIVE_TIME + TIMEOUT instead of grpc's
			 * default two hours, and its stream freed. */
			{ .type = GRPC_ARG_INTEGER,
			  .key = GRPC_ARG_KEEPALIVE_TIME_MS,
			  .value.integer = opts->keepalive_time_ms > 0 ?
			      opts->keepalive_time_ms : ADS_KEEPALIVE_TIME_MS },
			{ .type = GRPC_ARG_INTEGER,
			  .key = GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
			  .value.integer = opts->keepalive_timeout_ms > 0 ?
			      opts->keepalive_timeout_ms : ADS_KEEPALIVE_TIMEOUT_MS },
			{ .type = GRPC_ARG_INTEGER,
			  .key = GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS,
			  .value.integer = 1 },
			{ .type = GRPC_ARG_INTEGER,
			  .key = GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA,
			  .value.integer = 0 },
			/* An idle ADS stream carries no data for hours, and
			 * `cairn bootstrap` has Envoy ping every 30 s: grpc's
			 * default (at most one ping per 5 min without data)
			 * would answer that with GOAWAY "too_many_pings". */
			{ .type = GRPC_ARG_INTEGER,
			  .key = GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
			  .value.integer = ADS_MIN_CLIENT_PING_INTERVAL_MS },
			/* What an idle connection keeps of its read buffer
			 * (ads_server_tune_process()). */
			{ .type = GRPC_ARG_INTEGER,
			  .key = GRPC_ARG_TCP_MAX_READ_CHUNK_SIZE,
			  .value.integer = ADS_TCP_READ_CHUNK_MAX },
		};
		grpc_channel_args chargs = { nitems(args), args };

		s->server = grpc_server_create(&chargs, NULL);
	}
	s->cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(s->server, s->cq, NULL);
	if ((err = pthread_create(&s->thread, NULL, cq_thread, s)) != 0) {
		*errmsg = xasprintf("cannot start the ADS thread: %s", strerror(err));
		grpc_server_credentials_release(creds);
		grpc_server_destroy(s->server);
		cq_destroy_unpolled(s->cq);
		goto fail;
	}
	pthread_setname_np(s->thread, "cairn-ads");

	s->port = grpc_server_add_http2_port(s->server, opts->address, creds);
	grpc_server_credentials_release(creds);
	if (s->port == 0) {
		*errmsg = xasprintf("cannot listen for xDS on %s: the address is in "
		    "use, not local to this host, or not permitted", opts->address);
		/* Never started and nothing bound: no shutdown to wait for. */
		grpc_server_destroy(s->server);
		grpc_completion_queue_shutdown(s->cq);
		pthread_join(s->thread, NULL);
		grpc_completion_queue_destroy(s->cq);
		goto fail;
	}
	if (strncmp(opts->address, "unix:", 5) == 0)
		s->port = 0;
	grpc_server_start(s->server);

	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < ADS_ACCEPTS; i++) {
		struct ads_accept *a = xcalloc(1, sizeof *a);

		a->tag = (struct ads_tag){ ADS_TAG_ACCEPT, a };
		a->server = s;
		s->accepts_pending++;
		request_call(s, a);
	}
	pthread_mutex_unlock(&s->mu);
	if (s->port > 0)
		log_info("ads: serving xDS on %s (port %d)", opts->address, s->port);
	else
		log_info("ads: serving xDS on %s", opts->address);
	*out = s;
	return 0;

fail:
	stop_publisher(s);
	ads_body_cache_destroy(&s->bodies);
	pthread_cond_destroy(&s->publish_cond);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s);
	grpc_shutdown();
	return -1;
}

int
ads_server_port(const struct ads_server *s)
{
	return s->port;
}

/* The open streams, each with a reference, for work outside s->mu.
 * Called with s->mu held. */
static struct ads_stream **
collect_streams(struct ads_server *s, size_t *n_out)
{
	size_t n = s->nstreams[ADS_STREAM_SOTW] + s->nstreams[ADS_STREAM_DELTA];
	struct ads_stream **list = xcalloc(n ? n : 1, sizeof *list);
	size_t i = 0;

	for (struct ads_stream *st = s->streams; st != NULL && i < n; st = st->next)
		list[i++] = ads_stream_ref(st);
	*n_out = i;
	return list;
}

void
ads_server_publish(struct ads_server *s, struct snapshot *snap)
{
	struct snapshot *old;

	pthread_mutex_lock(&s->mu);
	old = s->snap;
	s->snap = snapshot_ref(snap);
	s->generation++;
	pthread_cond_signal(&s->publish_cond);
	pthread_mutex_unlock(&s->mu);
	snapshot_unref(old);
	/* The old bodies are of no use to streams that move to snap (a body
	 * that did not change gets encoded once more). */
	ads_body_cache_clear(&s->bodies);
	/* Likewise the shared SotW plans, which pin older snapshots. */
	sotw_plan_cache_clear();
}

/* The earliest warming deadline of the open streams (0: none holds an
 * update back). Called with s->mu held. */
static int64_t
earliest_hold(struct ads_server *s)
{
	int64_t min = 0;

	for (struct ads_stream *st = s->streams; st != NULL; st = st->next) {
		int64_t until = atomic_load_explicit(&st->held_until,
		    memory_order_acquire);

		if (until != 0 && (min == 0 || until < min))
			min = until;
	}
	return min;
}

/* The streams whose warming deadline passed, each with a reference.
 * Called with s->mu held. */
static struct ads_stream **
collect_due(struct ads_server *s, int64_t now, size_t *n_out)
{
	struct ads_stream **list = NULL;
	size_t n = 0, cap = 0;

	for (struct ads_stream *st = s->streams; st != NULL; st = st->next) {
		int64_t until = atomic_load_explicit(&st->held_until,
		    memory_order_acquire);

		if (until != 0 && until <= now)
			ARRAY_PUSH(list, n, cap, ads_stream_ref(st));
	}
	*n_out = n;
	return list;
}

void
ads_server_hold_changed(struct ads_server *s)
{
	/* Under the mutex: the publisher computes its wake-up time under it,
	 * so it cannot miss this. */
	pthread_mutex_lock(&s->mu);
	pthread_cond_signal(&s->publish_cond);
	pthread_mutex_unlock(&s->mu);
}

/* Brings every open stream to the newest snapshot, each time there is a
 * newer one. A stream with a send in flight only records it (its send's
 * completion goes on), so one slow client does not hold up the others.
 * Between publishes it wakes the streams whose warming deadline passed
 * (an update the warming gate held goes out then). */
static void *
publisher_thread(void *arg)
{
	struct ads_server *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct ads_stream **list;
		struct snapshot *snap;
		uint64_t generation;
		int64_t wake, now;
		size_t n;

		if (s->stopping)
			break;
		if (s->published == s->generation) {
			wake = earliest_hold(s);
			now = ads_clock_monotonic_ms();
			if (wake != 0 && wake <= now) {
				list = collect_due(s, now, &n);
				pthread_mutex_unlock(&s->mu);
				for (size_t i = 0; i < n; i++) {
					ads_stream_poke(list[i]);
					ads_stream_unref(list[i]);
				}
				free(list);
				pthread_mutex_lock(&s->mu);
				continue;
			}
			if (wake == 0) {
				pthread_cond_wait(&s->publish_cond, &s->mu);
			} else {
				struct timespec until = {
					.tv_sec = (time_t)(wake / 1000),
					.tv_nsec = (long)(wake % 1000) * 1000000,
				};

				pthread_cond_timedwait(&s->publish_cond, &s->mu,
				    &until);
			}
			continue;
		}
		snap = snapshot_ref(s->snap);
		generation = s->published = s->generation;
		list = collect_streams(s, &n);
		pthread_mutex_unlock(&s->mu);

		for (size_t i = 0; i < n; i++) {
			ads_stream_update(list[i], snap, generation);
			ads_stream_unref(list[i]);
		}
		free(list);
		snapshot_unref(snap);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static int
start_publisher(struct ads_server *s, char **errmsg)
{
	int err = pthread_create(&s->publisher, NULL, publisher_thread, s);

	if (err != 0) {
		*errmsg = xasprintf("cannot start the ADS publisher thread: %s",
		    strerror(err));
		return -1;
	}
	pthread_setname_np(s->publisher, "cairn-ads-pub");
	s->publisher_started = true;
	return 0;
}

/* Sets stopping and joins the publisher: no stream is updated after. */
static void
stop_publisher(struct ads_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->publish_cond);
	pthread_mutex_unlock(&s->mu);
	if (s->publisher_started)
		pthread_join(s->publisher, NULL);
	s->publisher_started = false;
}

void
ads_server_stats(struct ads_server *s, struct ads_stats *out)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&s->mu);
	out->streams_sotw = s->nstreams[ADS_STREAM_SOTW];
	out->streams_delta = s->nstreams[ADS_STREAM_DELTA];
	for (struct ads_stream *st = s->streams; st != NULL; st = st->next)
		if (atomic_load_explicit(&st->held_until, memory_order_acquire) != 0)
			out->warming_held++;
	pthread_mutex_unlock(&s->mu);
	out->warming_timeouts = atomic_load_explicit(&s->warming_timeouts,
	    memory_order_relaxed);
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		out->responses[t] = atomic_load_explicit(&s->responses[t], memory_order_relaxed);
		out->acks[t] = atomic_load_explicit(&s->acks[t], memory_order_relaxed);
		out->nacks[t] = atomic_load_explicit(&s->nacks[t], memory_order_relaxed);
	}
	out->bytes_sent = atomic_load_explicit(&s->bytes_sent, memory_order_relaxed);
}

json_t *
ads_server_nodes_json(struct ads_server *s)
{
	struct ads_stream **list;
	json_t *out = json_array();
	size_t n;

	pthread_mutex_lock(&s->mu);
	list = collect_streams(s, &n);
	pthread_mutex_unlock(&s->mu);
	/* Oldest first: the list is newest first. */
	for (size_t i = n; i-- > 0; ) {
		json_array_append_new(out, ads_stream_status_json(list[i]));
		ads_stream_unref(list[i]);
	}
	free(list);
	return out;
}

/* Waits for the server's shutdown notification; with a deadline (ms) returns
 * false when it passed first. */
static bool
wait_shutdown(struct ads_server *s, long deadline_ms)
{
	struct timespec until;
	bool done;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += deadline_ms / 1000;
	until.tv_nsec += (deadline_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (!s->shutdown_done) {
		if (deadline_ms < 0)
			pthread_cond_wait(&s->cond, &s->mu);
		else if (pthread_cond_timedwait(&s->cond, &s->mu, &until) == ETIMEDOUT)
			break;
	}
	done = s->shutdown_done;
	pthread_mutex_unlock(&s->mu);
	return done;
}

/* Drops our grpc reference and waits until grpc's cleanup is over (its
 * executor and timer threads joined) before the caller may exit.
 * grpc_shutdown() cleans up only when its reference is the last, but every
 * connection's transport holds one too: a transport torn down after the
 * server (a client that closed just before the stop) drops the last one on
 * a grpc thread, and grpc then cleans up on a detached thread of its own
 * while this process is already exiting. Its executor threads then end
 * after OpenSSL's exit handler, which no longer frees their error queues
 * (the 904-byte leak LeakSanitizer saw in tests/protocol/tls.sh), and grpc
 * runs against the exit's static destructors. grpc counts itself
 * initialized until that cleanup is over (it holds its init lock
 * throughout), so polling grpc_is_initialized() is enough. */
static void
grpc_shutdown_and_wait(void)
{
	int64_t deadline = ads_clock_monotonic_ms() + ADS_GRPC_SHUTDOWN_WAIT_MS;
	const struct timespec step = { 0, 2 * 1000000L };

	grpc_shutdown();
	while (grpc_is_initialized()) {
		if (ads_clock_monotonic_ms() >= deadline) {
			log_warning("ads: grpc was still shutting down after %d ms",
			    ADS_GRPC_SHUTDOWN_WAIT_MS);
			return;
		}
		nanosleep(&step, NULL);
	}
}

void
ads_server_stop(struct ads_server *s)
{
	struct ads_stream **list;
	size_t n;

	if (s == NULL)
		return;
	/* Notify: every stream gets UNAVAILABLE (after its send in flight),
	 * so Envoy reconnects elsewhere at once; no new streams. */
	stop_publisher(s);
	pthread_mutex_lock(&s->mu);
	list = collect_streams(s, &n);
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < n; i++) {
		ads_stream_finish(list[i], GRPC_STATUS_UNAVAILABLE, "cairn is shutting down");
		ads_stream_unref(list[i]);
	}
	free(list);

	/* Deadline, then cancel what is left, then drain. */
	grpc_server_shutdown_and_notify(s->server, s->cq, &s->shutdown_tag);
	if (!wait_shutdown(s, ADS_SHUTDOWN_GRACE_MS)) {
		log_info("ads: cancelling the streams still open after %d ms",
		    ADS_SHUTDOWN_GRACE_MS);
		grpc_server_cancel_all_calls(s->server);
		wait_shutdown(s, -1);
	}
	grpc_completion_queue_shutdown(s->cq);
	pthread_join(s->thread, NULL);

	/* Destroy. */
	grpc_server_destroy(s->server);
	grpc_completion_queue_destroy(s->cq);
	if (s->streams != NULL || s->accepts_pending != 0)
		log_error("ads: %zu accepts and some streams outlived the server",
		    s->accepts_pending);
	snapshot_unref(s->snap);
	sotw_plan_cache_clear(); /* the snapshots the plans pin */
	ads_body_cache_destroy(&s->bodies); /* before grpc_shutdown: slices */
	ads_transport_free(s->tls); /* after grpc_server_destroy: grpc held it */
	pthread_cond_destroy(&s->publish_cond);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s);
	grpc_shutdown_and_wait();
}

int
ads_server_reload_tls(struct ads_server *s, const struct ads_options *opts,
    char **errmsg)
{
	struct ads_transport_files f = { opts->tls_certificate, opts->tls_key,
		opts->tls_client_ca };

	if (s->tls == NULL) {
		if (set(f.certificate) || set(f.key) || set(f.client_ca)) {
			*errmsg = xstrdup("xds.tls was added: restart cairn to serve "
			    "xDS over TLS");
			return -1;
		}
		return 0;
	}
	return ads_transport_reload(s->tls, &f, errmsg);
}
