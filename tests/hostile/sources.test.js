// Hostile sources (SPEC.md §4, issue 9): every bad thing a source tree can do to the real
// `cairn serve` gives a located error in the log, and the daemon keeps serving the last good state
// (the subscribed client receives nothing) and keeps watching (a good edit afterwards arrives).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { setup, nextMatching, STOREFRONT } = require('./lib');

const T = { timeout: 90000 };
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const NOBODY = 65534;

// Runs body(ctx) against a fresh daemon and always stops it.
async function withServe(opts, body) {
  const ctx = await setup(opts);
  try {
    await body(ctx);
  } finally {
    await ctx.close();
  }
}

test('billion laughs: the alias limit is a located error, the last good version serves', T, () =>
  withServe({}, async (ctx) => {
    let doc = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let prev = 'a';
    for (const n of 'bcdefghi') {
      doc += `${n}: &${n} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
      prev = n;
    }
    fs.writeFileSync(ctx.file('shop/services.yaml'), doc);
    await ctx.srv.waitForLog(/shop\/services\.yaml:\d+:\d+: error: aliases expand to more than 10000 nodes/, 5000);
    await ctx.expectUnchanged();
    await ctx.expectRecovers();
  }));

test('nesting deeper than 64 levels is a located error, not a stack overflow', T, () =>
  withServe({}, async (ctx) => {
    // Flow and block nesting, 10,000 deep: the parser must not recurse.
    fs.writeFileSync(ctx.file('shop/services.yaml'), `a: ${'['.repeat(10000)}${']'.repeat(10000)}\n`);
    await ctx.srv.waitForLog(/shop\/services\.yaml:1:\d+: error: nesting is deeper than 64 levels/, 5000);
    let block = '';
    for (let i = 0; i < 70; i++) block += `${'  '.repeat(i)}k${i}:\n`;
    fs.writeFileSync(ctx.file('blog/blog.yaml'), `${block}${'  '.repeat(70)}v\n`);
    await ctx.srv.waitForLog(/blog\/blog\.yaml:\d+:\d+: error: nesting is deeper than 64 levels/, 5000);
    await ctx.expectUnchanged();
    await ctx.expectRecovers();
  }));

test('a file over max-file-bytes is not read and its last good version serves', T, () =>
  withServe({ config: 'source:\n  max-file-bytes: 65536\n' }, async (ctx) => {
    const f = ctx.file('shop/services.yaml');
    // Valid YAML, changed content (port 9999), but too large: must not be applied.
    fs.writeFileSync(f, `${STOREFRONT(9999)}# ${'x'.repeat(70000)}\n`);
    await ctx.srv.waitForLog(/shop\/services\.yaml: error: file is \d+ bytes, more than max-file-bytes \(65536\)/, 5000);
    await ctx.expectUnchanged();
    // A new file that is too large from the start: an error, nothing from it.
    fs.writeFileSync(ctx.file('shop/huge.yaml'), 'x'.repeat(200000));
    await ctx.srv.waitForLog(/shop\/huge\.yaml: error: file is \d+ bytes, more than max-file-bytes/, 5000);
    await ctx.expectUnchanged();
    fs.rmSync(ctx.file('shop/huge.yaml'));
    await ctx.expectRecovers();
  }));

test('binary data and invalid UTF-8 are located errors', T, () =>
  withServe({}, async (ctx) => {
    // A WebAssembly module header: a NUL byte first.
    fs.writeFileSync(ctx.file('shop/services.yaml'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x0a, 0xff]));
    await ctx.srv.waitForLog(/shop\/services\.yaml:1:\d+: error: the file contains a NUL byte/, 5000);
    // Latin-1 "café" on line 4: invalid UTF-8, pointed at by line and column.
    const latin1 = Buffer.concat([Buffer.from('apiVersion: v1\nkind: Service\nmetadata:\n  name: caf'),
      Buffer.from([0xe9]), Buffer.from('\n')]);
    fs.writeFileSync(ctx.file('blog/blog.yaml'), latin1);
    await ctx.srv.waitForLog(/blog\/blog\.yaml:4:\d+: error: invalid UTF-8 \(bytes E9/, 5000);
    await ctx.expectUnchanged();
    await ctx.expectRecovers();
  }));

test('symlink loops are reported and not followed', T, () =>
  withServe({}, async (ctx) => {
    // A directory link back to its own parent, and a file link to itself.
    fs.symlinkSync('..', ctx.file('shop/loop'));
    fs.symlinkSync('self.yaml', ctx.file('shop/self.yaml'));
    await ctx.srv.waitForLog(/shop\/loop: error: symlink loop: shop\/loop leads back to the source root/, 5000);
    await ctx.srv.waitForLog(/shop\/self\.yaml: error: symlink loop/, 5000);
    await ctx.expectUnchanged();
    await ctx.expectRecovers();
  }));

test('unreadable files keep their last good version', T, () =>
  withServe({}, async (ctx) => {
    // A FIFO where a file was: never opened for a blocking read, never served.
    // Made aside and renamed over the file: a rescan never sees the file missing.
    const f = ctx.file('shop/services.yaml');
    const aside = ctx.file('shop/.fifo');
    execFileSync('mkfifo', [aside]);
    fs.renameSync(aside, f);
    await ctx.srv.waitForLog(/shop\/services\.yaml: error: not a regular file; not read/, 5000);
    await ctx.expectUnchanged();
    fs.rmSync(f);
    await ctx.expectRecovers();
  }));

// Root reads anything: as root, the daemon runs as nobody for this one.
test('a file without read permission is a located error, the last good version serves', T, () =>
  withServe(isRoot ? { uid: NOBODY } : {}, async (ctx) => {
    const f = ctx.file('shop/services.yaml');
    fs.writeFileSync(f, STOREFRONT(9998));
    fs.chmodSync(f, 0);
    await ctx.srv.waitForLog(/shop\/services\.yaml: error: cannot open: Permission denied/, 5000);
    await ctx.expectUnchanged();
    fs.chmodSync(f, 0o644);
    await ctx.expectRecovers();
  }));

test('files vanishing between the event and the read are not errors', T, () =>
  withServe({}, async (ctx) => {
    // Create and delete a file over and over while the daemon rescans: some scans list it and
    // then find it gone. Whatever was pushed meanwhile, the end state is the start state.
    const ghost = ctx.file('shop/ghost.yaml');
    const proxy = fs.readFileSync(ctx.file('shop/app.yaml'), 'utf8')
      .replace('name: shop', 'name: ghost').replace('shop.example.com', 'ghost.example.com');
    const until = Date.now() + 1500;
    for (let i = 0; Date.now() < until && i < 100000; i++) {
      fs.writeFileSync(ghost, proxy);
      fs.rmSync(ghost);
    }
    // Let the last rescan happen, then take everything pushed.
    const versions = {};
    for (;;) {
      let r;
      try {
        r = await ctx.s.next(800);
      } catch (e) {
        if (/no DiscoveryResponse/.test(e.message)) break;
        throw e;
      }
      ctx.s.ack(r);
      versions[r.type] = r.version_info;
    }
    for (const [type, v] of Object.entries(versions)) {
      assert.equal(v, ctx.initial[type].version_info, `${type}: back at the start version`);
    }
    assert.doesNotMatch(ctx.srv.stderr(), /ghost\.yaml.*error/);
    await ctx.expectRecovers();
  }));

test('the source root replaced by a file keeps the last good state; restoring it resumes', T, () =>
  withServe({}, async (ctx) => {
    const moved = `${ctx.root}.away`;
    fs.renameSync(ctx.root, moved);
    fs.writeFileSync(ctx.root, 'not a directory\n');
    await ctx.srv.waitForLog(/cannot read the source; still serving revision/, 5000);
    await ctx.expectUnchanged();
    fs.rmSync(ctx.root);
    fs.renameSync(moved, ctx.root);
    await ctx.expectRecovers();
  }));

test('a directory replaced by a file drops only what it held; a new directory is watched', T, () =>
  withServe({}, async (ctx) => {
    // blog/ becomes a plain file: the blog objects are gone (a deletion, not an error).
    const blog = ctx.file('blog');
    const saved = fs.readFileSync(path.join(blog, 'blog.yaml'));
    fs.rmSync(blog, { recursive: true });
    fs.writeFileSync(blog, 'a file now\n');
    const { match: gone } = await nextMatching(ctx.s, (r) => r.type === 'rds' &&
      !r.resources[0].message.virtual_hosts.some((v) => v.name === 'blog.example.com'), 5000);
    assert.ok(gone.resources[0].message.virtual_hosts.some((v) => v.name === 'shop.example.com'));
    // And back: the new directory gets a watch, its file is served again.
    fs.rmSync(blog);
    fs.mkdirSync(blog);
    fs.writeFileSync(path.join(blog, 'blog.yaml'), saved);
    await nextMatching(ctx.s, (r) => r.type === 'rds' &&
      r.resources[0].message.virtual_hosts.some((v) => v.name === 'blog.example.com'), 5000);
    await ctx.expectRecovers();
  }));

test('10,000 files created at once are served, in few pushes', T, () =>
  withServe({}, async (ctx) => {
    const bulk = ctx.file('bulk');
    fs.mkdirSync(bulk);
    fs.writeFileSync(path.join(bulk, 'services.yaml'),
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: app\nspec:\n  ports:\n    - port: 80\n' +
      '---\napiVersion: v1\nkind: Endpoints\nmetadata:\n  name: app\nsubsets:\n' +
      '  - addresses:\n      - ip: 127.0.0.1\n    ports:\n      - port: 9005\n');
    const N = 10000;
    for (let i = 0; i < N; i++) {
      const n = String(i).padStart(5, '0');
      fs.writeFileSync(path.join(bulk, `p${n}.yaml`),
        `apiVersion: projectcontour.io/v1\nkind: HTTPProxy\nmetadata:\n  name: p${n}\n` +
        `spec:\n  virtualhost:\n    fqdn: p${n}.bulk.example.com\n  routes:\n` +
        '    - services:\n        - name: app\n          port: 80\n');
    }
    const { match, seen } = await nextMatching(ctx.s, (r) => r.type === 'rds' &&
      r.resources[0].message.virtual_hosts.length === N + 2, 60000);
    assert.ok(match);
    // Debounced: a handful of rebuilds, not one per file.
    const rdsPushes = seen.filter((r) => r.type === 'rds').length;
    assert.ok(rdsPushes <= 20, `${rdsPushes} RDS pushes for ${N} files`);
    assert.doesNotMatch(ctx.srv.stderr(), /bulk\/.*error/);
    await ctx.expectRecovers(15000);
  }));

// The queue limit is read when an inotify instance is created, so it only needs to be low while
// cairn starts; it is restored at once (other processes on the host share the setting).
const QUEUE = '/proc/sys/fs/inotify/max_queued_events';
function queueWritable() {
  try {
    fs.accessSync(QUEUE, fs.constants.W_OK);
    fs.writeFileSync(QUEUE, fs.readFileSync(QUEUE, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

test('an inotify queue overflow is logged and followed by a full rescan', {
  ...T,
  skip: queueWritable() ? false : `${QUEUE} is not writable (needs root outside a user namespace)`,
}, async () => {
  const saved = fs.readFileSync(QUEUE, 'utf8').trim();
  const ctx = await setup({
    args: ['--log-level', 'debug'],
    beforeStart: async (start) => {
      fs.writeFileSync(QUEUE, '16');
      try {
        return await start();
      } finally {
        fs.writeFileSync(QUEUE, saved);
      }
    },
  });
  try {
    assert.equal(fs.readFileSync(QUEUE, 'utf8').trim(), saved, 'the host setting is restored');
    // Files younger than the timestamp granularity margin (2 s) are always re-read, which would
    // hide a missed event: let them age, and have one rescan see them settled.
    await new Promise((r) => setTimeout(r, 2200));
    fs.writeFileSync(ctx.file('settle.yaml'), '# nothing\n');
    await ctx.srv.waitForLog(/change: nothing Envoy sees changed/, 5000);
    // With the daemon stopped, 20 files in blog/ fill the queue (16 events) and overflow it,
    // then 200 new proxies in shop/ raise events that are lost. Only a full rescan finds them: a
    // rescan that trusted the events would re-read blog/ alone.
    ctx.srv.signal('SIGSTOP');
    for (let i = 0; i < 20; i++) fs.writeFileSync(ctx.file(`blog/pad${i}.yaml`), '# padding\n');
    for (let i = 0; i < 200; i++) {
      fs.writeFileSync(ctx.file(`shop/p${i}.yaml`),
        `apiVersion: projectcontour.io/v1\nkind: HTTPProxy\nmetadata:\n  name: p${i}\n` +
        `spec:\n  virtualhost:\n    fqdn: p${i}.more.example.com\n  routes:\n` +
        '    - services:\n        - name: storefront\n          port: 80\n');
    }
    ctx.srv.signal('SIGCONT');
    await ctx.srv.waitForLog(/inotify queue overflowed.*rescanning/, 5000);
    await nextMatching(ctx.s, (r) => r.type === 'rds' &&
      r.resources[0].message.virtual_hosts.length === 202, 10000);
    // The watches were rebuilt: later edits are still seen.
    await ctx.expectRecovers();
  } finally {
    fs.writeFileSync(QUEUE, saved);
    ctx.srv.signal('SIGCONT');
    await ctx.close();
  }
});
