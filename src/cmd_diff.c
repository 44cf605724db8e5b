/* cairn diff: what a change does to what Envoy receives (SPEC.md §13),
 * between two git revisions, two directories, or the tree on disk and
 * what the running daemon serves. Both sides are built by one pipeline,
 * so the files they share are parsed once. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "diff/diff.h"
#include "source/git.h"
#include "util/base64.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"

/* diff's flags: the parser and --help (see struct cmd_flag in cmd.h). */
static const struct cmd_flag diff_flags[] = {
	{ "config", 'c', 'c', "FILE", "/etc/cairn/cairn.yaml if it exists, else built-in defaults",
	  "cairn.yaml to read; flags override it" },
	{ "git", 'g', 0, "REPO", "none", "compare two revisions of this git repository" },
	{ "from", 'F', 0, "REV", "none, required with --git", "with --git: the revision before the change" },
	{ "to", 'T', 0, "REV", "the served branch's head", "with --git: the revision after the change" },
	{ "running", 'R', 0, NULL, "off",
	  "compare what the running daemon serves now with the tree on disk" },
	{ "source", 's', 0, "DIR", "source.directory, /etc/cairn/resources",
	  "with --running: the tree on disk" },
	{ "admin", 'a', 0, "ADDR", "admin.address, 127.0.0.1:9090",
	  "with --running: the daemon's admin endpoint, HOST:PORT" },
	{ "gateway", 'G', 0, "NS/NAME", "none: what nodes naming no Gateway get",
	  "what changes for an Envoy whose node metadata names this Gateway (cairn.io/gateway)" },
	{ "format", 'f', 0, "text|json", "text", "a plan for people, or JSON (fields in cairn(1), DIFF JSON)" },
	{ "color", 'C', 0, "auto|always|never", "auto", "colour the text plan (auto: only on a terminal, not with NO_COLOR)" },
};

static const struct cmd_spec diff_spec = {
	.name = "diff",
	.operands = "--git REPO --from REV [--to REV]",
	.more_usage =
	    "       cairn diff [OPTIONS] [--source DIR] --running [--admin ADDR]\n"
	    "       cairn diff [OPTIONS] OLD_DIR NEW_DIR\n",
	.summary = "Shows what a change does to what Envoy receives: routes per host, clusters, "
	    "endpoints, listeners, secrets, statuses; exit 0 no change, 1 changes, 2 error.",
	.flags = diff_flags,
	.nflags = sizeof diff_flags / sizeof diff_flags[0],
};

/* One side: its snapshot (a reference), its objects' statuses, revision. */
struct side {
	struct snapshot *snapshot;
	struct diff_objects objects;
	char *revision;
	size_t errors; /* files that do not parse (source and load problems) */
};

static void
side_free(struct side *s)
{
	snapshot_unref(s->snapshot);
	diff_objects_free(&s->objects);
	free(s->revision);
	memset(s, 0, sizeof *s);
}

/* out from a build: owned copies (the next build changes what r points
 * into), then r is freed. Serves side_build and side_build_hook_commit. */
static void
side_take(struct side *out, struct build_result *r)
{
	out->snapshot = snapshot_ref(r->snapshot);
	diff_objects_from_dag(&out->objects, r->dag);
	out->revision = xstrdup(r->revision ? r->revision : "");
	out->errors = r->diags.nerrors;
	build_result_free(r);
}

/* Build cfg's source at rev with p (which keeps what it parsed for the
 * next side). Problems go to stderr. Returns -1 when the source cannot be
 * read at all. */
static int
side_build(struct pipeline *p, const struct cairn_config *cfg, const char *rev,
    struct side *out)
{
	struct source_files files = { 0 };
	struct translate_options to;
	struct build_result r;
	struct diag_list diags;
	struct source *src;
	int rc;

	diag_list_init(&diags);
	rc = source_open(cfg, rev, &src, &diags);
	for (size_t i = 0; i < diags.n; i++)
		diag_print(stderr, &diags.items[i]);
	diag_list_free(&diags);
	if (rc < 0)
		return -1;
	if (source_scan(src, &files) < 0) {
		for (size_t i = 0; i < files.diags.n; i++)
			diag_print(stderr, &files.diags.items[i]);
		fprintf(stderr, "cairn diff: cannot read the %s\n", src->description);
		source_files_free(&files);
		source_close(src);
		return -1;
	}
	cmd_translate_options(cfg, &to);
	pipeline_build(p, &files, cfg, &to, &r);
	for (size_t i = 0; i < r.diags.n; i++)
		diag_print(stderr, &r.diags.items[i]);
	side_take(out, &r);
	source_files_free(&files);
	source_close(src);
	return 0;
}

/* One commit of the repository a pre-receive hook runs in (the pushed
 * objects are still in quarantine: hook_env), or an empty side for the
 * zero id (a new branch). */
static int
side_build_hook_commit(struct pipeline *p, const struct cairn_config *cfg,
    const char *repo, const char *commit, struct side *out)
{
	struct source_git_options go;
	struct source_files files = { 0 };
	struct translate_options to;
	struct build_result r;
	struct source_git *sg;
	struct diag_list diags;

	cmd_hook_git_options(cfg, repo, commit, &go);
	diag_list_init(&diags);
	if (commit[strspn(commit, "0")] == '\0') {
		/* Nothing before: every resource of the push is new. */
		out->snapshot = snapshot_builder_finish(snapshot_builder_new(""));
		out->objects.items = xcalloc(1, sizeof *out->objects.items);
		out->revision = xstrdup("");
		return 0;
	}
	if (source_git_open(&go, &sg, &diags) < 0) {
		diag_list_free(&diags);
		return -1;
	}
	diag_list_free(&diags);
	if (source_git_scan(sg, &files) < 0) {
		source_files_free(&files);
		source_git_close(sg);
		return -1;
	}
	cmd_translate_options(cfg, &to);
	pipeline_build(p, &files, cfg, &to, &r);
	side_take(out, &r);
	source_files_free(&files);
	source_git_close(sg);
	return 0;
}

/* The Gateways' plans (src/diff/gateways.c). */
static json_t *
gateway_plans(const struct side *from, const struct side *to)
{
	return diff_gateway_plans(from->snapshot, to->snapshot, from->revision,
	    to->revision);
}

static void
gateway_plans_text(json_t *plans, bool color, struct strbuf *out)
{
	diff_gateway_plans_text(plans, color, out);
}

/* A push's plan in the pusher's terminal: a first push of a big tree
 * would print every route, so long plans stop after HOOK_PLAN_LINES lines
 * with the summary and the command that shows the rest. */
#define HOOK_PLAN_LINES 200

static void
hook_print_capped(FILE *fp, const char *text, const char *summary,
    const char *old_id, const char *new_id)
{
	const char *p = text;
	size_t lines = 0, total = 0;

	for (const char *q = text; *q; q++)
		total += *q == '\n';
	if (total <= HOOK_PLAN_LINES + 2) {
		fputs(text, fp);
		return;
	}
	while (lines < HOOK_PLAN_LINES && (p = strchr(p, '\n')) != NULL) {
		p++;
		lines++;
	}
	fwrite(text, 1, (size_t)(p - text), fp);
	fprintf(fp, "... %zu more lines: cairn diff --git REPO --from %s --to %s\n\n%s\n",
	    total - lines - 2, old_id, new_id, summary);
}

int
cmd_diff_hook_plan(const struct cairn_config *cfg, const char *repo,
    const char *old_id, const char *new_id, FILE *fp)
{
	struct side from = { 0 }, to = { 0 };
	struct pipeline *p = pipeline_new(NULL);
	int rc = -1;

	if (side_build_hook_commit(p, cfg, repo, old_id, &from) == 0 &&
	    side_build_hook_commit(p, cfg, repo, new_id, &to) == 0) {
		struct diff_side a = { from.snapshot, &from.objects, from.revision };
		struct diff_side b = { to.snapshot, &to.objects, to.revision };
		json_t *plan = diff_compute(&a, &b);
		json_t *gw = gateway_plans(&from, &to);
		struct strbuf sb = STRBUF_INIT;
		char *summary;

		diff_render_text(plan, false, &sb);
		/* A cut plan ends with the default plan's summary, or, when
		 * only Gateways change, the first Gateway's. */
		if (diff_plan_empty(plan) && gw != NULL) {
			const char *name = json_object_iter_key(json_object_iter(gw));

			summary = xasprintf("Gateway %s: %s", name, diff_plan_summary(
			    json_object_get(gw, name)));
		} else {
			summary = xstrdup(diff_plan_summary(plan));
		}
		if (gw != NULL)
			gateway_plans_text(gw, false, &sb);
		json_decref(gw);
		if (sb.len == 0)
			strbuf_puts(&sb, "no change to what Envoy receives\n");
		hook_print_capped(fp, sb.buf, summary, old_id, new_id);
		free(summary);
		strbuf_free(&sb);
		json_decref(plan);
		rc = 0;
	}
	side_free(&from);
	side_free(&to);
	pipeline_free(p);
	return rc;
}

/* The running daemon's resources from /debug/xds/pb (type URL, name,
 * base64 per line, as `cairn dump --format pb`) into *out; with gateway,
 * those a node naming that Gateway gets (?gateway=NS/NAME, percent-
 * encoded), which the daemon confirms on its first line. Returns 0; 1
 * when the daemon does not answer for a Gateway (a cairn older than
 * this one ignores ?gateway=); -1 with why on stderr. */
static int
running_pb(const char *admin, const char *gateway, const char *revision,
    struct snapshot **out)
{
	struct strbuf body = STRBUF_INIT, path = STRBUF_INIT;
	char *err = NULL, *pb, *want = NULL;
	int code;

	strbuf_puts(&path, "/debug/xds/pb");
	if (gateway != NULL) {
		strbuf_puts(&path, "?gateway=");
		for (const char *c = gateway; *c; c++) {
			if (strchr("-._~", *c) || (*c >= '0' && *c <= '9') ||
			    (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))
				strbuf_putc(&path, *c);
			else
				strbuf_printf(&path, "%%%02X", (unsigned char)*c);
		}
		want = xasprintf("# gateway %s\n", gateway);
	}
	code = cmd_admin_get(admin, path.buf, &body, &err);
	strbuf_free(&path);
	if (code != 200) {
		fprintf(stderr, "cairn diff: %s\n", err ? err :
		    code == 503 ? "the daemon has not built a snapshot yet" :
		    "GET /debug/xds/pb failed (a daemon older than this cairn?)");
		free(err);
		free(want);
		strbuf_free(&body);
		return -1;
	}
	strbuf_putc(&body, '\0');
	if (want != NULL && strncmp(body.buf, want, strlen(want)) != 0) {
		free(want);
		strbuf_free(&body);
		return 1;
	}
	free(want);
	pb = xasprintf("%s/debug/xds/pb", admin);
	*out = diff_snapshot_from_pb(body.buf, revision, pb, stderr);
	free(pb);
	strbuf_free(&body);
	return 0;
}

/* The running daemon's side: its objects' statuses (/status) and what a
 * node naming gateway (NULL: none) gets. */
static int
side_running(const char *admin, const char *gateway, struct side *out)
{
	struct strbuf body = STRBUF_INIT;
	json_error_t jerr;
	json_t *st;
	char *err = NULL;
	int code, rc;

	code = cmd_admin_get(admin, "/status", &body, &err);
	if (code != 200) {
		fprintf(stderr, "cairn diff: %s\n", err ? err : "GET /status failed");
		free(err);
		strbuf_free(&body);
		return -1;
	}
	st = json_loadb(body.buf ? body.buf : "", body.len, 0, &jerr);
	if (st == NULL || diff_objects_from_json(&out->objects, st) < 0) {
		fprintf(stderr, "cairn diff: %s/status: not the status JSON cairn serves\n",
		    admin);
		json_decref(st);
		strbuf_free(&body);
		return -1;
	}
	out->revision = xstrdup(json_string_value(json_object_get(st, "revision")) ?
	    json_string_value(json_object_get(st, "revision")) : "");
	json_decref(st);
	strbuf_free(&body);
	rc = running_pb(admin, gateway, out->revision, &out->snapshot);
	if (rc == 1)
		fprintf(stderr, "cairn diff: %s/debug/xds/pb does not serve a Gateway's "
		    "resources (a daemon older than this cairn?)\n", admin);
	return rc == 0 ? 0 : -1;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A plain --running plan's Gateways, as gateway_plans for two trees: each
 * Gateway the tree serves or the daemon has (its /status) whose resources
 * differ, the daemon's side asked for by name. A daemon that does not
 * answer for Gateways leaves them out, with a warning. *out: NULL when
 * none changes. Returns -1 when the daemon cannot be read. */
static int
running_gateway_plans(const char *admin, const struct side *from,
    const struct side *to, json_t **out)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*out = json_object();
	for (size_t i = 0; i < to->snapshot->ngateways; i++)
		ARRAY_PUSH(names, n, cap, xstrdup(to->snapshot->gateways[i].name));
	for (size_t i = 0; i < from->objects.n; i++)
		if (strcmp(from->objects.items[i].kind, "Gateway") == 0)
			ARRAY_PUSH(names, n, cap, xasprintf("%s/%s",
			    from->objects.items[i].namespace,
			    from->objects.items[i].name));
	if (n > 1)
		qsort(names, n, sizeof names[0], name_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct snapshot *ga = NULL, *gb;
		struct diff_side da, db;
		json_t *plan;
		int got;

		if (i > 0 && strcmp(names[i - 1], names[i]) == 0)
			continue;
		got = running_pb(admin, names[i], from->revision, &ga);
		if (got == 1) {
			fprintf(stderr, "cairn diff: %s/debug/xds/pb does not serve "
			    "a Gateway's resources (a daemon older than this cairn?): "
			    "Gateways are not compared\n", admin);
			break;
		}
		if (got < 0) {
			rc = -1;
			break;
		}
		gb = snapshot_select(to->snapshot, names[i]);
		gb = gb != NULL && gb != to->snapshot ? snapshot_ref(gb) :
		    snapshot_builder_finish(snapshot_builder_new(to->revision));
		da = (struct diff_side){ ga, NULL, from->revision };
		db = (struct diff_side){ gb, NULL, to->revision };
		plan = diff_compute(&da, &db);
		if (!diff_plan_empty(plan))
			json_object_set(*out, names[i], plan);
		json_decref(plan);
		snapshot_unref(ga);
		snapshot_unref(gb);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc < 0 || json_object_size(*out) == 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

static bool
want_color(const char *mode)
{
	if (strcmp(mode, "always") == 0)
		return true;
	if (strcmp(mode, "never") == 0)
		return false;
	return isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
}

/* Prints the plan and gw, the Gateways' plans (taken; NULL: none);
 * returns the exit code (0 no change, 1 changes). */
static int
diff_print(const struct side *from, const struct side *to, const char *format,
    bool color, json_t *gw)
{
	struct diff_side a = { from->snapshot, &from->objects, from->revision };
	struct diff_side b = { to->snapshot, &to->objects, to->revision };
	json_t *plan = diff_compute(&a, &b);
	bool empty = diff_plan_empty(plan) && gw == NULL;
	json_int_t bad = json_integer_value(json_object_get(plan, "undecodable"));

	if (gw != NULL)
		json_object_set(plan, "gateways", gw);
	if (strcmp(format, "json") == 0) {
		json_dumpf(plan, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		struct strbuf sb = STRBUF_INIT;

		diff_render_text(plan, color, &sb);
		if (gw != NULL)
			gateway_plans_text(gw, color, &sb);
		fwrite(sb.buf ? sb.buf : "", 1, sb.len, stdout);
		strbuf_free(&sb);
	}
	json_decref(plan);
	json_decref(gw);
	if (fflush(stdout) != 0)
		return CMD_EXIT_USAGE;
	if (bad > 0) {
		fprintf(stderr, "cairn diff: %lld resources did not decode\n", (long long)bad);
		return CMD_EXIT_USAGE;
	}
	return empty ? CMD_EXIT_OK : CMD_EXIT_PROBLEMS;
}

/* The side's snapshot becomes the one a node naming gateway gets: its
 * Gateway's, or nothing when it is not served. */
static void
side_select_gateway(struct side *s, const char *gateway)
{
	struct snapshot *g = snapshot_select(s->snapshot, gateway);

	g = g != NULL ? snapshot_ref(g) :
	    snapshot_builder_finish(snapshot_builder_new(s->snapshot->revision));
	snapshot_unref(s->snapshot);
	s->snapshot = g;
}

int
cmd_diff(int argc, char **argv)
{
	struct cmd_parser parser;
	struct cmd_flags f = { .format = "text" };
	const char *from_rev = NULL, *to_rev = NULL, *color = "auto", *gateway = NULL;
	struct side from = { 0 }, to = { 0 };
	struct cairn_config cfg;
	struct pipeline *p = NULL;
	bool running = false;
	json_t *gw = NULL;
	int c, rc = CMD_EXIT_USAGE, npos;

	cmd_parser_init(&parser, &diff_spec);
	while ((c = cmd_parser_next(&parser, argc, argv)) != -1) {
		switch (c) {
		case 'c': f.config_path = optarg; break;
		case 's': f.source_dir = optarg; break;
		case 'g': f.git_repo = optarg; break;
		case 'F': from_rev = optarg; break;
		case 'T': to_rev = optarg; break;
		case 'R': running = true; break;
		case 'a': f.admin_addr = optarg; break;
		case 'G': gateway = optarg; break;
		case 'f': f.format = optarg; break;
		case 'C': color = optarg; break;
		case 'h': cmd_usage(&diff_spec, stdout); return CMD_EXIT_OK;
		default: cmd_usage_hint(&diff_spec); return CMD_EXIT_USAGE;
		}
	}
	npos = argc - optind;
	if (strcmp(f.format, "text") != 0 && strcmp(f.format, "json") != 0) {
		fprintf(stderr, "cairn diff: unknown --format \"%s\" (text or json)\n", f.format);
		return CMD_EXIT_USAGE;
	}
	if (strcmp(color, "auto") != 0 && strcmp(color, "always") != 0 &&
	    strcmp(color, "never") != 0) {
		fprintf(stderr, "cairn diff: unknown --color \"%s\" (auto, always or never)\n", color);
		return CMD_EXIT_USAGE;
	}
	if (gateway != NULL && (strchr(gateway, '/') == NULL ||
	    strchr(gateway, '/') == gateway || strchr(gateway, '/')[1] == '\0')) {
		fprintf(stderr, "cairn diff: --gateway \"%s\": expected NAMESPACE/NAME\n",
		    gateway);
		return CMD_EXIT_USAGE;
	}
	/* Exactly one of the three forms. */
	if ((f.git_repo != NULL) + running + (npos > 0) != 1 ||
	    (f.git_repo && (from_rev == NULL || f.source_dir)) ||
	    (!f.git_repo && (from_rev || to_rev)) ||
	    (running && npos > 0) || (npos > 0 && (npos != 2 || f.source_dir))) {
		cmd_usage_hint(&diff_spec);
		return CMD_EXIT_USAGE;
	}
	if (npos == 2)
		f.source_dir = argv[optind];
	if (cmd_load_config(&f, &cfg) < 0)
		return CMD_EXIT_USAGE;
	p = pipeline_new(NULL);
	if (running) {
		if (cfg.admin.address[0] == '\0') {
			fprintf(stderr, "cairn diff: the admin endpoint is disabled (admin.address is \"\")\n");
			goto out;
		}
		if (side_running(cfg.admin.address, gateway, &from) < 0 ||
		    side_build(p, &cfg, NULL, &to) < 0)
			goto out;
	} else if (f.git_repo) {
		/* --to defaults to the served branch's head (source_open's rev NULL). */
		if (side_build(p, &cfg, from_rev, &from) < 0 ||
		    side_build(p, &cfg, to_rev, &to) < 0)
			goto out;
	} else {
		if (side_build(p, &cfg, NULL, &from) < 0)
			goto out;
		cfg.source.directory = arena_strdup(&cfg.arena, argv[optind + 1]);
		if (side_build(p, &cfg, NULL, &to) < 0)
			goto out;
	}
	/* What a node naming the Gateway gets on each side (SPEC.md §5a); the
	 * daemon has already selected it for the running side. */
	if (gateway != NULL) {
		if (!running)
			side_select_gateway(&from, gateway);
		side_select_gateway(&to, gateway);
	}
	/* A plain plan also shows each Gateway's changes; the running
	 * daemon's are asked for one Gateway at a time. */
	if (gateway == NULL && running) {
		if (running_gateway_plans(cfg.admin.address, &from, &to, &gw) < 0)
			goto out;
	} else if (gateway == NULL) {
		gw = gateway_plans(&from, &to);
	}
	rc = diff_print(&from, &to, f.format, want_color(color), gw);
	/* Problems were printed above; the plan shows what would be served
	 * anyway (a file in error keeps its last good version), but the
	 * change is not clean: never exit 0 on it. */
	if (to.errors > 0) {
		fprintf(stderr, "cairn diff: the new tree has %zu error%s%s\n", to.errors,
		    to.errors == 1 ? "" : "s", f.git_repo ?
		    "; the daemon would not serve this commit" :
		    "; files in error keep their last good version");
		if (rc == CMD_EXIT_OK)
			rc = CMD_EXIT_PROBLEMS;
	}
out:
	side_free(&from);
	side_free(&to);
	pipeline_free(p);
	config_free(&cfg);
	return rc;
}
