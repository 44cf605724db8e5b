// Runs tests/protocol/ads_fixture_server (the real src/ads/ server with scripted snapshots) and
// talks to it over stdin/stdout: start() -> {port, address, command(cmd), stats(), stop()}.
// The binary is $ADS_FIXTURE, else $top_builddir/tests/protocol/ads_fixture_server. Set
// ADS_FIXTURE_WRAPPER (e.g. "valgrind -q --leak-check=full") to run it under a tool, and
// ADS_FIXTURE_DEBUG=1 to see its debug log.
'use strict';

const { spawn } = require('child_process');
const path = require('path');
const readline = require('readline');

function fixturePath() {
  if (process.env.ADS_FIXTURE) return process.env.ADS_FIXTURE;
  const top = process.env.top_builddir || path.join(__dirname, '..', '..', '..');
  return path.join(top, 'tests', 'protocol', 'ads_fixture_server');
}

class Fixture {
  constructor(args) {
    const wrapper = (process.env.ADS_FIXTURE_WRAPPER || '').split(/\s+/).filter(Boolean);
    const argv = [...wrapper, fixturePath(), ...args];
    if (process.env.ADS_FIXTURE_DEBUG) argv.push('--debug');
    this.proc = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    this.proc.stderr.on('data', (d) => {
      this.stderr += d;
      if (process.env.ADS_FIXTURE_DEBUG) process.stderr.write(d);
    });
    this.lines = [];
    this.lineWaiters = [];
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const w = this.lineWaiters.shift();
      if (w) w(line);
      else this.lines.push(line);
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        for (const w of this.lineWaiters.splice(0)) w(null);
        resolve({ code, signal });
      });
    });
  }

  // The next stdout line (null at exit).
  line(timeoutMs = 10000) {
    if (this.lines.length) return Promise.resolve(this.lines.shift());
    if (this.exitCode !== undefined) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fixture said nothing for ${timeoutMs} ms; stderr:\n${this.stderr}`)), timeoutMs);
      this.lineWaiters.push((l) => { clearTimeout(timer); resolve(l); });
    });
  }

  // Runs a command (v1, v2, v3, same, empty, stats) and waits for its "ok". Returns the lines
  // printed before the "ok".
  async command(cmd) {
    this.proc.stdin.write(`${cmd}\n`);
    const out = [];
    for (;;) {
      const l = await this.line();
      if (l === null) throw new Error(`fixture exited during "${cmd}"; stderr:\n${this.stderr}`);
      if (l === `ok ${cmd}`) return out;
      if (l.startsWith('error:')) throw new Error(`fixture: ${l}`);
      out.push(l);
    }
  }

  async stats() {
    const out = await this.command('stats');
    const l = out.find((x) => x.startsWith('stats '));
    return JSON.parse(l.substring(6));
  }

  // Stops the server (quit) and resolves with the exit status.
  async stop() {
    if (this.exitCode === undefined) this.proc.stdin.end('quit\n');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15000);
    const st = await this.exited;
    clearTimeout(timer);
    return st;
  }
}

// Starts the fixture; resolves once it serves, with port and address set. Rejects with the
// fixture's error line if it refuses to start (e.g. plaintext on a public address).
async function start(args = []) {
  const f = new Fixture(args);
  const first = await f.line();
  if (first === null || !first.startsWith('port ')) {
    await f.exited;
    const e = new Error(`fixture did not start: ${first}; stderr:\n${f.stderr}`);
    e.line = first;
    e.exitCode = f.exitCode;
    throw e;
  }
  f.port = Number(first.substring(5));
  f.address = `127.0.0.1:${f.port}`;
  return f;
}

module.exports = { start, fixturePath };
