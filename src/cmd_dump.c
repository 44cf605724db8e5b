/* cairn dump: the exact resources serve would send, for people to read
 * and diff (yaml, json) and for tools (pb: type URL, name, base64). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "source/lastgood.h"
#include "util/base64.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "xds/json.h"

/* Dump order: how a reader follows a request (listener -> route ->
 * cluster -> endpoints), secrets last. */
static const struct {
	const char *flag, *key;
	enum xds_type type;
} dump_types[] = {
	{ "lds", "listeners", XDS_LISTENER },
	{ "rds", "routes", XDS_ROUTE },
	{ "cds", "clusters", XDS_CLUSTER },
	{ "eds", "endpoints", XDS_ENDPOINT },
	{ "sds", "secrets", XDS_SECRET },
};

/* dump's flags: the parser and --help (see struct cmd_flag in cmd.h). */
static const struct cmd_flag dump_flags[] = {
	{ "config", 'c', 'c', "FILE", "/etc/cairn/cairn.yaml if it exists, else built-in defaults",
	  "cairn.yaml to read; flags override it" },
	{ "source", 's', 0, "DIR", "source.directory, /etc/cairn/resources",
	  "dump what the YAML files below DIR give (also: cairn dump DIR)" },
	{ "git", 'g', 0, "REPO", "source.git.repository", "dump a revision of this git repository" },
	{ "rev", 'r', 0, "REV", "the branch's head",
	  "the git revision to dump (what git rev-parse takes)" },
	{ "type", 't', 0, "lds|rds|cds|eds|sds|all", "all", "only the resources of this type" },
	{ "format", 'f', 0, "yaml|json|pb", "yaml",
	  "proto3 JSON, as YAML or JSON; or one line per resource: type URL, name, base64 bytes" },
	{ "show-secrets", 'S', 0, NULL, "off", "print private keys instead of redacting them" },
	{ "gateway", 'G', 0, "NS/NAME", "none: what nodes naming no Gateway get",
	  "what an Envoy whose node metadata names this Gateway gets (cairn.io/gateway)" },
	{ "state-dir", 'D', 0, "DIR", "state-directory, $CAIRN_STATE_DIRECTORY, $STATE_DIRECTORY, /var/lib/cairn",
	  "read the last good copies serve keeps there (never written by dump)" },
	{ "no-state", 'N', 0, NULL, "off", "ignore persisted last good copies: only the files as they are" },
};

static const struct cmd_spec dump_spec = {
	.name = "dump",
	.operands = "[DIR]",
	.summary = "Prints the resources serve would send, field names in proto form.",
	.flags = dump_flags,
	.nflags = sizeof dump_flags / sizeof dump_flags[0],
};

/* Private keys are redacted in every format unless --show-secrets. */
static int
dump_pb(const struct snapshot *snap, int only, bool show_secrets)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t t = 0; t < sizeof dump_types / sizeof dump_types[0]; t++) {
		const struct xds_resource_set *set = &snap->types[dump_types[t].type];

		if (only >= 0 && (int)dump_types[t].type != only)
			continue;
		for (size_t i = 0; i < set->n; i++) {
			size_t rlen = 0;
			uint8_t *redacted = dump_types[t].type == XDS_SECRET &&
			    !show_secrets ? translate_secret_redact(xds_resource_bytes(xds_set_at(set, i)),
			    xds_set_at(set, i)->len, &rlen) : NULL;

			strbuf_reset(&sb);
			if (redacted != NULL)
				base64_encode(redacted, rlen, &sb);
			else
				base64_encode(xds_resource_bytes(xds_set_at(set, i)),
				    xds_set_at(set, i)->len, &sb);
			free(redacted);
			printf("%s\t%s\t%s\n", xds_type_url(dump_types[t].type),
			    xds_set_at(set, i)->name, sb.buf ? sb.buf : "");
		}
	}
	strbuf_free(&sb);
	return 0;
}

static json_t *
dump_json(const struct snapshot *snap, int only, bool show_secrets)
{
	struct xds_json_options jo = { .show_secrets = show_secrets };
	json_t *root = json_object();

	json_object_set_new(root, "revision", json_string(snap->revision));
	for (size_t t = 0; t < sizeof dump_types / sizeof dump_types[0]; t++) {
		enum xds_type type = dump_types[t].type;
		const struct xds_resource_set *set = &snap->types[type];
		json_t *arr = json_array();

		if (only >= 0 && (int)type != only) {
			json_decref(arr);
			continue;
		}
		for (size_t i = 0; i < set->n; i++) {
			json_t *j = xds_bytes_to_json_opts(xds_type_url(type),
			    xds_resource_bytes(xds_set_at(set, i)), xds_set_at(set, i)->len, &jo);

			if (j == NULL) {
				log_error("cannot render %s %s: %s", xds_type_short(type),
				    xds_set_at(set, i)->name, xds_json_error());
				continue;
			}
			json_array_append_new(arr, j);
		}
		json_object_set_new(root, dump_types[t].key, arr);
	}
	return root;
}

/* The daemon's persisted last good copies, read-only: what `serve` would
 * serve for files that do not parse after a restart. NULL when there are
 * none (no state directory is normal on a workstation). */
static struct lastgood *
dump_open_lastgood(const struct cairn_config *cfg, const struct cmd_flags *f)
{
	const struct config_git *g = &cfg->source.git;
	const char *from;
	char *state = lastgood_state_directory(f->state_dir ? f->state_dir :
	    cfg->state_directory, &from);
	char *key = g->repository[0] ?
	    lastgood_source_key_git(g->repository, g->remote, g->branch, g->path) :
	    lastgood_source_key_dir(cfg->source.directory);
	struct lastgood_options o = { .state_dir = state, .source_key = key,
		.read_only = true };
	struct lastgood *lg = NULL;
	char *warnings = NULL, *err = NULL;

	if (lastgood_open(&lg, &o, &warnings, &err) == 0 && warnings)
		fprintf(stderr, "cairn dump: %s", warnings);
	/* A state directory named on the command line must be usable. */
	if (lg == NULL && f->state_dir)
		fprintf(stderr, "cairn dump: --state-dir %s: %s\n", f->state_dir, err);
	free(warnings);
	free(err);
	free(key);
	free(state);
	return lg;
}

/* git: when the commit asked for has errors, serve keeps (and after a
 * restart, reads back) the last good commit: build that one instead. */
static void
dump_git_fallback(const struct cairn_config *cfg, struct lastgood *lg,
    struct build_result *r)
{
	struct build_result alt;
	char *commit = NULL, *err = NULL;
	size_t len;
	int rc = lastgood_get(lg, LASTGOOD_COMMIT_KEY, &commit, &len, &err);

	if (rc < 0)
		fprintf(stderr, "cairn dump: %s\n", err);
	free(err);
	if (rc <= 0 || strcmp(commit, r->revision) == 0) {
		free(commit);
		return;
	}
	if (cmd_build_once(cfg, commit, &alt) == 0) {
		if (alt.diags.nerrors == 0) {
			fprintf(stderr, "cairn dump: commit %s has errors; showing the last "
			    "good commit %s, persisted in %s, which cairn serve serves\n",
			    r->revision, commit, lastgood_directory(lg));
			/* Keep the errors (and exit 1), show the commit served. */
			diag_list_append(&alt.diags, &r->diags);
			build_result_free(r);
			*r = alt;
		} else {
			build_result_free(&alt);
		}
	}
	free(commit);
}

int
cmd_dump(int argc, char **argv)
{
	struct cmd_parser parser;
	struct cmd_flags f = { .format = "yaml", .type = "all" };
	struct cairn_config cfg;
	struct build_result r;
	struct lastgood *lg = NULL;
	bool no_state = false;
	int c, only = -1, rc;
	const char *gateway = NULL;
	struct snapshot *gw_snap = NULL;

	cmd_parser_init(&parser, &dump_spec);
	while ((c = cmd_parser_next(&parser, argc, argv)) != -1) {
		switch (c) {
		case 'c': f.config_path = optarg; break;
		case 's': f.source_dir = optarg; break;
		case 'g': f.git_repo = optarg; break;
		case 'r': f.rev = optarg; break;
		case 't': f.type = optarg; break;
		case 'f': f.format = optarg; break;
		case 'S': f.show_secrets = true; break;
		case 'G': gateway = optarg; break;
		case 'D': f.state_dir = optarg; break;
		case 'N': no_state = true; break;
		case 'h': cmd_usage(&dump_spec, stdout); return CMD_EXIT_OK;
		default: cmd_usage_hint(&dump_spec); return CMD_EXIT_USAGE;
		}
	}
	if (cmd_positional_source(argc, argv, optind, &f) < 0) {
		cmd_usage_hint(&dump_spec);
		return CMD_EXIT_USAGE;
	}
	if (strcmp(f.type, "all") != 0) {
		for (size_t t = 0; t < sizeof dump_types / sizeof dump_types[0]; t++)
			if (strcmp(f.type, dump_types[t].flag) == 0)
				only = (int)dump_types[t].type;
		if (only < 0) {
			fprintf(stderr, "cairn dump: unknown --type \"%s\" (lds, rds, cds, eds, sds or all)\n", f.type);
			return CMD_EXIT_USAGE;
		}
	}
	if (strcmp(f.format, "yaml") != 0 && strcmp(f.format, "json") != 0 &&
	    strcmp(f.format, "pb") != 0) {
		fprintf(stderr, "cairn dump: unknown --format \"%s\" (yaml, json or pb)\n", f.format);
		return CMD_EXIT_USAGE;
	}
	if (gateway != NULL && (strchr(gateway, '/') == NULL ||
	    strchr(gateway, '/') == gateway || strchr(gateway, '/')[1] == '\0')) {
		fprintf(stderr, "cairn dump: --gateway \"%s\": expected NAMESPACE/NAME\n",
		    gateway);
		return CMD_EXIT_USAGE;
	}
	if (f.state_dir && (no_state || f.state_dir[0] != '/')) {
		fprintf(stderr, "cairn dump: %s\n", no_state ?
		    "--state-dir and --no-state exclude each other" :
		    "--state-dir must be an absolute path");
		return CMD_EXIT_USAGE;
	}
	if (cmd_load_config(&f, &cfg) < 0)
		return CMD_EXIT_USAGE;
	/* A fixed --rev is that commit, nothing else. */
	if (!no_state && f.rev == NULL) {
		lg = dump_open_lastgood(&cfg, &f);
		if (lg == NULL && f.state_dir) {
			config_free(&cfg);
			return CMD_EXIT_USAGE;
		}
	}
	if (cmd_build_once_lastgood(&cfg, f.rev,
	    cfg.source.git.repository[0] ? NULL : lg, &r) < 0) {
		lastgood_close(lg);
		config_free(&cfg);
		return CMD_EXIT_USAGE;
	}
	if (lg && cfg.source.git.repository[0] && r.diags.nerrors > 0)
		dump_git_fallback(&cfg, lg, &r);
	for (size_t i = 0; i < r.nfiles; i++)
		if (r.files[i].state == FILE_ERROR_SERVING_PERSISTED)
			fprintf(stderr, "cairn dump: %s has errors; showing its last good "
			    "version (content %s), persisted in %s, which cairn serve "
			    "serves\n", r.files[i].path, r.files[i].serving_hash,
			    lastgood_directory(lg));
	/* Problems go to stderr so that stdout stays a clean document. */
	for (size_t i = 0; i < r.diags.n; i++)
		diag_print(stderr, &r.diags.items[i]);
	if (gateway != NULL) {
		/* What a node naming the Gateway gets (SPEC.md §5a): an
		 * empty snapshot for a Gateway cairn does not serve. */
		char *ns = strndup(gateway, (size_t)(strchr(gateway, '/') - gateway));
		const struct dag_gateway *gw = dag_gateway_find(r.dag, ns,
		    strchr(gateway, '/') + 1);
		struct translate_options to;
		struct dag empty = { .ngateways = 0 };

		cmd_translate_options(&cfg, &to);
		if (gw == NULL) {
			struct dag_gateway none = { .namespace = ns,
				.name = strchr(gateway, '/') + 1, .address = "0.0.0.0" };

			fprintf(stderr, "cairn dump: Gateway %s is not served "
			    "(no such Gateway, or its GatewayClass is not cairn's); "
			    "a node naming it gets nothing\n", gateway);
			gw_snap = translate_gateway(&empty, &none, &to,
			    r.snapshot->revision);
		} else {
			gw_snap = translate_gateway(r.dag, gw, &to,
			    r.snapshot->revision);
		}
		free(ns);
	}
	if (strcmp(f.format, "pb") == 0) {
		rc = dump_pb(gw_snap ? gw_snap : r.snapshot, only, f.show_secrets);
	} else {
		json_t *doc = dump_json(gw_snap ? gw_snap : r.snapshot, only,
		    f.show_secrets);

		if (strcmp(f.format, "json") == 0) {
			json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			fputc('\n', stdout);
		} else {
			struct strbuf sb = STRBUF_INIT;

			xds_json_to_yaml(doc, &sb);
			fwrite(sb.buf ? sb.buf : "", 1, sb.len, stdout);
			strbuf_free(&sb);
		}
		json_decref(doc);
		rc = 0;
	}
	if (gw_snap != NULL)
		snapshot_unref(gw_snap);
	/* Like check: 1 when the input has problems, though the resources
	 * printed are still what serve sends. */
	if (rc == 0 && build_result_error_count(&r) > 0)
		rc = 1;
	build_result_free(&r);
	lastgood_close(lg);
	config_free(&cfg);
	if (fflush(stdout) != 0)
		return CMD_EXIT_USAGE;
	return rc == 0 ? CMD_EXIT_OK : rc == 1 ? CMD_EXIT_PROBLEMS : CMD_EXIT_USAGE;
}
