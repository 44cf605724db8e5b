/* The subcommands, and what they share: flags, config resolution and
 * loading a source once. */
#ifndef CAIRN_CMD_H
#define CAIRN_CMD_H

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
/* `cairn serve DIR` and friends: a lone positional argument is --source. */
int cmd_positional_source(int argc, char **argv, int optind_now,
    struct cmd_flags *f);

/* One GET to cairn's admin endpoint (cmd_status.c): the HTTP status code
 * with the body appended to body, or -1 with *err set (caller frees). */
struct strbuf;
int cmd_admin_get(const char *addr, const char *path, struct strbuf *body,
    char **err);

/* cairn check --pre-receive: the plan of an accepted push (old_id may be
 * the zero id), as text on fp. Returns -1 when a commit cannot be read. */
int cmd_diff_hook_plan(const struct cairn_config *cfg, const char *repo,
    const char *old_id, const char *new_id, FILE *fp);

#endif
