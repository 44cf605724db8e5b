/* When the ADS completion-queue thread gives free heap pages back to the
 * kernel (malloc_trim). A burst of initial syncs touches many pages that
 * glibc keeps in its arenas: grpc's per-call and transport buffers, the
 * encoded bodies. Most are freed by the time the queue goes quiet after
 * the sends, and the first trim comes then. Some are freed later still,
 * while the queue handles what the sends bring back (the Envoys' ACKs,
 * write completions of the transport's last buffers), and at 10,000
 * proxies with 1,000 streams those are tens of MiB the first trim could
 * not give back (docs/performance.md, "Memory round 6"). So after a
 * burst's trim, each quiet moment that follows more events trims again, a
 * bounded number of times, and then the queue waits for events with no
 * timeout again.
 *
 * Pure bookkeeping, no clock and no malloc call of its own, so the policy
 * can be tested by itself (tests/unit/ads_trim_test.c). One owner thread. */
#ifndef CAIRN_ADS_TRIM_H
#define CAIRN_ADS_TRIM_H

#include <stdbool.h>
#include <stdint.h>

/* A burst: this many bytes sent since the last trim, then this much
 * quiet; not between two responses of one sync. */
#define ADS_TRIM_AFTER_BYTES ((uint64_t)1 << 20)
#define ADS_TRIM_IDLE_MS 50
/* After a burst's trim: quiet this long after further events trims again,
 * at most ADS_TRIM_FOLLOWUPS times before the next burst. Longer than a
 * burst's idle time so the replies of one wave are one trim, not many. */
#define ADS_TRIM_SETTLE_MS 250
#define ADS_TRIM_FOLLOWUPS 8

enum ads_trim_kind {
	ADS_TRIM_NONE,
	ADS_TRIM_BURST,		/* the sends of a burst are over */
	ADS_TRIM_FOLLOWUP,	/* what their replies freed */
};

struct ads_trim {
	uint64_t trimmed_at;	/* bytes sent at the last trim */
	int followups;		/* follow-up trims still allowed */
	bool events;		/* events handled since the last trim */
};

/* How long the queue may wait for its next event before a trim is due:
 * milliseconds, or -1 for no timeout. `sent` is the bytes sent so far. */
int ads_trim_wait_ms(const struct ads_trim *t, uint64_t sent);
/* The queue handled an event. */
void ads_trim_event(struct ads_trim *t);
/* The queue waited ads_trim_wait_ms() with no event: which trim to make
 * now (ADS_TRIM_NONE when none was due), the state updated as made. */
enum ads_trim_kind ads_trim_timeout(struct ads_trim *t, uint64_t sent);

#endif
