/* What the commands share: the config file and flags, and one build of a
 * source for check and dump. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "source/git.h"
#include "source/source.h"
#include "util/duration.h"
#include "util/log.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG_PATH "/etc/cairn/cairn.yaml"

int
cmd_positional_source(int argc, char **argv, int optind_now, struct cmd_flags *f)
{
	if (optind_now == argc)
		return 0;
	if (optind_now + 1 == argc && f->source_dir == NULL && f->git_repo == NULL) {
		f->source_dir = argv[optind_now];
		return 0;
	}
	fprintf(stderr, "cairn: unexpected argument \"%s\"\n", argv[optind_now]);
	return -1;
}

static void
config_print_problems(const struct diag_list *diags)
{
	for (size_t i = 0; i < diags->n; i++)
		diag_print(stderr, &diags->items[i]);
}

int
cmd_load_config(const struct cmd_flags *f, struct cairn_config *cfg)
{
	const char *path = f->config_path;
	struct diag_list diags;
	enum log_level level;

	config_init_defaults(cfg);
	if (path == NULL && access(DEFAULT_CONFIG_PATH, F_OK) == 0)
		path = DEFAULT_CONFIG_PATH;
	if (path) {
		diag_list_init(&diags);
		if (config_load_file(cfg, path, &diags) < 0) {
			diag_list_sort(&diags);
			config_print_problems(&diags);
			fprintf(stderr, "cairn: %s: configuration has errors\n", path);
			diag_list_free(&diags);
			config_free(cfg);
			return -1;
		}
		config_print_problems(&diags); /* warnings */
		diag_list_free(&diags);
	}
	if (f->log_level) {
		if (log_level_parse(f->log_level, &level) < 0) {
			fprintf(stderr, "cairn: unknown --log-level \"%s\" (debug, info, warning or error)\n",
			    f->log_level);
			config_free(cfg);
			return -1;
		}
		log_set_level(level);
	}
	/* Flags override the file. */
	if (f->source_dir) {
		cfg->source.directory = arena_strdup(&cfg->arena, f->source_dir);
		cfg->source.git.repository = "";
	}
	if (f->git_repo) {
		/* --git REPO means that repository's own refs, not a remote the
		 * config file may name. */
		cfg->source.git.repository = arena_strdup(&cfg->arena, f->git_repo);
		cfg->source.git.remote = "";
		cfg->source.directory = "";
	}
	if (f->branch)
		cfg->source.git.branch = arena_strdup(&cfg->arena, f->branch);
	if (f->xds_addr)
		cfg->xds.address = arena_strdup(&cfg->arena, f->xds_addr);
	if (f->admin_addr)
		cfg->admin.address = arena_strdup(&cfg->arena, f->admin_addr);
	return 0;
}

static int64_t
timeout_or_zero(int64_t ms)
{
	return ms > 0 ? ms : 0;
}

/* global-ext-auth: what the listeners need of it (the hosts' part is the
 * DAG's, src/dag/extension.c). */
static void
cmd_translate_ext_auth(const struct cairn_config *cfg,
    struct translate_options *to)
{
	const struct config_global_ext_auth *g = &cfg->global_ext_auth;
	const char *why;
	int64_t ms;

	to->global_ext_auth_timeout_ms = -1;
	if (g->extension_service == NULL || *g->extension_service == '\0')
		return;
	to->global_ext_auth_cluster = arena_printf((struct arena *)&cfg->arena,
	    "extension/%s", g->extension_service);
	if (strcmp(g->response_timeout, "infinity") == 0 ||
	    strcmp(g->response_timeout, "infinite") == 0)
		to->global_ext_auth_timeout_ms = 0;
	else if (*g->response_timeout != '\0' &&
	    duration_parse_ms(g->response_timeout, &ms, &why) == 0)
		to->global_ext_auth_timeout_ms = ms;
	to->global_ext_auth_fail_open = g->fail_open;
	if (g->has_with_request_body) {
		to->global_ext_auth_max_request_bytes =
		    g->with_request_body.max_request_bytes ?
		    g->with_request_body.max_request_bytes : 1024;
		to->global_ext_auth_allow_partial =
		    g->with_request_body.allow_partial_message;
		to->global_ext_auth_pack_as_bytes = g->with_request_body.pack_as_bytes;
	}
}

void
cmd_translate_options(const struct cairn_config *cfg, struct translate_options *to)
{
	const struct config_timeouts *t = &cfg->envoy.timeouts;

	translate_options_init(to);
	to->http_address = cfg->envoy.http.address;
	to->http_port = (uint32_t)cfg->envoy.http.port;
	to->http_access_log = cfg->envoy.http.access_log;
	to->access_log_json = cfg->envoy.access_log_format == CONFIG_ACCESS_LOG_JSON;
	to->connect_timeout_ms = t->connect_ms > 0 ? t->connect_ms : 2000;
	to->connection_idle_timeout_ms = timeout_or_zero(t->connection_idle_ms);
	to->stream_idle_timeout_ms = timeout_or_zero(t->stream_idle_ms);
	to->request_timeout_ms = timeout_or_zero(t->request_ms);
	to->max_connection_duration_ms = timeout_or_zero(t->max_connection_duration_ms);
	to->drain_timeout_ms = timeout_or_zero(t->connection_shutdown_grace_period_ms);
	to->access_log_format_string = cfg->envoy.access_log_format_string;
	to->json_fields = cfg->envoy.json_fields;
	to->njson_fields = cfg->envoy.njson_fields;
	to->compression = (enum translate_compression)cfg->envoy.compression.algorithm;
	to->merge_slashes = cfg->envoy.merge_slashes;
	to->strip_trailing_host_dot = cfg->envoy.strip_trailing_host_dot;
	to->max_requests_per_connection =
	    cfg->envoy.listener.max_requests_per_connection;
	to->http2_max_concurrent_streams =
	    cfg->envoy.listener.http2_max_concurrent_streams;
	to->per_connection_buffer_limit_bytes =
	    cfg->envoy.listener.per_connection_buffer_limit_bytes;
	to->socket_tos = cfg->envoy.listener.socket_options.tos;
	to->socket_traffic_class = cfg->envoy.listener.socket_options.traffic_class;
	to->cluster_max_requests_per_connection =
	    cfg->envoy.cluster.max_requests_per_connection;
	to->cluster_per_connection_buffer_limit_bytes =
	    cfg->envoy.cluster.per_connection_buffer_limit_bytes;
	to->xff_num_trusted_hops = cfg->envoy.xff_num_trusted_hops;
	cmd_translate_ext_auth(cfg, to);
	if (*cfg->tracing.extension_service != '\0') {
		const struct config_tracing *tr = &cfg->tracing;

		to->tracing_cluster = arena_printf((struct arena *)&cfg->arena,
		    "extension/%s", tr->extension_service);
		to->tracing_service_name = tr->service_name;
		to->tracing_overall_sampling = tr->overall_sampling;
		to->tracing_max_path_tag_length = tr->max_path_tag_length;
		struct translate_custom_tag *tags = ARENA_ARRAY(
		    (struct arena *)&cfg->arena, struct translate_custom_tag,
		    tr->ncustom_tags + 1);

		for (size_t i = 0; i < tr->ncustom_tags; i++) {
			tags[i].tag = tr->custom_tags[i].tag_name;
			tags[i].literal = tr->custom_tags[i].literal;
			tags[i].request_header = tr->custom_tags[i].request_header_name;
		}
		to->tracing_custom_tags = tags;
		to->ntracing_custom_tags = tr->ncustom_tags;
	}
	if (*cfg->rate_limit_service.extension_service != '\0') {
		const struct config_rate_limit_service *r = &cfg->rate_limit_service;

		to->rate_limit_cluster = arena_printf((struct arena *)&cfg->arena,
		    "extension/%s", r->extension_service);
		to->rate_limit_domain = r->domain;
		to->rate_limit_fail_open = r->fail_open;
		to->rate_limit_x_headers = r->enable_x_ratelimit_headers;
		to->rate_limit_resource_exhausted = r->enable_resource_exhausted_code;
	}
	to->https_address = cfg->envoy.https.address;
	to->https_port = (uint32_t)cfg->envoy.https.port;
	to->https_access_log = cfg->envoy.https.access_log;
	to->cipher_suites = cfg->envoy.tls.cipher_suites;
	to->ncipher_suites = cfg->envoy.tls.ncipher_suites;
	to->tls_minimum_version = config_tls_version_name(
	    cfg->envoy.tls.minimum_protocol_version);
	to->tls_maximum_version = config_tls_version_name(
	    cfg->envoy.tls.maximum_protocol_version);
	to->alpn_h2 = to->alpn_http11 = false;
	for (size_t i = 0; i < cfg->envoy.ndefault_http_versions; i++) {
		if (strcmp(cfg->envoy.default_http_versions[i], "HTTP/2") == 0)
			to->alpn_h2 = true;
		else if (strcmp(cfg->envoy.default_http_versions[i], "HTTP/1.1") == 0)
			to->alpn_http11 = true;
	}
	switch (cfg->envoy.server_header_transformation) {
	case CONFIG_SERVER_HEADER_OVERWRITE:
		to->server_header = TRANSLATE_SERVER_HEADER_OVERWRITE;
		break;
	case CONFIG_SERVER_HEADER_APPEND_IF_ABSENT:
		to->server_header = TRANSLATE_SERVER_HEADER_APPEND_IF_ABSENT;
		break;
	case CONFIG_SERVER_HEADER_PASS_THROUGH:
		to->server_header = TRANSLATE_SERVER_HEADER_PASS_THROUGH;
		break;
	}
}

int
cmd_build_once(const struct cairn_config *cfg, const char *rev,
    struct build_result *out)
{
	return cmd_build_once_lastgood(cfg, rev, NULL, out);
}

int
cmd_build_once_lastgood(const struct cairn_config *cfg, const char *rev,
    struct lastgood *lg, struct build_result *out)
{
	struct source_files files = { 0 };
	struct translate_options to;
	struct load_options lo = { 0 };
	struct source *src;
	struct pipeline *p;
	struct diag_list diags;
	int rc;

	diag_list_init(&diags);
	rc = source_open(cfg, rev, &src, &diags);
	config_print_problems(&diags);
	diag_list_free(&diags);
	if (rc < 0)
		return -1;
	if (source_scan(src, &files) < 0) {
		config_print_problems(&files.diags);
		fprintf(stderr, "cairn: cannot read the %s\n", src->description);
		source_files_free(&files);
		source_close(src);
		return -1;
	}
	cmd_translate_options(cfg, &to);
	p = pipeline_new(&lo);
	pipeline_set_lastgood(p, lg);
	pipeline_build(p, &files, cfg, &to, out);
	/* The result points into the pipeline's loaded files: keep them by
	 * handing the pipeline to the result. */
	out->owner = p;
	source_files_free(&files);
	source_close(src);
	return 0;
}

void
cmd_hook_git_options(const struct cairn_config *cfg, const char *repo,
    const char *commit, struct source_git_options *go)
{
	*go = (struct source_git_options){
		.repository = repo,
		.branch = cfg->source.git.branch,
		.path = cfg->source.git.path,
		.max_file_bytes = (size_t)cfg->source.max_file_bytes,
		.rev = commit,
		.hook_env = true,
	};
}
