// Shared by the fault and soak tests: a `cairn serve` spawned directly (its pid is needed for
// /proc), process probes (RSS, open fds), generated source trees and a stalling TCP proxy.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { freePort } = require('../protocol/lib/serve');

async function waitPort(port, ms, child) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child && child.exitCode !== null) throw new Error(`cairn exited with ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`port ${port} did not open within ${ms} ms`);
}

// Spawns `$CAIRN serve ARGS --xds 127.0.0.1:xdsPort --admin 127.0.0.1:adminPort` (ports picked
// when not given) and waits for the xDS port. Returns {pid, xds, admin, xdsPort, adminPort,
// stderr(), waitForLog(re, ms), kill9(), stop(), exited}.
async function startCairn(args, { xdsPort, adminPort, env } = {}) {
  const cairn = process.env.CAIRN;
  if (!cairn) throw new Error('CAIRN is not set');
  xdsPort = xdsPort || await freePort();
  adminPort = adminPort || await freePort();
  const child = spawn(cairn, ['serve', ...args, '--xds', `127.0.0.1:${xdsPort}`,
    '--admin', `127.0.0.1:${adminPort}`], { stdio: ['ignore', 'ignore', 'pipe'], env: env || process.env });
  let stderr = '';
  const waiters = [];
  child.stderr.on('data', (d) => {
    stderr += d;
    for (const w of waiters.splice(0)) if (!w.check()) waiters.push(w);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // The port opens before the first build is served; wait for both.
  try {
    await waitPort(xdsPort, 10000, child);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${e.message}; stderr:\n${stderr}`);
  }
  const srv = {
    pid: child.pid,
    child,
    xds: `127.0.0.1:${xdsPort}`,
    admin: `127.0.0.1:${adminPort}`,
    xdsPort,
    adminPort,
    exited,
    stderr: () => stderr,
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
    async kill9() {
      child.kill('SIGKILL');
      return exited;
    },
    async stop(ms = 10000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      const st = await exited;
      clearTimeout(timer);
      return st;
    },
  };
  return srv;
}

// VmRSS of a process in KiB.
function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

// Open file descriptors of a process.
function fdCount(pid) {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

// Threads of a process.
function threadCount(pid) {
  const m = /Threads:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A generated source tree of n sites: site-<i>/app.yaml holds an HTTPProxy (fqdn
// site-<i>.example.com) routing to a Service with `endpoints` addresses on `port`.
function siteYaml(i, port, endpoints = 1) {
  const addrs = [];
  for (let k = 0; k < endpoints; k++) addrs.push(`      - ip: 10.${(i >> 8) & 255}.${i & 255}.${k + 1}`);
  return `apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata:
  name: site
spec:
  virtualhost:
    fqdn: site-${i}.example.com
  routes:
    - conditions:
        - prefix: /
      services:
        - name: web
          port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - name: http
      port: 80
      targetPort: ${port}
---
apiVersion: v1
kind: Endpoints
metadata:
  name: web
subsets:
  - addresses:
${addrs.join('\n')}
    ports:
      - name: http
        port: ${port}
`;
}

function writeSite(root, i, port, endpoints) {
  const d = path.join(root, `site-${i}`);
  fs.mkdirSync(d, { recursive: true });
  // Write then rename: the daemon sees whole files only.
  const tmp = path.join(d, '.app.yaml.tmp');
  fs.writeFileSync(tmp, siteYaml(i, port, endpoints));
  fs.renameSync(tmp, path.join(d, 'app.yaml'));
}

function writeTree(root, n, port, endpoints) {
  for (let i = 0; i < n; i++) writeSite(root, i, port, endpoints);
}

// The EDS port every ClusterLoadAssignment of a SotW/delta response carries (a Set).
function edsPorts(r) {
  const out = new Set();
  for (const res of r.resources) {
    for (const e of res.message.endpoints || []) {
      for (const lb of e.lb_endpoints || []) out.add(lb.endpoint.address.socket_address.port_value);
    }
  }
  return out;
}

// A TCP proxy in front of the daemon: clients connect to proxy.port; stall() stops reading
// what the daemon sends (as a hung Envoy does: the kernel buffers fill, then the daemon's writes
// block), resume() reads again.
async function stallingProxy(target) {
  const [host, port] = target.split(':');
  const pairs = [];
  let stalled = false;
  const server = net.createServer((down) => {
    const up = net.connect(Number(port), host);
    pairs.push({ down, up });
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
    down.on('close', () => up.destroy());
    up.on('close', () => down.destroy());
    down.pipe(up);
    up.pipe(down);
    if (stalled) up.pause();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${server.address().port}`,
    stall() {
      stalled = true;
      for (const p of pairs) { p.up.unpipe(p.down); p.up.pause(); }
    },
    resume() {
      stalled = false;
      for (const p of pairs) { p.up.pipe(p.down); p.up.resume(); }
    },
    close() {
      for (const p of pairs) { p.up.destroy(); p.down.destroy(); }
      return new Promise((r) => server.close(r));
    },
  };
}

module.exports = {
  startCairn, rssKiB, fdCount, threadCount, sleep, siteYaml, writeSite, writeTree, edsPorts,
  stallingProxy, freePort,
};
