/* The subcommands, and what they share: flags, config resolution and
 * loading a source once. */
#ifndef CAIRN_CMD_H
#define CAIRN_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "pipeline.h"

enum {
	CMD_EXIT_OK = 0,
	CMD_EXIT_PROBLEMS = 1, /* the input has problems */
	CMD_EXIT_USAGE = 2, /* usage, I/O or internal error */
};

int cmd_serve(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_bootstrap(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* Flags every command may take; NULL = not given on the command line. */
struct cmd_flags {
	const char *config_path;
	const char *source_dir;
	const char *git_repo, *branch, *rev;
	const char *xds_addr, *admin_addr;
	bool insecure_xds;
	const char *log_level;
	const char *format, *type;
	bool show_secrets;
	const char *state_dir; /* dump --state-dir */
};

/* Read the config file (-c, else /etc/cairn/cairn.yaml if it exists, else
 * defaults) and apply flags over it. Prints problems; returns -1 on error. */
int cmd_load_config(const struct cmd_flags *f, struct cairn_config *cfg);
/* The translator's view of the config. */
void cmd_translate_options(const struct cairn_config *cfg,
    struct translate_options *to);
/* Scan the configured source once and build it. Returns -1 (message
 * printed) when the source cannot be read at all. */
int cmd_build_once(const struct cairn_config *cfg, const char *rev,
    struct build_result *out);
/* The same, serving a file that does not parse from its persisted last
 * good copy in lg (borrowed, opened read-only; NULL = none), as serve
 * does after a restart. */
struct lastgood;
int cmd_build_once_lastgood(const struct cairn_config *cfg, const char *rev,
    struct lastgood *lg, struct build_result *out);
/* `cairn serve DIR` and friends: a lone positional argument is --source. */
int cmd_positional_source(int argc, char **argv, int optind_now,
    struct cmd_flags *f);

/* One GET to cairn's admin endpoint (cmd_status.c): the HTTP status code
 * with the body appended to body, or -1 with *err set (caller frees). */
struct strbuf;
int cmd_admin_get(const char *addr, const char *path, struct strbuf *body,
    char **err);

/* The git source of one pushed commit in a pre-receive hook: cfg's
 * branch, path and file size limit, with the objects git still keeps in
 * quarantine. Serves cairn check --pre-receive and the hook's plan. */
struct source_git_options;
void cmd_hook_git_options(const struct cairn_config *cfg, const char *repo,
    const char *commit, struct source_git_options *go);

/* cairn check --pre-receive: the plan of an accepted push (old_id may be
 * the zero id), as text on fp. Returns -1 when a commit cannot be read. */
int cmd_diff_hook_plan(const struct cairn_config *cfg, const char *repo,
    const char *old_id, const char *new_id, FILE *fp);

/* Command-line flags: ONE table per subcommand drives both the parser
 * (getopt_long) and --help, so they cannot disagree.
 *
 * To add a flag to a command: add a row to its table (long name; the id
 * its switch sees: a letter, or a value from CMD_FLAG_IDS for a long-only
 * flag if the letters run out; the short letter or 0 for long-only; the
 * argument's name or NULL for a switch, with the choices spelled "a|b|c";
 * the default as the help should show it, or NULL; one line of help),
 * handle the id in the command's switch, and add the flag to the command's
 * SYNOPSIS and to OPTIONS in man/cairn.1: tests/docs/flags.sh fails until
 * the parser, --help and the man page agree. A new command: a table, a
 * struct cmd_spec, cmd_parser_init/cmd_parser_next in its loop, cmd_usage
 * for 'h', cmd_usage_hint for usage errors, and a SYNOPSIS entry in man/cairn.1.
 * -h/--help is added to every table by the parser (id 'h'). */
struct cmd_flag {
	const char *name; /* long name, without "--" */
	int id; /* what cmd_parser_next returns for it */
	char short_name; /* 0 = long only */
	const char *arg; /* NULL = takes no argument */
	const char *def; /* the default shown by --help, NULL = none shown */
	const char *help;
};

struct cmd_spec {
	const char *name; /* the subcommand */
	const char *operands; /* after [OPTIONS] in the usage line, or NULL */
	const char *more_usage; /* further usage lines ("       cairn ..."), or NULL */
	const char *summary; /* one sentence */
	const struct cmd_flag *flags;
	size_t nflags;
	const char *epilog; /* after the options, or NULL */
};

#define CMD_MAX_FLAGS 32

struct cmd_parser {
	const struct cmd_spec *spec;
	struct option longopts[CMD_MAX_FLAGS + 2];
	char shortopts[3 * CMD_MAX_FLAGS + 2];
};

/* Builds the getopt tables from spec and resets optind. */
void cmd_parser_init(struct cmd_parser *p, const struct cmd_spec *spec);
/* getopt_long over the table: a row's id, '?' for an unknown flag or a
 * missing argument (getopt printed why), -1 at the end. */
int cmd_parser_next(struct cmd_parser *p, int argc, char **argv);
/* The usage line, the summary and every flag with its default. */
void cmd_usage(const struct cmd_spec *spec, FILE *fp);
/* After a usage error: the usage lines and where the options are, on stderr. */
void cmd_usage_hint(const struct cmd_spec *spec);

#endif
