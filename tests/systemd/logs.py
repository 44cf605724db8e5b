#!/usr/bin/python3
"""The real daemon's log lines (TAP): `cairn serve` started as systemd
would start it (stderr is the stream $JOURNAL_STREAM names) logs syslog
priorities; with stderr redirected to a file (the variable inherited but
naming another stream) and on a terminal it logs the time and a level
word, the word coloured on the terminal only.

usage: logs.py CAIRN QUICKSTART_DIR
"""
import os
import pty
import re
import select
import subprocess
import sys
import tempfile
import time

cairn, tree = sys.argv[1], sys.argv[2]
n = 0
failed = 0
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}"


def ok(cond, desc, diag=""):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, desc))
    if not cond:
        failed += 1
        for line in str(diag).splitlines()[:20]:
            print("# " + line)


# --insecure-xds on 0.0.0.0 gives one warning line besides the info lines.
ARGS = [cairn, "serve", "--insecure-xds", "--xds", "0.0.0.0:0", "--admin", "", tree]


def serve_to_file(env_of_file):
    """Runs serve with stderr on a file until its first snapshot; returns
    the text. env_of_file(st) gives JOURNAL_STREAM or None."""
    with tempfile.TemporaryFile() as f:
        st = os.fstat(f.fileno())
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        js = env_of_file(st)
        if js is not None:
            env["JOURNAL_STREAM"] = js
        p = subprocess.Popen(ARGS, stderr=f, stdout=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL, env=env)
        text = ""
        deadline = time.time() + 10
        while time.time() < deadline and "initial build" not in text:
            time.sleep(0.05)
            f.seek(0)
            text = f.read().decode("utf-8", "replace")
        p.terminate()
        p.wait(10)
        f.seek(0)
        return f.read().decode("utf-8", "replace")


journal = serve_to_file(lambda st: "%d:%d" % (st.st_dev, st.st_ino))
lines = journal.splitlines()
ok(lines and all(re.match(r"^<[3467]>\S", l) for l in lines),
   "under journald every line starts with its syslog priority", journal)
ok(any(re.match(r"^<4>.*plaintext", l) for l in lines) and
   any(l.startswith("<6>initial build") for l in lines),
   "warning is <4>, info is <6>", journal)

redirected = serve_to_file(lambda st: "%d:%d" % (st.st_dev, st.st_ino + 1))
lines = redirected.splitlines()
ok(lines and all(re.match("^" + TIME + r" (error|warning|info|debug): ", l) for l in lines),
   "stderr redirected away from the journal: time and level word on every line", redirected)
ok(any(re.match("^" + TIME + r" warning: .*plaintext", l) for l in lines) and
   not any("\033" in l or l.startswith("<") for l in lines),
   "no priority prefix and no colour in a file", redirected)

plain = serve_to_file(lambda st: None)
ok(re.search("^" + TIME + r" info: initial build", plain, re.M) is not None,
   "without JOURNAL_STREAM: time and level word", plain)

# On a terminal: the level word of a warning in colour.
pid, fd = pty.fork()
if pid == 0:
    env = dict(os.environ)
    env.pop("JOURNAL_STREAM", None)
    env.pop("NO_COLOR", None)
    env["TERM"] = "xterm"
    os.execve(cairn, ARGS, env)
out = b""
deadline = time.time() + 10
while time.time() < deadline and b"initial build" not in out:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            out += os.read(fd, 4096)
        except OSError:
            break
os.kill(pid, 15)
os.waitpid(pid, 0)
text = out.decode("utf-8", "replace")
ok(re.search("^" + TIME + " \033\\[33mwarning\033\\[0m: .*plaintext", text, re.M) is not None,
   "on a terminal the warning's level word is yellow", repr(text))
ok(re.search("^" + TIME + " info: initial build", text, re.M) is not None,
   "and info lines carry the time, uncoloured", repr(text))

print("1..%d" % n)
sys.exit(1 if failed else 0)
