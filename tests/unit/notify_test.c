/* sd_notify messages, checked from the service manager's side: a unix
 * datagram socket (a path in a temporary directory, or an abstract name)
 * named by NOTIFY_SOCKET. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

struct manager {
	char dir[64];
	char path[128];
	int fd;
};

/* Bind the manager's socket; abstract: "@name" instead of a path. */
static void
manager_open(struct manager *m, bool abstract)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { 2, 0 }; /* bound every wait */
	socklen_t len;

	memset(m, 0, sizeof *m);
	m->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(m->fd >= 0);
	assert_int_equal(setsockopt(m->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
	if (abstract) {
		snprintf(m->path, sizeof m->path, "@cairn-notify-test-%d", (int)getpid());
		memcpy(sun.sun_path, m->path, strlen(m->path));
		sun.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(m->path));
	} else {
		strcpy(m->dir, "/tmp/cairn-notify-XXXXXX");
		assert_non_null(mkdtemp(m->dir));
		snprintf(m->path, sizeof m->path, "%s/notify", m->dir);
		strcpy(sun.sun_path, m->path);
		len = sizeof sun;
	}
	assert_int_equal(bind(m->fd, (struct sockaddr *)&sun, len), 0);
	setenv("NOTIFY_SOCKET", m->path, 1);
}

static void
manager_close(struct manager *m)
{
	close(m->fd);
	if (m->dir[0]) {
		unlink(m->path);
		rmdir(m->dir);
	}
	unsetenv("NOTIFY_SOCKET");
}

/* The next datagram, NUL-terminated (static buffer). */
static const char *
manager_recv(struct manager *m)
{
	static char buf[4096];
	ssize_t n = recv(m->fd, buf, sizeof buf - 1, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static void
test_messages(struct manager *m)
{
	const char *msg;
	unsigned long long usec;

	assert_int_equal(notify_ready("serving revision abc: 3 objects"), 1);
	assert_string_equal(manager_recv(m), "READY=1\nSTATUS=serving revision abc: 3 objects");
	assert_int_equal(notify_ready(NULL), 1);
	assert_string_equal(manager_recv(m), "READY=1");
	assert_int_equal(notify_reloading(), 1);
	msg = manager_recv(m);
	assert_int_equal(strncmp(msg, "RELOADING=1\nMONOTONIC_USEC=", 27), 0);
	assert_int_equal(sscanf(msg + 27, "%llu", &usec), 1);
	assert_true(usec > 0);
	assert_int_equal(notify_status("%d Envoys\nconnected", 2), 1);
	assert_string_equal(manager_recv(m), "STATUS=2 Envoys connected");
	assert_int_equal(notify_watchdog(), 1);
	assert_string_equal(manager_recv(m), "WATCHDOG=1");
	assert_int_equal(notify_stopping(), 1);
	assert_string_equal(manager_recv(m), "STOPPING=1");
}

static void
test_path_socket(void **state)
{
	struct manager m;

	(void)state;
	manager_open(&m, false);
	test_messages(&m);
	manager_close(&m);
}

static void
test_abstract_socket(void **state)
{
	struct manager m;

	(void)state;
	manager_open(&m, true);
	test_messages(&m);
	manager_close(&m);
}

static void
test_without_manager(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_ready("x"), 0);
	assert_int_equal(notify_reloading(), 0);
	assert_int_equal(notify_stopping(), 0);
	assert_int_equal(notify_status("x"), 0);
	assert_int_equal(notify_watchdog(), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(notify_ready(NULL), 0);
	/* Not an absolute path nor an abstract name: an error, not a crash. */
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(notify_ready(NULL), -1);
	/* Nobody listening. */
	setenv("NOTIFY_SOCKET", "/nonexistent/cairn/notify", 1);
	assert_int_equal(notify_ready(NULL), -1);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_watchdog_usec(void **state)
{
	char pid[32];

	(void)state;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	assert_int_equal(notify_watchdog_usec(), 30000000);
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_watchdog_usec(), 30000000);
	/* Meant for another process (inherited by a child). */
	snprintf(pid, sizeof pid, "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "soon", 1);
	assert_int_equal(notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "0", 1);
	assert_int_equal(notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_socket),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_without_manager),
		cmocka_unit_test(test_watchdog_usec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
