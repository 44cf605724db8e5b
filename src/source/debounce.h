/* When to rebuild after source changes: "debounce" is the quiet time
 * after the last event, "max-delay" caps the wait while events keep
 * coming. Pure arithmetic on caller-supplied monotonic milliseconds, so
 * the event loop owns the timerfd and tests need no clock. */
#ifndef CAIRN_SOURCE_DEBOUNCE_H
#define CAIRN_SOURCE_DEBOUNCE_H

#include <stdbool.h>
#include <stdint.h>

struct debounce {
	int64_t debounce_ms, max_delay_ms;
	int64_t first_ms, last_ms; /* first and last event since the last rebuild */
	bool pending;
};

/* debounce_ms <= 0: rebuild at once; max_delay_ms < 0: no upper bound
 * (0 is an upper bound of zero, i.e. also at once). */
void debounce_init(struct debounce *d, int64_t debounce_ms, int64_t max_delay_ms);
void debounce_event(struct debounce *d, int64_t now_ms);
/* ms until the rebuild should run (0 = now), or -1 when nothing is pending */
int64_t debounce_timeout(const struct debounce *d, int64_t now_ms);
void debounce_fire(struct debounce *d); /* the rebuild ran */

#endif
