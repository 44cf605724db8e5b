/* Shared by the files of delta xDS only (ads/delta.h is its API):
 * delta.c (what to send, encoding, status) and delta_request.c (the
 * requests: subscriptions, ACKs and NACKs, initial versions). */
#ifndef CAIRN_ADS_DELTA_INTERNAL_H
#define CAIRN_ADS_DELTA_INTERNAL_H

#include "ads/delta.h"

#include <stddef.h>

void delta_free_overlay(struct delta_entry *o, size_t n);

int delta_cmp_entry(const void *a, const void *b);

#endif
