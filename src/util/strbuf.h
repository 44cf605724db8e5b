/* A growable byte string for building output (dumps, messages, HTTP bodies). */
#ifndef CAIRN_STRBUF_H
#define CAIRN_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf; /* always NUL-terminated once anything was added */
	size_t len, cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* RE2 text matching s literally (the metacharacters escaped). */
void strbuf_put_regex_literal(struct strbuf *sb, const char *s);
void strbuf_reset(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
/* Hand the buffer to the caller (never NULL) and reset sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len_out);

#endif
