#!/usr/bin/env python3
"""Writes the seed inputs of the three decoders of untrusted state and
answers (see the top of each target):

  corpus/lastgood/  last good copies as lastgood_encode writes them (xxh64
                    and SHA-256 computed here), cut short, flipped, with a
                    foreign magic or a lying size; and "PATH\\nCONTENT"
                    inputs for the round trip;
  corpus/owners/    fqdn-owners.ledger files (empty, one claim, contested
                    FQDNs, Ingress claims), torn and edited ones, and
                    claim lists ("NEXT" then "FQDN\\tNS\\tNAME" lines);
  corpus/running/   /status JSON, a NUL, /debug/xds/pb lines: from cairn
                    itself (`cairn check --format json` and `cairn dump
                    --format pb` of golden inputs, when a cairn binary is
                    given) and by hand (repeated names, bad base64,
                    unknown types, lines without tabs).

usage: make-state-seeds.py [CAIRN]   (CAIRN: a built cairn, default ./cairn)
"""
import base64
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
M = (1 << 64) - 1
P1, P2, P3 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
P4, P5 = 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M


def xxh_round(acc, v):
    return rotl((acc + v * P2) & M, 31) * P1 & M


def xxh64(data, seed=0):
    """XXH64, as src/util/hash.c's hash_bytes (seed 0)."""
    n, i = len(data), 0
    le = lambda a, b: int.from_bytes(data[a:b], 'little')
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M]
        while i + 32 <= n:
            for k in range(4):
                v[k] = xxh_round(v[k], le(i + 8 * k, i + 8 * k + 8))
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for k in range(4):
            h = ((h ^ xxh_round(0, v[k])) * P1 + P4) & M
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 8 <= n:
        h = (rotl(h ^ xxh_round(0, le(i, i + 8)), 27) * P1 + P4) & M
        i += 8
    if i + 4 <= n:
        h = (rotl(h ^ (le(i, i + 4) * P1 & M), 23) * P2 + P3) & M
        i += 4
    while i < n:
        h = rotl(h ^ (data[i] * P5 & M), 11) * P1 & M
        i += 1
    h ^= h >> 33
    h = h * P2 & M
    h ^= h >> 29
    h = h * P3 & M
    h ^= h >> 32
    return h


assert xxh64(b'') == 0xEF46DB3751D8E999


def write(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# --- last good copies (docs/reliability.md "Last good across restarts")
def lastgood(path, content):
    hdr = b'cairn-lastgood 1\npath %s\nsize %d\nxxh64 %016x\n' % (
        path.encode(), len(content), xxh64(content))
    sha = hashlib.sha256(hdr + content).hexdigest().encode()
    return hdr + b'sha256 ' + sha + b'\n\n' + content


SVC = (b'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n'
       b'spec:\n  ports: [{port: 80}]\n')
copies = {
    'copy-service': lastgood('shop/web.yaml', SVC),
    'copy-empty': lastgood('shop/empty.yaml', b''),
    'copy-commit': lastgood('@commit', b'0123456789abcdef0123456789abcdef01234567\n'),
    'copy-binary': lastgood('shop/bin.yaml', bytes(range(256)) * 2),
    'copy-spaces': lastgood('a b/c\td.yaml', b'x: 1\n'),
}
for name, c in copies.items():
    write('lastgood', name, c)
c = copies['copy-service']
write('lastgood', 'torn-content', c[:-10])
write('lastgood', 'torn-header', c[:40])
write('lastgood', 'longer', c + b'\n')
write('lastgood', 'flipped-content', c[:-3] + bytes([c[-3] ^ 1]) + c[-2:])
write('lastgood', 'flipped-sha', c.replace(b'sha256 ', b'sha256 ')[:120] +
      bytes([c[120] ^ 4]) + c[121:])
write('lastgood', 'size-lies', c.replace(b'size %d' % len(SVC), b'size 99999999999999999999'))
write('lastgood', 'foreign-magic', b'cairn-lastgood 2' + c[16:])
write('lastgood', 'no-blank-line', c.replace(b'\n\n', b'\n', 1))
write('lastgood', 'path-and-content', b'shop/web.yaml\n' + SVC)
write('lastgood', 'path-only', b'@commit')

# --- the FQDN ledger (src/dag/owners.h)
def ledger(next_seq, claims):
    body = 'cairn-fqdn-owners 1\nnext %d\n' % next_seq
    for seq, fqdn, ns, name in sorted(claims, key=lambda c: (c[1], c[2], c[3])):
        body += '%d %s %s/%s\n' % (seq, fqdn, ns, name)
    return body + 'end %d %016x\n' % (len(claims), xxh64(body.encode()))


led = {
    'ledger-empty': ledger(0, []),
    'ledger-one': ledger(1, [(0, 'shop.example.com', 'shop', 'root')]),
    'ledger-contested': ledger(7, [
        (3, 'shop.example.com', 'shop', 'root'),
        (5, 'shop.example.com', 'thief', 'root'),
        (0, '*.example.com', 'infra', 'wild'),
        (6, 'api.example.com', 'api', 'Ingress:api'),
        (1, 'api.example.com', 'api', 'proxy')]),
    'ledger-big-seq': ledger(9999999999999999999, [(9999999999999999998, 'a', 'b', 'c')]),
}
for name, t in led.items():
    write('owners', name, t)
t = led['ledger-contested']
write('owners', 'torn', t[:-20])
write('owners', 'no-end', t[:t.index('end ')])
write('owners', 'edited-seq', t.replace('3 shop', '2 shop'))
write('owners', 'unsorted', t.replace('*.example.com', 'zzz.example.com'))
write('owners', 'after-end', t + 'x\n')
write('owners', 'seq-not-below-next', ledger(1, [(4, 'a.example', 'x', 'y')]))
write('owners', 'claims', '0\nshop.example.com\tshop\troot\n'
      'shop.example.com\tthief\troot\napi.example.com\tapi\tIngress:api\n'
      'shop.example.com\tshop\troot\n')
write('owners', 'claims-unstorable', '5\nshop example\tshop\troot\n'
      'a.example\tn/s\tname\nb.example\t\tname\n')
write('owners', 'claims-huge-next', '18446744073709551615\na\tb\tc\n')

# --- cairn diff --running: /status, NUL, /debug/xds/pb
cairn = sys.argv[1] if len(sys.argv) > 1 else './cairn'
golden = os.path.join(HERE, '..', 'golden')
if os.access(cairn, os.X_OK):
    for case in ('basic', 'errors-located', 'tls-basic', 'includes', 'ingress'):
        d = os.path.join(golden, case, 'input')
        if not os.path.isdir(d):
            continue
        st = subprocess.run([cairn, 'check', '--format', 'json', d],
                            capture_output=True).stdout
        pb = subprocess.run([cairn, 'dump', '--format', 'pb', '--no-state', d],
                            capture_output=True).stdout
        write('running', 'golden-' + case, st + b'\0' + pb)
else:
    print('%s: not a cairn binary; only hand-made running seeds' % cairn,
          file=sys.stderr)

RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration'
CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster'
sys.path.insert(0, HERE)
from xds_wire import field  # noqa: E402

vh = field(1, 'shop') + field(2, 'shop.example.com') + field(3, field(1, field(1, '/')) +
                                                              field(2, field(1, 'shop/web/80/0a1b2c3d4e')))
rc = field(1, 'ingress_http') + field(2, vh)
cl = field(1, 'shop/web/80/0a1b2c3d4e')
b64 = lambda b: base64.b64encode(b).decode()
status = json.dumps({'revision': 'r1', 'objects': [
    {'kind': 'HTTPProxy', 'namespace': 'shop', 'name': 'root', 'status': 'invalid',
     'origin': {'file': 'shop/root.yaml', 'line': 1, 'column': 1},
     'conditions': [{'reason': 'DuplicateVhost', 'message': 'taken',
                     'origin': {'file': 'shop/root.yaml', 'line': 9, 'column': 7}}]},
    {'kind': 'Service', 'namespace': 'shop', 'name': 'web', 'status': 'valid'},
    {'kind': 'Nonsense', 'namespace': 5, 'name': None, 'status': 'weird',
     'origin': {'line': 99999999999, 'column': -1}}]})
write('running', 'hand-made', status + '\0' +
      '%s\tingress_http\t%s\n%s\tshop/web/80/0a1b2c3d4e\t%s\n' % (RDS, b64(rc), CDS, b64(cl)))
write('running', 'repeated-names', status + '\0' +
      '%s\tingress_http\t%s\n%s\tingress_http\t%s\n%s\tingress_http\t\n' % (
          RDS, b64(rc), RDS, b64(rc[:-3]), RDS))
write('running', 'hostile-lines', '{"objects": []}\0' +
      'no tabs at all\n%s\tx\t!!!notbase64\nunknown/type\tx\tAAAA\n%s\t\t====\n'
      '%s\tgarbage\t%s\n\t\t\n' % (RDS, CDS, CDS, b64(b'\xff' * 40)))
write('running', 'not-status', '[1, 2, 3]\0')
write('running', 'no-pb', '{"objects": [{}], "revision": 7}')
