/* sd_notify without libsystemd: see notify.h for why. */
#include "notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/xalloc.h"

/* Fill a unix address from $NOTIFY_SOCKET: "/path" or "@abstract". */
static int
notify_address(const char *name, struct sockaddr_un *sun, socklen_t *len)
{
	size_t n = strlen(name);

	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if ((name[0] != '/' && name[0] != '@') || n < 2 || n >= sizeof sun->sun_path) {
		errno = EINVAL;
		return -1;
	}
	memcpy(sun->sun_path, name, n);
	if (name[0] == '@') {
		/* Abstract names are not NUL-terminated: the length says
		 * where they end. */
		sun->sun_path[0] = '\0';
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

int
notify_send(const char *message)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	ssize_t sent;
	int fd, saved;

	if (name == NULL || name[0] == '\0')
		return 0;
	if (notify_address(name, &sun, &len) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	do
		sent = sendto(fd, message, strlen(message), MSG_NOSIGNAL,
		    (struct sockaddr *)&sun, len);
	while (sent < 0 && errno == EINTR);
	saved = errno;
	close(fd);
	errno = saved;
	return sent < 0 ? -1 : 1;
}

/* STATUS= is one line: a newline would start a new KEY=VALUE pair. */
static void
notify_one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

int
notify_ready(const char *status)
{
	char *msg;
	int rc;

	if (status == NULL)
		return notify_send("READY=1");
	msg = xasprintf("READY=1\nSTATUS=%s", status);
	notify_one_line(msg + strlen("READY=1\nSTATUS="));
	rc = notify_send(msg);
	free(msg);
	return rc;
}

int
notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	/* systemd >= 253 wants the reload's start time on the same clock
	 * it uses, to tell this reload from a later one. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	return notify_send(msg);
}

int
notify_stopping(void)
{
	return notify_send("STOPPING=1");
}

int
notify_status(const char *fmt, ...)
{
	va_list ap;
	char *line, *msg;
	int rc;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	notify_one_line(line);
	msg = xasprintf("STATUS=%s", line);
	rc = notify_send(msg);
	free(msg);
	free(line);
	return rc;
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

uint64_t
notify_watchdog_usec(void)
{
	uint64_t usec, pid;
	const char *p = getenv("WATCHDOG_PID");

	if (parse_u64(getenv("WATCHDOG_USEC"), &usec) < 0 || usec == 0)
		return 0;
	/* The variables are inherited by children: they are meant for the
	 * process named in WATCHDOG_PID only. */
	if (p != NULL && (parse_u64(p, &pid) < 0 || pid != (uint64_t)getpid()))
		return 0;
	return usec;
}

int
notify_watchdog(void)
{
	return notify_send("WATCHDOG=1");
}
