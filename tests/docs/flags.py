#!/usr/bin/python3
"""Every subcommand's flags agree in three places (TAP): what its parser
accepts, what its --help lists (with a default for every flag), and what
man/cairn.1 shows in SYNOPSIS and OPTIONS, choice lists included
(--format yaml|json|pb). The commands are the ones `cairn --help` lists, so
a new subcommand is checked without touching this file.

usage: flags.py CAIRN MANPAGE
"""
import re
import subprocess
import sys

cairn, manpage = sys.argv[1], sys.argv[2]
n = 0
failed = 0


def ok(cond, desc, diag=""):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, desc))
    if not cond:
        failed += 1
        for line in str(diag).splitlines()[:30]:
            print("# " + line)


def run(*args):
    p = subprocess.run([cairn, *args], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


# --- the commands
rc, out, _ = run("--help")
commands = re.findall(r"^  (\S+)\s", out.split("commands:", 1)[-1], re.M)
ok(rc == 0 and "serve" in commands, "cairn --help lists the commands", out)

# --- man/cairn.1: SYNOPSIS per command, and the OPTIONS section
man = open(manpage, encoding="utf-8").read().replace("\\-", "-")
synopsis = man.split(".SH SYNOPSIS", 1)[1].split("\n.SH ", 1)[0]
options_sec = man.split("\n.SH OPTIONS", 1)[1].split("\n.SH ", 1)[0]
man_syn = {}  # command -> {flag: choices or None}
for chunk in re.split(r"\n\.br\n", synopsis):
    m = re.search(r"^\.B cairn (\S+)", chunk.strip(), re.M)
    if not m:
        continue
    flags = man_syn.setdefault(m.group(1), {})
    lines = chunk.strip().splitlines()
    for i, line in enumerate(lines):
        for f in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])", line):
            if f == "--pre-receive" and line.startswith(".B cairn"):
                flags[f] = None
                continue
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            choice = re.match(r"^\.BR ([a-z0-9]+(?: \| [a-z0-9]+)+) \]", nxt)
            flags[f] = choice.group(1).replace(" ", "") if choice else None

# --- each command
for cmd in commands:
    rc, out, err = run(cmd, "--help")
    ok(rc == 0 and out.startswith("usage: cairn %s" % cmd) and err == "",
       "%s --help prints its usage on stdout, exit 0" % cmd, out + err)
    rows = re.findall(r"^  (?:-([a-zA-Z]), |    )--([a-z][a-z0-9-]*)(?: (\S+))?\s+(.*)$",
                      out.split("\noptions:\n", 1)[-1], re.M)
    helpf = {name: (short, arg, text) for short, name, arg, text in rows}
    ok("help" in helpf, "%s --help lists -h, --help" % cmd, out)
    nodef = [name for name, (_, _, text) in helpf.items()
             if name != "help" and "(default: " not in text]
    ok(not nodef, "%s --help gives every flag's default" % cmd, "no default: %s" % nodef)

    # The parser takes every flag --help lists (and its argument), and
    # refuses one it does not list.
    refused = []
    for name, (short, arg, _) in helpf.items():
        if name == "help":
            continue
        forms = ["--" + name] + (["-" + short] if short else [])
        for form in forms:
            args = [form] + (["x"] if arg else []) + ["--help"]
            rc, out2, err2 = run(cmd, *args)
            if rc != 0 or not out2.startswith("usage:"):
                refused.append("%s: exit %d %s" % (" ".join(args), rc, err2.strip()))
    ok(not refused, "%s: the parser takes every flag --help lists" % cmd, "\n".join(refused))
    rc, _, err2 = run(cmd, "--no-such-flag")
    ok(rc == 2 and "no-such-flag" in err2, "%s: the parser refuses a flag --help does not list" % cmd,
       err2)

    # The man page: SYNOPSIS names the same flags (by long or short form)
    # with the same choices; OPTIONS describes each.
    syn = man_syn.get(cmd)
    ok(syn is not None, "man/cairn.1 has a SYNOPSIS for %s" % cmd)
    syn = syn or {}
    missing, extra, choices = [], [], []
    for name, (short, arg, _) in helpf.items():
        if name == "help":
            continue
        forms = ["--" + name] + (["-" + short] if short else [])
        shown = [f for f in forms if f in syn]
        if not shown:
            missing.append(forms[0])
            continue
        want = arg if arg and "|" in arg else None
        got = syn[shown[0]]
        if want != got and not (want is None and got is None):
            choices.append("%s: --help %s, man %s" % (forms[0], want, got))
    for f in syn:
        name = f[2:] if f.startswith("--") else None
        if name is not None and name not in helpf:
            extra.append(f)
        if name is None and not any(s == f[1:] for s, _, _ in helpf.values()):
            extra.append(f)
    ok(not missing and not extra,
       "%s: man SYNOPSIS and --help list the same flags" % cmd,
       "missing from the man page: %s\nnot in --help: %s" % (missing, extra))
    ok(not choices, "%s: man SYNOPSIS and --help give the same choices" % cmd, "\n".join(choices))
    undocumented = [name for name, (short, _, _) in helpf.items()
                    if name != "help" and "--" + name not in options_sec]
    ok(not undocumented, "%s: every flag is described under OPTIONS in man/cairn.1" % cmd,
       "not under OPTIONS: %s" % undocumented)

print("1..%d" % n)
sys.exit(1 if failed else 0)
