#include "ads/trim.h"

static bool
burst_due(const struct ads_trim *t, uint64_t sent)
{
	return sent - t->trimmed_at >= ADS_TRIM_AFTER_BYTES;
}

int
ads_trim_wait_ms(const struct ads_trim *t, uint64_t sent)
{
	if (burst_due(t, sent))
		return ADS_TRIM_IDLE_MS;
	if (t->events && t->followups > 0)
		return ADS_TRIM_SETTLE_MS;
	return -1;
}

void
ads_trim_event(struct ads_trim *t)
{
	t->events = true;
}

enum ads_trim_kind
ads_trim_timeout(struct ads_trim *t, uint64_t sent)
{
	enum ads_trim_kind kind;

	if (burst_due(t, sent)) {
		kind = ADS_TRIM_BURST;
		t->followups = ADS_TRIM_FOLLOWUPS;
	} else if (t->events && t->followups > 0) {
		kind = ADS_TRIM_FOLLOWUP;
		t->followups--;
	} else {
		return ADS_TRIM_NONE;
	}
	t->trimmed_at = sent;
	t->events = false;
	return kind;
}
