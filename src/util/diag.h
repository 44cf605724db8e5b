/* Located problems ("file:line:col: error: ..."), collected rather than
 * reported one at a time so that every problem in an input is shown. */
#ifndef CAIRN_DIAG_H
#define CAIRN_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum diag_severity {
	DIAG_ERROR,
	DIAG_WARNING,
};

struct diag {
	enum diag_severity severity;
	char *file; /* path relative to the source root; may be "" */
	int line, col; /* 1-based; 0 when unknown */
	char *message;
};

struct diag_list {
	struct diag *items;
	size_t n, cap;
	size_t nerrors;
};

void diag_list_init(struct diag_list *dl);
void diag_list_free(struct diag_list *dl);
void diag_add(struct diag_list *dl, enum diag_severity sev, const char *file,
    int line, int col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Copy every diagnostic of src to the end of dst. */
void diag_list_append(struct diag_list *dst, const struct diag_list *src);
/* "file:line:col: error: message" (the position parts only when known). */
void diag_format(const struct diag *d, char *buf, size_t size);
void diag_print(FILE *fp, const struct diag *d);
/* Stable order: by file, line, column, then message. */
void diag_list_sort(struct diag_list *dl);

#endif
