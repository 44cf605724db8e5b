/* cairn check: every problem in a source, one per line, and a verdict. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "report.h"
#include "source/git.h"

/* Abbreviated commit ids in hook messages, as git prints them. */
#define SHORT_COMMIT 7

/* check's flags: the parser and --help (see struct cmd_flag in cmd.h). */
static const struct cmd_flag check_flags[] = {
	{ "config", 'c', 'c', "FILE", "/etc/cairn/cairn.yaml if it exists, else built-in defaults",
	  "cairn.yaml to read; flags override it" },
	{ "source", 's', 0, "DIR", "source.directory, /etc/cairn/resources",
	  "check the YAML files below DIR (also: cairn check DIR)" },
	{ "git", 'g', 0, "REPO", "source.git.repository", "check a revision of this git repository" },
	{ "rev", 'r', 0, "REV", "the branch's head",
	  "the git revision to check (what git rev-parse takes)" },
	{ "format", 'f', 0, "text|json", "text", "one problem per line, or JSON with every object's status" },
	{ "pre-receive", 'P', 0, NULL, "off",
	  "run as a git pre-receive hook: \"old new ref\" lines on stdin" },
	{ "branch", 'b', 0, "B", "source.git.branch, main",
	  "the branch the hook guards, or whose head is checked" },
};

static const struct cmd_spec check_spec = {
	.name = "check",
	.operands = "[DIR]",
	.more_usage = "       cairn check --pre-receive [-c FILE] [--branch B]   (in a git hook)\n",
	.summary = "Validates a source and prints every problem with file:line:col, then a summary; "
	    "exit 1 on errors.",
	.flags = check_flags,
	.nflags = sizeof check_flags / sizeof check_flags[0],
};

/* Validates the tree of one pushed commit like `cairn check --git REPO
 * --rev COMMIT`, with the objects git still keeps in quarantine, and
 * prints every problem prefixed with the commit. Returns the number of
 * errors, or -1 if the commit could not be read at all. */
static long
pre_receive_commit(const struct cairn_config *cfg, const char *repo,
    const char *commit)
{
	struct source_git_options go;
	struct source_files files = { 0 };
	struct translate_options to;
	struct load_options lo = { 0 };
	struct build_result r;
	struct source_git *sg;
	struct pipeline *p;
	struct diag_list diags;
	char **lines;
	size_t n;
	long errors;
	int rc;

	cmd_hook_git_options(cfg, repo, commit, &go);
	diag_list_init(&diags);
	rc = source_git_open(&go, &sg, &diags);
	for (size_t i = 0; i < diags.n; i++) {
		printf("%.*s: ", SHORT_COMMIT, commit);
		diag_print(stdout, &diags.items[i]);
	}
	diag_list_free(&diags);
	if (rc < 0)
		return -1;
	if (source_git_scan(sg, &files) < 0) {
		for (size_t i = 0; i < files.diags.n; i++) {
			printf("%.*s: ", SHORT_COMMIT, commit);
			diag_print(stdout, &files.diags.items[i]);
		}
		source_files_free(&files);
		source_git_close(sg);
		return -1;
	}
	cmd_translate_options(cfg, &to);
	p = pipeline_new(&lo);
	pipeline_build(p, &files, cfg, &to, &r);
	r.owner = p;
	lines = report_lines(&r, &n);
	/* "abc1234:shop/app.yaml:12:7: error: ..." */
	for (size_t i = 0; i < n; i++)
		printf("%.*s:%s%s\n", SHORT_COMMIT, files.revision,
		    strncmp(lines[i], "error: ", 7) == 0 ||
		    strncmp(lines[i], "warning: ", 9) == 0 ? " " : "", lines[i]);
	report_lines_free(lines, n);
	printf("%.*s: %zu objects, %zu valid, %zu invalid, %zu orphaned\n",
	    SHORT_COMMIT, files.revision, r.dag->nstatuses,
	    dag_count_status(r.dag, DAG_STATUS_VALID),
	    dag_count_status(r.dag, DAG_STATUS_INVALID),
	    dag_count_status(r.dag, DAG_STATUS_ORPHANED));
	errors = (long)build_result_error_count(&r);
	build_result_free(&r);
	source_files_free(&files);
	source_git_close(sg);
	return errors;
}

static bool
is_zero_id(const char *id)
{
	return id[0] != '\0' && id[strspn(id, "0")] == '\0';
}

/* git's pre-receive protocol: one "old new ref" line per updated ref on
 * stdin; a non-zero exit refuses the whole push. Only the served branch
 * is checked; deleting it is allowed (cairn keeps serving its last
 * commit), other refs pass. */
static int
check_pre_receive(const struct cairn_config *cfg, const char *repo)
{
	const char *branch = cfg->source.git.branch[0] ? cfg->source.git.branch :
	    SOURCE_GIT_DEFAULT_BRANCH;
	char *want = NULL, line[4096];
	int status = CMD_EXIT_OK;

	if (asprintf(&want, "refs/heads/%s", branch) < 0)
		return CMD_EXIT_USAGE;
	while (fgets(line, sizeof line, stdin) != NULL) {
		char *save = NULL, *old_id, *new_id, *ref;
		long errors;

		old_id = strtok_r(line, " \t\r\n", &save);
		new_id = strtok_r(NULL, " \t\r\n", &save);
		ref = strtok_r(NULL, " \t\r\n", &save);
		if (old_id == NULL || new_id == NULL || ref == NULL) {
			fprintf(stderr, "cairn check --pre-receive: expected "
			    "\"old new ref\" lines on stdin\n");
			status = CMD_EXIT_USAGE;
			break;
		}
		if (strcmp(ref, want) != 0 || is_zero_id(new_id))
			continue;
		errors = pre_receive_commit(cfg, repo, new_id);
		if (errors < 0) {
			printf("cairn: cannot read commit %.*s of %s; push refused\n",
			    SHORT_COMMIT, new_id, ref);
			status = CMD_EXIT_USAGE;
		} else if (errors > 0) {
			printf("cairn: %s: commit %.*s has %ld error%s; push refused\n",
			    ref, SHORT_COMMIT, new_id, errors, errors == 1 ? "" : "s");
			if (status == CMD_EXIT_OK)
				status = CMD_EXIT_PROBLEMS;
		} else {
			/* Accepted: show the team what the deploy will do. */
			printf("cairn: %s %.*s..%.*s: plan\n", ref, SHORT_COMMIT, old_id,
			    SHORT_COMMIT, new_id);
			fflush(stdout);
			if (cmd_diff_hook_plan(cfg, repo, old_id, new_id, stdout) < 0)
				printf("cairn: cannot compute the plan (the push is accepted)\n");
		}
	}
	fflush(stdout);
	free(want);
	return status;
}

int
cmd_check(int argc, char **argv)
{
	struct cmd_parser parser;
	struct cmd_flags f = { .format = "text" };
	struct cairn_config cfg;
	struct build_result r;
	bool pre_receive = false;
	size_t errors;
	int c, rc;

	cmd_parser_init(&parser, &check_spec);
	while ((c = cmd_parser_next(&parser, argc, argv)) != -1) {
		switch (c) {
		case 'c': f.config_path = optarg; break;
		case 's': f.source_dir = optarg; break;
		case 'g': f.git_repo = optarg; break;
		case 'r': f.rev = optarg; break;
		case 'f': f.format = optarg; break;
		case 'P': pre_receive = true; break;
		case 'b': f.branch = optarg; break;
		case 'h': cmd_usage(&check_spec, stdout); return CMD_EXIT_OK;
		default: cmd_usage_hint(&check_spec); return CMD_EXIT_USAGE;
		}
	}
	if (cmd_positional_source(argc, argv, optind, &f) < 0) {
		cmd_usage_hint(&check_spec);
		return CMD_EXIT_USAGE;
	}
	if (strcmp(f.format, "text") != 0 && strcmp(f.format, "json") != 0) {
		fprintf(stderr, "cairn check: unknown --format \"%s\" (text or json)\n", f.format);
		return CMD_EXIT_USAGE;
	}
	if (pre_receive) {
		/* The repository the hook runs in: git sets GIT_DIR (and the
		 * cwd); --git overrides for running it by hand. */
		if (f.source_dir || f.rev) {
			fprintf(stderr, "cairn check: --pre-receive takes neither "
			    "--source nor --rev\n");
			return CMD_EXIT_USAGE;
		}
		if (f.git_repo == NULL)
			f.git_repo = getenv("GIT_DIR") && getenv("GIT_DIR")[0] ?
			    getenv("GIT_DIR") : ".";
		if (cmd_load_config(&f, &cfg) < 0)
			return CMD_EXIT_USAGE;
		rc = check_pre_receive(&cfg, f.git_repo);
		config_free(&cfg);
		return rc;
	}
	if (cmd_load_config(&f, &cfg) < 0)
		return CMD_EXIT_USAGE;
	if (cmd_build_once(&cfg, f.rev, &r) < 0) {
		config_free(&cfg);
		return CMD_EXIT_USAGE;
	}
	if (strcmp(f.format, "json") == 0) {
		json_t *j = report_json(&r);

		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		report_text(stdout, &r);
	}
	errors = build_result_error_count(&r);
	build_result_free(&r);
	config_free(&cfg);
	return errors ? CMD_EXIT_PROBLEMS : CMD_EXIT_OK;
}
