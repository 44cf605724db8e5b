/* One flag table per subcommand drives both getopt_long and --help, so
 * the help cannot forget a flag the parser takes. The man
 * page is checked against both by tests/docs/flags.sh. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const struct cmd_flag help_flag = {
	"help", 'h', 'h', NULL, NULL, "print this help and exit",
};

static const struct cmd_flag *
flag_at(const struct cmd_spec *spec, size_t i)
{
	return i < spec->nflags ? &spec->flags[i] : &help_flag;
}

void
cmd_parser_init(struct cmd_parser *p, const struct cmd_spec *spec)
{
	size_t n = 0, s = 0;

	memset(p, 0, sizeof *p);
	p->spec = spec;
	/* Every table gets -h/--help; the last row is the terminator. */
	for (size_t i = 0; i <= spec->nflags && n < CMD_MAX_FLAGS; i++, n++) {
		const struct cmd_flag *f = flag_at(spec, i);

		p->longopts[n].name = f->name;
		p->longopts[n].has_arg = f->arg ? required_argument : no_argument;
		p->longopts[n].flag = NULL;
		p->longopts[n].val = f->id;
		if (f->short_name) {
			p->shortopts[s++] = f->short_name;
			if (f->arg)
				p->shortopts[s++] = ':';
		}
	}
	p->shortopts[s] = '\0';
	optind = 1;
}

int
cmd_parser_next(struct cmd_parser *p, int argc, char **argv)
{
	return getopt_long(argc, argv, p->shortopts, p->longopts, NULL);
}

/* "  -c, --config FILE" or "      --sotw": the left column of a help row. */
static int
flag_column(const struct cmd_flag *f, char *buf, size_t size)
{
	return snprintf(buf, size, "  %c%c%s--%s%s%s",
	    f->short_name ? '-' : ' ', f->short_name ? f->short_name : ' ',
	    f->short_name ? ", " : "  ", f->name, f->arg ? " " : "", f->arg ? f->arg : "");
}

static void
usage_lines(const struct cmd_spec *spec, FILE *fp)
{
	fprintf(fp, "usage: cairn %s [OPTIONS]%s%s\n", spec->name,
	    spec->operands ? " " : "", spec->operands ? spec->operands : "");
	if (spec->more_usage)
		fprintf(fp, "%s", spec->more_usage);
}

void
cmd_usage_hint(const struct cmd_spec *spec)
{
	usage_lines(spec, stderr);
	fprintf(stderr, "Run 'cairn %s --help' for every option and its default.\n", spec->name);
}

void
cmd_usage(const struct cmd_spec *spec, FILE *fp)
{
	char col[128];
	int width = 0;

	usage_lines(spec, fp);
	fprintf(fp, "\n%s\n\noptions:\n", spec->summary);
	for (size_t i = 0; i <= spec->nflags; i++) {
		int w = flag_column(flag_at(spec, i), col, sizeof col);

		if (w > width)
			width = w;
	}
	for (size_t i = 0; i <= spec->nflags; i++) {
		const struct cmd_flag *f = flag_at(spec, i);

		flag_column(f, col, sizeof col);
		fprintf(fp, "%-*s  %s", width, col, f->help);
		if (f->def)
			fprintf(fp, " (default: %s)", f->def);
		fputc('\n', fp);
	}
	if (spec->epilog)
		fprintf(fp, "\n%s", spec->epilog);
}
