#include "util/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void
diag_list_init(struct diag_list *dl)
{
	memset(dl, 0, sizeof *dl);
}

void
diag_list_free(struct diag_list *dl)
{
	for (size_t i = 0; i < dl->n; i++) {
		free(dl->items[i].file);
		free(dl->items[i].message);
	}
	free(dl->items);
	memset(dl, 0, sizeof *dl);
}

static void
diag_push(struct diag_list *dl, enum diag_severity sev, const char *file,
    int line, int col, char *message)
{
	struct diag d = {
		.severity = sev,
		.file = xstrdup(file ? file : ""),
		.line = line,
		.col = col,
		.message = message,
	};

	ARRAY_PUSH(dl->items, dl->n, dl->cap, d);
	if (sev == DIAG_ERROR)
		dl->nerrors++;
}

void
diag_add(struct diag_list *dl, enum diag_severity sev, const char *file,
    int line, int col, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diag_push(dl, sev, file, line, col, msg);
}

void
diag_list_append(struct diag_list *dst, const struct diag_list *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct diag *d = &src->items[i];

		diag_push(dst, d->severity, d->file, d->line, d->col,
		    xstrdup(d->message));
	}
}

void
diag_format(const struct diag *d, char *buf, size_t size)
{
	const char *sev = d->severity == DIAG_ERROR ? "error" : "warning";

	if (d->file[0] && d->line > 0)
		snprintf(buf, size, "%s:%d:%d: %s: %s", d->file, d->line,
		    d->col, sev, d->message);
	else if (d->file[0])
		snprintf(buf, size, "%s: %s: %s", d->file, sev, d->message);
	else
		snprintf(buf, size, "%s: %s", sev, d->message);
}

void
diag_print(FILE *fp, const struct diag *d)
{
	char buf[2048];

	diag_format(d, buf, sizeof buf);
	fprintf(fp, "%s\n", buf);
}

static int
diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return strcmp(x->message, y->message);
}

void
diag_list_sort(struct diag_list *dl)
{
	if (dl->n > 1)
		qsort(dl->items, dl->n, sizeof dl->items[0], diag_cmp);
}
