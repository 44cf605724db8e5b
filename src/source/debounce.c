#include "source/debounce.h"

#include <string.h>

void
debounce_init(struct debounce *d, int64_t debounce_ms, int64_t max_delay_ms)
{
	memset(d, 0, sizeof *d);
	d->debounce_ms = debounce_ms < 0 ? 0 : debounce_ms;
	d->max_delay_ms = max_delay_ms;
}

void
debounce_event(struct debounce *d, int64_t now_ms)
{
	if (!d->pending) {
		d->pending = true;
		d->first_ms = now_ms;
		d->last_ms = now_ms;
		return;
	}
	/* A clock that steps back must not push the deadline out. */
	if (now_ms > d->last_ms)
		d->last_ms = now_ms;
}

int64_t
debounce_timeout(const struct debounce *d, int64_t now_ms)
{
	int64_t deadline;

	if (!d->pending)
		return -1;
	deadline = d->last_ms + d->debounce_ms;
	if (d->max_delay_ms >= 0 && d->first_ms + d->max_delay_ms < deadline)
		deadline = d->first_ms + d->max_delay_ms;
	if (deadline <= now_ms)
		return 0;
	return deadline - now_ms;
}

void
debounce_fire(struct debounce *d)
{
	d->pending = false;
	d->first_ms = 0;
	d->last_ms = 0;
}
