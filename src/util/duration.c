#include "util/duration.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

static const struct {
	const char *unit;
	int64_t ns;
} duration_units[] = {
	/* Longest first so "ms" is not read as "m" followed by garbage. */
	{ "ms", 1000000LL },
	{ "us", 1000LL },
	{ "ns", 1LL },
	{ "h", 3600000000000LL },
	{ "m", 60000000000LL },
	{ "s", 1000000000LL },
};

int
duration_parse_ns(const char *s, int64_t *out_ns, const char **why)
{
	int64_t total = 0;
	const char *p = s;

	if (s == NULL || *s == '\0') {
		*why = "empty duration";
		return -1;
	}
	if (strcmp(s, "0") == 0) {
		*out_ns = 0;
		return 0;
	}
	while (*p) {
		int64_t whole = 0, frac = 0, frac_div = 1;
		size_t u;

		/* A number has a digit before or after its point (Go refuses
		 * ".s" too). */
		if (!isdigit((unsigned char)*p) &&
		    !(*p == '.' && isdigit((unsigned char)p[1]))) {
			*why = "expected a number followed by a unit (ns, us, ms, s, m, h), for example \"250ms\" or \"2s\"";
			return -1;
		}
		while (isdigit((unsigned char)*p)) {
			if (whole > INT64_MAX / 10 - 10) {
				*why = "duration is too large";
				return -1;
			}
			whole = whole * 10 + (*p++ - '0');
		}
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p)) {
				if (frac_div < 1000000000LL) {
					frac = frac * 10 + (*p - '0');
					frac_div *= 10;
				}
				p++;
			}
		}
		for (u = 0; u < sizeof duration_units / sizeof duration_units[0]; u++) {
			size_t ulen = strlen(duration_units[u].unit);

			if (strncmp(p, duration_units[u].unit, ulen) == 0) {
				int64_t ns = duration_units[u].ns;
				/* frac * ns overflows for "9.999999999h":
				 * split ns by frac_div (frac < frac_div <=
				 * 1e9, so neither product exceeds 4e18). */
				int64_t part = frac * (ns / frac_div) +
				    frac * (ns % frac_div) / frac_div;

				if (whole > (INT64_MAX - total) / ns ||
				    part > INT64_MAX - total - whole * ns) {
					*why = "duration is too large";
					return -1;
				}
				total += whole * ns + part;
				p += ulen;
				break;
			}
		}
		if (u == sizeof duration_units / sizeof duration_units[0]) {
			*why = "missing or unknown unit (use ns, us, ms, s, m or h), for example \"250ms\" or \"2s\"";
			return -1;
		}
	}
	*out_ns = total;
	return 0;
}

int
duration_parse_ms(const char *s, int64_t *out_ms, const char **why)
{
	int64_t ns;

	if (duration_parse_ns(s, &ns, why) < 0)
		return -1;
	*out_ms = ns / 1000000LL;
	return 0;
}
