// Starts the real daemon (`$CAIRN serve`) on free loopback ports for a test and stops it.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitPort(port, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not open within ${ms} ms`);
}

// args: extra arguments after `serve` (a directory, flags). Returns {xds, admin, stop(), stderr(),
// waitForLog(re, ms)}.
// uid: run the daemon as that user (the test runs as root), so permissions apply.
async function startServe(args, { debounce, uid } = {}) {
  const cairn = process.env.CAIRN;
  if (!cairn) throw new Error('CAIRN is not set');
  const xdsPort = await freePort();
  const adminPort = await freePort();
  const child = spawn(cairn, ['serve', ...args, '--xds', `127.0.0.1:${xdsPort}`,
    '--admin', `127.0.0.1:${adminPort}`],
  { stdio: ['ignore', 'ignore', 'pipe'], ...(uid !== undefined ? { uid, gid: uid } : {}) });
  let stderr = '';
  const waiters = [];
  child.stderr.on('data', (d) => {
    stderr += d;
    for (const w of waiters.splice(0)) if (!w.check()) waiters.push(w);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    await waitPort(xdsPort, 10000);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${e.message}; stderr:\n${stderr}`);
  }
  return {
    xds: `127.0.0.1:${xdsPort}`,
    admin: `127.0.0.1:${adminPort}`,
    stderr: () => stderr,
    signal: (sig) => child.kill(sig),
    waitForLog(re, ms) {
      return new Promise((resolve, reject) => {
        const w = {
          check: () => {
            if (!re.test(stderr)) return false;
            clearTimeout(w.timer);
            resolve();
            return true;
          },
        };
        if (w.check()) return;
        w.timer = setTimeout(() => reject(new Error(`no log line matching ${re} within ${ms} ms; stderr:\n${stderr}`)), ms);
        waiters.push(w);
      });
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      const st = await exited;
      clearTimeout(timer);
      return st;
    },
  };
}

function copyTree(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, e.name);
    const b = path.join(to, e.name);
    if (e.isDirectory()) copyTree(a, b);
    else fs.copyFileSync(a, b);
  }
}

module.exports = { startServe, copyTree, freePort };
