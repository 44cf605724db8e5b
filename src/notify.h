/* The service manager notification protocol (sd_notify(3)): datagrams of
 * "KEY=VALUE\n" lines sent to the unix socket named by $NOTIFY_SOCKET.
 *
 * cairn always uses its own few lines instead of libsystemd's sd_notify():
 * the protocol is small and stable, the daemon then behaves the same with
 * and without libsystemd, and tests can play the manager's side by binding
 * a socket and setting NOTIFY_SOCKET. Paths and abstract names ("@name")
 * are supported; vsock addresses are not.
 *
 * Without NOTIFY_SOCKET nothing is sent and every call returns 0. Every
 * function is thread-safe (each call opens its own socket) and never
 * blocks: a full manager queue drops the message (-1, EAGAIN). */
#ifndef CAIRN_NOTIFY_H
#define CAIRN_NOTIFY_H

#include <stdint.h>

/* Returns 1 if sent, 0 without NOTIFY_SOCKET, -1 on error (errno set). */
int notify_send(const char *message);
/* READY=1, with STATUS=status unless status is NULL: after the first
 * snapshot is built and the xDS port listens, and after every reload. */
int notify_ready(const char *status);
/* RELOADING=1 with MONOTONIC_USEC=now: a reload (SIGHUP) began. Follow it
 * with notify_ready() when the reload is done. */
int notify_reloading(void);
/* STOPPING=1: graceful shutdown began. */
int notify_stopping(void);
/* STATUS=..., one line shown by systemctl status (newlines become spaces). */
int notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The watchdog interval the manager expects from this process in
 * microseconds (WATCHDOG_USEC, honouring WATCHDOG_PID), or 0 when the
 * watchdog is off. Ping at half of it. */
uint64_t notify_watchdog_usec(void);
/* WATCHDOG=1: this process is alive (send it from the loop that must keep
 * running, so a stuck loop is noticed). */
int notify_watchdog(void);

#endif
