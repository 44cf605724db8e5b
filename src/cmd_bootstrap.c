/* cairn bootstrap: writes the Envoy bootstrap (JSON, proto3 field names)
 * that points Envoy at cairn over ADS (SPEC.md §2):
 *   - node id and cluster;
 *   - dynamic_resources: ads_config (GRPC or DELTA_GRPC, transport API V3,
 *     node on the first message only), cds_config and lds_config over ADS;
 *   - static cluster "cairn": the xDS address (STATIC for IPs and unix
 *     sockets, STRICT_DNS for names), HTTP/2 with keepalive, mTLS when the
 *     --xds-* files are given;
 *   - the admin interface on a unix socket only, and a static "health"
 *     listener (like Contour's stats/health listener) that answers GET
 *     /ready and /stats/prometheus by routing them to the admin socket
 *     through the static cluster "envoy-admin". */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "util/addr.h"
#include "util/xalloc.h"

#define ADMIN_SOCKET "/run/envoy/admin.sock"
#define HEALTH_ADDRESS "0.0.0.0"
#define HEALTH_PORT 8002
#define TYPE_PREFIX "type.googleapis.com/"

struct bootstrap_opts {
	const char *node_id, *node_cluster;
	bool delta;
	const char *ca, *cert, *key; /* all or none */
	const char *gateway; /* node.metadata cairn.io/gateway, or NULL */
	uint32_t regex_max_program_size; /* envoy.regex-max-program-size */
};

/* bootstrap's flags: the parser and --help (see struct cmd_flag in cmd.h). */
static const struct cmd_flag bootstrap_flags[] = {
	{ "config", 'c', 'c', "FILE", "/etc/cairn/cairn.yaml if it exists, else built-in defaults",
	  "cairn.yaml to read xds.address from" },
	{ "xds", 'x', 0, "ADDR", "xds.address, 127.0.0.1:18000",
	  "cairn's xDS address: HOST:PORT, [V6]:PORT or unix:/path" },
	{ "node-id", 'n', 0, "ID", "this host's name", "Envoy's node id" },
	{ "node-cluster", 'N', 0, "NAME", "envoy", "Envoy's node cluster" },
	{ "sotw", 's', 0, NULL, "off", "state-of-the-world ADS (GRPC)" },
	{ "delta", 'd', 0, NULL, "on", "incremental ADS (DELTA_GRPC)" },
	{ "xds-ca", 'A', 0, "F", "none: plaintext", "mTLS to cairn: the CA bundle (absolute path)" },
	{ "xds-cert", 'C', 0, "F", "none: plaintext", "mTLS to cairn: Envoy's client certificate" },
	{ "xds-key", 'K', 0, "F", "none: plaintext", "mTLS to cairn: its private key" },
	{ "output", 'o', 'o', "FILE", "standard output",
	  "write FILE (through a temporary file and a rename; its directory must exist)" },
	{ "gateway", 'G', 0, "NS/NAME", "none: ingress_http and ingress_https",
	  "serve this Gateway's listeners to the Envoy (node metadata cairn.io/gateway)" },
};

static const struct cmd_spec bootstrap_spec = {
	.name = "bootstrap",
	.summary = "Writes an Envoy bootstrap (JSON) that points Envoy at cairn over ADS.",
	.flags = bootstrap_flags,
	.nflags = sizeof bootstrap_flags / sizeof bootstrap_flags[0],
};

/* An Any in the proto3 JSON form: "@type" first, then the fields (stolen). */
static json_t *
any(const char *type, json_t *fields)
{
	char *url = xasprintf(TYPE_PREFIX "%s", type);
	json_t *o = json_pack("{s:s}", "@type", url);

	json_object_update(o, fields);
	json_decref(fields);
	free(url);
	return o;
}

static json_t *
ads_config_source(void)
{
	return json_pack("{s:{}, s:s}", "ads", "resource_api_version", "V3");
}

static json_t *
socket_address(const char *host, int port)
{
	return json_pack("{s:{s:s, s:i}}", "socket_address", "address", host,
	    "port_value", port);
}

static json_t *
pipe_address(const char *path)
{
	return json_pack("{s:{s:s}}", "pipe", "path", path);
}

static json_t *
load_assignment(const char *cluster, json_t *address)
{
	return json_pack("{s:s, s:[{s:[{s:{s:o}}]}]}", "cluster_name", cluster,
	    "endpoints", "lb_endpoints", "endpoint", "address", address);
}

/* Whether host is an IP literal (STATIC) rather than a name (STRICT_DNS). */
static bool
is_ip_literal(const char *host)
{
	struct listen_addr a = { 0 };
	struct sockaddr_storage ss;
	socklen_t len;

	snprintf(a.host, sizeof a.host, "%s", host);
	return listen_addr_sockaddr(&a, &ss, &len) == 0;
}

static json_t *
http2_options(void)
{
	json_t *opts = json_pack("{s:{s:{s:{s:s, s:s}}}}",
	    "explicit_http_config", "http2_protocol_options", "connection_keepalive",
	    "interval", "30s", "timeout", "5s");

	return json_pack("{s:o}", "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
	    any("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", opts));
}

static json_t *
upstream_tls(const struct bootstrap_opts *o, const char *sni)
{
	json_t *ctx = json_pack("{s:{s:[{s:{s:s}, s:{s:s}}], s:{s:{s:s}}}}",
	    "common_tls_context",
	    "tls_certificates", "certificate_chain", "filename", o->cert,
	    "private_key", "filename", o->key,
	    "validation_context", "trusted_ca", "filename", o->ca);

	if (sni != NULL)
		json_object_set_new(ctx, "sni", json_string(sni));
	return json_pack("{s:s, s:o}", "name", "envoy.transport_sockets.tls",
	    "typed_config", any("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", ctx));
}

/* The static cluster Envoy reaches cairn's ADS server through. */
static json_t *
cairn_cluster(const struct listen_addr *xds, const struct bootstrap_opts *o)
{
	json_t *c = json_pack("{s:s, s:s}", "name", "cairn", "connect_timeout", "5s");
	const char *host = xds->host;
	bool ip = false;

	if (xds->is_unix) {
		json_object_set_new(c, "type", json_string("STATIC"));
		json_object_set_new(c, "load_assignment",
		    load_assignment("cairn", pipe_address(xds->path)));
	} else {
		/* cairn listening on every address is reached on loopback. */
		if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "localhost") == 0 ||
		    host[0] == '\0')
			host = "127.0.0.1";
		else if (strcmp(host, "::") == 0)
			host = "::1";
		ip = is_ip_literal(host);
		json_object_set_new(c, "type", json_string(ip ? "STATIC" : "STRICT_DNS"));
		json_object_set_new(c, "load_assignment",
		    load_assignment("cairn", socket_address(host, xds->port)));
		json_object_set_new(c, "upstream_connection_options", json_pack(
		    "{s:{s:i, s:i, s:i}}", "tcp_keepalive", "keepalive_probes", 3,
		    "keepalive_time", 30, "keepalive_interval", 5));
	}
	if (o->ca != NULL)
		json_object_set_new(c, "transport_socket",
		    upstream_tls(o, xds->is_unix || ip ? NULL : host));
	json_object_set_new(c, "typed_extension_protocol_options", http2_options());
	return c;
}

static json_t *
admin_cluster(void)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "name", "envoy-admin", "type", "STATIC",
	    "connect_timeout", "0.250s",
	    "load_assignment", load_assignment("envoy-admin", pipe_address(ADMIN_SOCKET)));
}

/* A GET of exactly path, sent to the admin interface. */
static json_t *
admin_route(const char *path)
{
	return json_pack("{s:{s:s, s:[{s:s, s:{s:s, s:b}}]}, s:{s:s}}",
	    "match", "path", path, "headers", "name", ":method",
	    "string_match", "exact", "GET", "ignore_case", 1,
	    "route", "cluster", "envoy-admin");
}

static json_t *
health_listener(void)
{
	json_t *hcm = json_pack("{s:s, s:b, s:{s:s, s:[{s:s, s:[s], s:[o, o]}]}, s:[{s:s, s:o}]}",
	    "stat_prefix", "health", "normalize_path", 1,
	    "route_config", "name", "health", "virtual_hosts", "name", "health",
	    "domains", "*", "routes", admin_route("/ready"), admin_route("/stats/prometheus"),
	    "http_filters", "name", "envoy.filters.http.router",
	    "typed_config", any("envoy.extensions.filters.http.router.v3.Router", json_object()));

	return json_pack("{s:s, s:o, s:[{s:[{s:s, s:o}]}]}", "name", "health",
	    "address", socket_address(HEALTH_ADDRESS, HEALTH_PORT),
	    "filter_chains", "filters", "name", "envoy.filters.network.http_connection_manager",
	    "typed_config", any("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
	    hcm));
}

/* Envoy refuses a regex whose RE2 program is larger than the runtime key
 * re2.max_program_size.error_level (default 100); cairn checks every regex
 * against envoy.regex-max-program-size (SPEC §8), so Envoy gets the same
 * limit in a static layer. The admin layer keeps what Envoy has without a
 * layered_runtime: runtime changes through the admin interface. */
static json_t *
layered_runtime(const struct bootstrap_opts *o)
{
	return json_pack("{s:[{s:s, s:{s:I}}, {s:s, s:{}}]}", "layers",
	    "name", "static", "static_layer",
	    "re2.max_program_size.error_level", (json_int_t)o->regex_max_program_size,
	    "name", "admin", "admin_layer");
}

/* The bootstrap for cairn at xds. */
static json_t *
bootstrap_json(const struct listen_addr *xds, const struct bootstrap_opts *o)
{
	json_t *ads = json_pack("{s:s, s:s, s:b, s:[{s:{s:s}}]}",
	    "api_type", o->delta ? "DELTA_GRPC" : "GRPC",
	    "transport_api_version", "V3", "set_node_on_first_message_only", 1,
	    "grpc_services", "envoy_grpc", "cluster_name", "cairn");

	json_t *doc = json_pack("{s:{s:s, s:s}, s:{s:o, s:o, s:o}, s:{s:[o, o], s:[o]}, s:{s:o}, s:o}",
	    "node", "id", o->node_id, "cluster", o->node_cluster,
	    "dynamic_resources", "ads_config", ads, "cds_config", ads_config_source(),
	    "lds_config", ads_config_source(),
	    "static_resources", "clusters", cairn_cluster(xds, o), admin_cluster(),
	    "listeners", health_listener(),
	    "admin", "address", pipe_address(ADMIN_SOCKET),
	    "layered_runtime", layered_runtime(o));

	/* The Gateway whose listeners this Envoy gets (SPEC.md §5a). */
	if (o->gateway != NULL)
		json_object_set_new(json_object_get(doc, "node"), "metadata",
		    json_pack("{s:s}", TRANSLATE_GATEWAY_METADATA, o->gateway));
	return doc;
}

/* What stops a file being created as path because of its directory (it
 * is missing, not a directory, or not writable), as a message to free;
 * NULL when the directory looks usable. */
static char *
output_dir_problem(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? xstrdup(".") :
	    slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	char *why = NULL;
	struct stat st;

	if (stat(dir, &st) != 0) {
		if (errno == ENOENT)
			why = xasprintf("directory %s does not exist (create it first: "
			    "mkdir -p %s)", dir, dir);
		else
			why = xasprintf("directory %s: %s", dir, strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		why = xasprintf("%s is not a directory", dir);
	} else if (access(dir, W_OK | X_OK) != 0) {
		why = xasprintf("directory %s: %s", dir, strerror(errno));
	}
	free(dir);
	return why;
}

/* Writes text to path through a temporary file and a rename, so Envoy
 * never reads half a bootstrap. */
static int
write_file(const char *path, const char *text)
{
	char *tmp, *dir;
	FILE *fp;
	int rc = -1;

	/* The temporary file is ours, not the user's: a missing or unwritable
	 * directory is reported by its own name, with the fix. The directory is
	 * not created here (see docs/decisions.md): -o names a file, and a
	 * directory made by a one-off command would have the wrong owner and
	 * mode for envoy.service, whose RuntimeDirectory= makes /run/envoy. */
	if ((dir = output_dir_problem(path)) != NULL) {
		fprintf(stderr, "cairn bootstrap: cannot write %s: %s\n", path, dir);
		free(dir);
		return -1;
	}
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	if ((fp = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "cairn bootstrap: cannot write %s: %s: %s\n", path, tmp,
		    strerror(errno));
		free(tmp);
		return -1;
	}
	if (fputs(text, fp) < 0 || fflush(fp) != 0 || fsync(fileno(fp)) != 0)
		fprintf(stderr, "cairn bootstrap: %s: %s\n", tmp, strerror(errno));
	else
		rc = 0;
	if (fclose(fp) != 0 && rc == 0) {
		fprintf(stderr, "cairn bootstrap: %s: %s\n", tmp, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		fprintf(stderr, "cairn bootstrap: %s: %s\n", path, strerror(errno));
		rc = -1;
	}
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int
check_tls_files(const struct bootstrap_opts *o)
{
	const char *const files[] = { o->ca, o->cert, o->key };
	const char *const flags[] = { "--xds-ca", "--xds-cert", "--xds-key" };
	int given = 0;

	for (int i = 0; i < 3; i++)
		given += files[i] != NULL;
	if (given == 0)
		return 0;
	if (given != 3) {
		fprintf(stderr, "cairn bootstrap: mTLS needs all of --xds-ca, --xds-cert "
		    "and --xds-key (or none of them)\n");
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		if (files[i][0] != '/') {
			fprintf(stderr, "cairn bootstrap: %s %s: give an absolute path "
			    "(Envoy resolves it from its own working directory)\n",
			    flags[i], files[i]);
			return -1;
		}
		if (access(files[i], R_OK) != 0) {
			fprintf(stderr, "cairn bootstrap: %s %s: %s\n", flags[i], files[i],
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
cmd_bootstrap(int argc, char **argv)
{
	struct cmd_parser parser;
	struct bootstrap_opts o = { .node_cluster = "envoy", .delta = true };
	struct cmd_flags flags = { 0 };
	struct cairn_config cfg;
	struct listen_addr xds;
	const char *output = NULL, *why = NULL;
	char hostname[256];
	json_t *doc;
	char *text;
	int c, rc;

	cmd_parser_init(&parser, &bootstrap_spec);
	while ((c = cmd_parser_next(&parser, argc, argv)) != -1) {
		switch (c) {
		case 'c': flags.config_path = optarg; break;
		case 'x': flags.xds_addr = optarg; break;
		case 'n': o.node_id = optarg; break;
		case 'N': o.node_cluster = optarg; break;
		case 's': o.delta = false; break;
		case 'd': o.delta = true; break;
		case 'A': o.ca = optarg; break;
		case 'C': o.cert = optarg; break;
		case 'K': o.key = optarg; break;
		case 'o': output = optarg; break;
		case 'G': o.gateway = optarg; break;
		case 'h':
			cmd_usage(&bootstrap_spec, stdout);
			return CMD_EXIT_OK;
		default:
			cmd_usage_hint(&bootstrap_spec);
			return CMD_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "cairn bootstrap: unexpected argument \"%s\"\n", argv[optind]);
		cmd_usage_hint(&bootstrap_spec);
		return CMD_EXIT_USAGE;
	}
	if (o.node_id == NULL) {
		if (gethostname(hostname, sizeof hostname) != 0 || hostname[0] == '\0')
			snprintf(hostname, sizeof hostname, "envoy");
		hostname[sizeof hostname - 1] = '\0';
		o.node_id = hostname;
	}
	if (o.node_id[0] == '\0' || o.node_cluster[0] == '\0') {
		fprintf(stderr, "cairn bootstrap: --node-id and --node-cluster must not be empty\n");
		return CMD_EXIT_USAGE;
	}
	if (o.gateway != NULL && (strchr(o.gateway, '/') == NULL ||
	    strchr(o.gateway, '/') == o.gateway ||
	    strchr(o.gateway, '/')[1] == '\0' ||
	    strchr(strchr(o.gateway, '/') + 1, '/') != NULL)) {
		fprintf(stderr, "cairn bootstrap: --gateway \"%s\": expected "
		    "NAMESPACE/NAME\n", o.gateway);
		return CMD_EXIT_USAGE;
	}
	if (check_tls_files(&o) < 0)
		return CMD_EXIT_USAGE;
	if (cmd_load_config(&flags, &cfg) < 0)
		return CMD_EXIT_USAGE;
	if (listen_addr_parse(cfg.xds.address, &xds, &why) < 0) {
		fprintf(stderr, "cairn bootstrap: xDS address \"%s\": %s\n", cfg.xds.address, why);
		config_free(&cfg);
		return CMD_EXIT_USAGE;
	}
	o.regex_max_program_size = cfg.envoy.regex_max_program_size;
	config_free(&cfg);
	if (!xds.is_unix && xds.port == 0) {
		fprintf(stderr, "cairn bootstrap: xDS address needs a port Envoy can "
		    "connect to, not 0\n");
		return CMD_EXIT_USAGE;
	}

	doc = bootstrap_json(&xds, &o);
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (text == NULL) {
		fprintf(stderr, "cairn bootstrap: cannot serialize the bootstrap\n");
		return CMD_EXIT_USAGE;
	}
	if (output != NULL) {
		char *line = xasprintf("%s\n", text);

		rc = write_file(output, line) < 0 ? CMD_EXIT_USAGE : CMD_EXIT_OK;
		free(line);
	} else {
		rc = puts(text) < 0 ? CMD_EXIT_USAGE : CMD_EXIT_OK;
	}
	free(text);
	return rc;
}
