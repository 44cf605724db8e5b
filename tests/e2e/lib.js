// Helpers for the proxyless end-to-end tests: child processes that are always killed, bounded
// waits, free ports, bootstrap files, and line-watchers for the long-running clients.
'use strict';

const fs = require('fs');
const net = require('net');
const http = require('http');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const HERE = __dirname;

// ---------------------------------------------------------------------------
// Children: every process spawned here is killed (SIGKILL) at exit at the latest.
const children = new Set();
function killAll() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try { c.kill('SIGKILL'); } catch (e) { /* gone */ }
    }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { killAll(); process.exit(130); });
}

// spawn with stdout/stderr captured (bounded) and line callbacks.
function start(cmd, args, { env, cwd, name, onLine, onErrLine, keepStdin = true } = {}) {
  const c = spawn(cmd, args, { env: env || process.env, cwd, stdio: [keepStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  children.add(c);
  const rec = { proc: c, name: name || path.basename(cmd), out: [], err: [], exited: null };
  const MAX = 5000;
  const lines = (stream, arr, cb) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const l = buf.slice(0, i); buf = buf.slice(i + 1);
        arr.push(l); if (arr.length > MAX) arr.shift();
        if (cb) cb(l);
      }
    });
  };
  lines(c.stdout, rec.out, onLine);
  lines(c.stderr, rec.err, onErrLine);
  rec.exitPromise = new Promise((res) => {
    c.on('exit', (code, signal) => { rec.exited = { code, signal }; children.delete(c); res(rec.exited); });
    c.on('error', (e) => { rec.exited = { code: null, signal: null, error: e.message }; children.delete(c); res(rec.exited); });
  });
  rec.tail = (n = 40) => `--- ${rec.name} stdout (last ${n}) ---\n${rec.out.slice(-n).join('\n')}\n--- ${rec.name} stderr (last ${n}) ---\n${rec.err.slice(-n).join('\n')}`;
  // SIGTERM, wait up to ms, then SIGKILL. Resolves with the exit record.
  rec.stop = async (ms = 5000, sig = 'SIGTERM') => {
    if (rec.exited) return rec.exited;
    try { c.kill(sig); } catch (e) { /* gone */ }
    const t = await within(rec.exitPromise, ms);
    if (t) return t;
    try { c.kill('SIGKILL'); } catch (e) { /* gone */ }
    const r = await rec.exitPromise;
    return { ...r, killed: true };
  };
  return rec;
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

// promise, or null after ms (the timer is cleared, so it never keeps the process alive)
function within(promise, ms) {
  let timer;
  const t = new Promise((r) => { timer = setTimeout(() => r(null), ms); });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

// Poll fn() (sync or async, truthy = done) every `every` ms, at most `ms` in total.
async function waitFor(fn, { ms = 10000, every = 100, what = 'condition' } = {}) {
  const end = Date.now() + ms;
  let last;
  for (let i = 0; i < 100000; i++) {
    try { last = await fn(); } catch (e) { last = undefined; }
    if (last) return last;
    if (Date.now() >= end) break;
    await sleep(every);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function canConnect(port, host = '127.0.0.1', ms = 500) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (v) => { s.destroy(); resolve(v); };
    s.setTimeout(ms, () => done(false));
    s.on('connect', () => done(true));
    s.on('error', () => done(false));
  });
}

function httpGet(url, ms = 1000) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: ms }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { if (body.length < 1e6) body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => { req.destroy(); resolve(null); });
    req.on('error', () => resolve(null));
  });
}

// The gRPC xDS bootstrap (INTEROP.md): node.locality is required by grpc-js.
function writeBootstrap(file, xdsPort, nodeId = 'e2e-node') {
  const b = {
    xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: [] }],
    node: { id: nodeId, cluster: 'e2e', locality: { region: 'local', zone: 'z1' } },
  };
  fs.writeFileSync(file, JSON.stringify(b, null, 2));
  return file;
}

// ---------------------------------------------------------------------------
// Real clients

function python3() {
  // Debian's python3-grpcio lives under /usr/bin/python3 (INTEROP.md); prefer it.
  const cands = ['/usr/bin/python3', process.env.PYTHON3].filter(Boolean);
  for (const p of cands) {
    const r = spawnSync(p, ['-c', 'import grpc'], { timeout: 20000 });
    if (r.status === 0) return { path: p, ok: true };
  }
  return { path: cands[0] || 'python3', ok: false };
}

function clientEnv(bootstrap, extra = {}) {
  const env = { ...process.env, GRPC_XDS_BOOTSTRAP: bootstrap, ...extra };
  delete env.GRPC_XDS_BOOTSTRAP_CONFIG;
  if (process.env.E2E_TRACE) { env.GRPC_TRACE = 'xds_client,xds_resolver'; env.GRPC_VERBOSITY = 'DEBUG'; }
  return env;
}

const CLIENTS = {
  node: (bootstrap, args, env) => [process.execPath, [path.join(HERE, 'client-node.js'), ...args], clientEnv(bootstrap, env)],
  python: (bootstrap, args, env) => [python3().path, [path.join(HERE, 'client_python.py'), ...args], clientEnv(bootstrap, env)],
};

// One-shot: N calls, returns the parsed summary {ids, errors, ok, failed}.
async function runClientOnce(kind, bootstrap, target, { count = 5, timeoutMs = 5000, wallMs = 30000, env } = {}) {
  const [cmd, args, e] = CLIENTS[kind](bootstrap, ['--count', String(count), '--timeout-ms', String(timeoutMs), target], env);
  const c = start(cmd, args, { env: e, name: `client-${kind}`, keepStdin: false });
  const r = await within(c.exitPromise, wallMs);
  if (!r) { await c.stop(1000, 'SIGKILL'); throw new Error(`client-${kind} did not finish in ${wallMs} ms\n${c.tail()}`); }
  const line = c.out.filter((l) => l.startsWith('{')).pop();
  if (r.code !== 0 || !line) throw new Error(`client-${kind} exited ${JSON.stringify(r)}\n${c.tail()}`);
  return { ...JSON.parse(line), proc: c };
}

// Long-running: one call every intervalMs; watch(id) waits until `streak` consecutive calls
// reached backend `id`.
function startWatchClient(kind, bootstrap, target, { intervalMs = 150, maxSeconds = 120, timeoutMs = 2000, env } = {}) {
  const results = [];
  const [cmd, args, e] = CLIENTS[kind](bootstrap, ['--watch', '--interval-ms', String(intervalMs), '--max-seconds', String(maxSeconds),
    '--timeout-ms', String(timeoutMs), target], env);
  const c = start(cmd, args, {
    env: e,
    name: `watch-${kind}`,
    onLine: (l) => { try { results.push({ ...JSON.parse(l), at: Date.now() }); } catch (er) { /* ignore */ } },
  });
  c.results = results;
  c.streakOf = (id, n) => {
    if (results.length < n) return false;
    return results.slice(-n).every((r) => r.id === id);
  };
  c.waitStreak = async (id, { n = 3, ms = 10000 } = {}) => {
    const from = results.length;
    const t0 = Date.now();
    try {
      await waitFor(() => {
        if (c.exited) throw new Error('exited');
        return results.length - from >= n && c.streakOf(id, n);
      }, { ms, every: 50, what: `${kind} client reaching backend ${id}` });
    } catch (err) {
      const last = results.slice(-8).map((r) => JSON.stringify(r)).join('\n');
      throw new Error(`${err.message}; last results:\n${last}\n${c.tail(30)}`);
    }
    // ms from the start of the wait to the first call of the final streak
    return Math.max(0, results[results.length - n].at - t0);
  };
  return c;
}

module.exports = {
  start, sleep, within, waitFor, freePort, canConnect, httpGet, writeBootstrap, killAll,
  runClientOnce, startWatchClient, python3, HERE,
};
