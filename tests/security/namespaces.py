#!/usr/bin/env python3
"""The namespace-claim security matrix (issue #9, TAP).

A namespace is a directory (docs/decisions.md, SPEC.md §4): Unix permissions
decide who writes it, and cairn must keep one namespace from claiming what
belongs to another: its proxies, its Services, its FQDNs, its Secrets
(unless a TLSCertificateDelegation in the Secret's namespace says so).

Each row is a tree written by this test, optionally a cairn.yaml, and the
expected outcome judged from `cairn check --format json` (the status
condition on the offending object, or a located file error) and from
`cairn dump --format json` (what Envoy would get: the foreign object, route,
cluster or Secret must not be there). Rows marked allowed are the
cross-namespace uses cairn permits on purpose (as Contour does); they keep
the denied rows honest: the same tree with the permission is served.

Every denied row asserts the specific condition AND the absence from the
dump, so removing the protection fails the row either way.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

TOP_SRCDIR = os.environ.get('top_srcdir') or os.path.join(os.path.dirname(__file__), '..', '..')
CAIRN = os.environ.get('CAIRN') or os.path.join(os.environ.get('top_builddir', TOP_SRCDIR), 'cairn')


def golden_secret(case, path, name):
    """A Secret document of a golden tree (real test certificates), by name."""
    with open(os.path.join(TOP_SRCDIR, 'tests', 'golden', case, 'input', path)) as f:
        text = f.read()
    for doc in re.split(r'^---$', text, flags=re.M):
        if re.search(r'^kind: Secret$', doc, re.M) and \
                re.search(r'^metadata: \{name: %s\}' % re.escape(name), doc, re.M):
            return doc.strip('\n') + '\n'
    raise LookupError('%s: no Secret %s' % (path, name))


# shop.example.com certificate and key, valid until 2126.
TLS_SECRET = golden_secret('tls-delegation', 'certs/secrets.yaml', 'shop-tls')
# A CA (ca.crt only).
CA_SECRET = golden_secret('tls-client-validation', 'shop/app.yaml', 'client-ca')


def secret(text, name):
    return re.sub(r'^metadata: \{name: [^}]*\}', 'metadata: {name: %s}' % name, text,
                  count=1, flags=re.M)


def service(name, port=80):
    return ('apiVersion: v1\nkind: Service\nmetadata: {name: %s}\n'
            'spec: {ports: [{port: %d}]}\n' % (name, port))


def proxy(name, fqdn=None, tls=None, routes=None, includes=None, tcpproxy=None):
    """An HTTPProxy as YAML (flow style for the nested parts)."""
    out = 'apiVersion: projectcontour.io/v1\nkind: HTTPProxy\nmetadata: {name: %s}\nspec:\n' % name
    if fqdn:
        out += '  virtualhost:\n    fqdn: %s\n' % fqdn
        if tls:
            out += '    tls: %s\n' % tls
    if includes:
        out += '  includes: %s\n' % includes
    if tcpproxy:
        out += '  tcpproxy: %s\n' % tcpproxy
    if routes:
        out += '  routes: %s\n' % routes
    return out


def delegation(name, secret_name, targets):
    return ('apiVersion: projectcontour.io/v1\nkind: TLSCertificateDelegation\n'
            'metadata: {name: %s}\nspec:\n  delegations:\n'
            '    - {secretName: %s, targetNamespaces: [%s]}\n'
            % (name, secret_name, ', '.join(json.dumps(t) for t in targets)))


def ingress(name, host, service_name, secret_name=None):
    out = ('apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: %s}\nspec:\n'
           % name)
    if secret_name:
        out += '  tls: [{hosts: [%s], secretName: %s}]\n' % (host, secret_name)
    out += ('  rules:\n    - host: %s\n      http:\n        paths: [{path: /, pathType: Prefix, '
            'backend: {service: {name: %s, port: {number: 80}}}}]\n' % (host, service_name))
    return out


def docs(*parts):
    return '---\n'.join(parts)


WEB = 'routes: [{services: [{name: web, port: 80}]}]'
ROUTE_WEB = '[{services: [{name: web, port: 80}]}]'

# Each row: name, files {path: text}, optional config (cairn.yaml text),
# expect: list of
#   ('condition', kind, ns, name, reason)  - the object carries that reason
#   ('message', kind, ns, name, text)      - one of its condition messages holds text
#   ('status', kind, ns, name, status)     - valid / invalid / orphaned
#   ('error', file, text)                  - a located problem in that file
#   ('error-or-condition', ns, name, reason) - a condition on ns/name, or a problem
#   ('vhost-lacks', fqdn, text)            - the fqdn's virtual hosts (there are
#                                            some) do not hold text
#   ('absent', text)                       - text appears nowhere in the dump
#   ('present', text)                      - text appears in the dump
ROWS = [
    {
        'name': 'include across namespaces, named by the root: allowed (Contour semantics)',
        'files': {
            'a/root.yaml': docs(proxy('root', 'a.example.com',
                                      includes='[{name: blog, namespace: b, conditions: [{prefix: /blog}]}]'),
                                service('web')),
            'b/blog.yaml': docs(proxy('blog', routes=ROUTE_WEB), service('web')),
        },
        'expect': [('status', 'HTTPProxy', 'b', 'blog', 'valid'),
                   ('present', 'b/web/80'), ('present', '"/blog"')],
    },
    {
        'name': "include without a namespace looks in the root's own namespace, not another",
        'files': {
            'a/root.yaml': proxy('root', 'a.example.com', includes='[{name: blog}]'),
            'b/blog.yaml': docs(proxy('blog', routes=ROUTE_WEB), service('web')),
        },
        'expect': [('condition', 'HTTPProxy', 'a', 'root', 'IncludeNotFound'),
                   ('status', 'HTTPProxy', 'b', 'blog', 'orphaned'),
                   ('absent', 'b/web/80')],
    },
    {
        'name': "a root cannot include another namespace's root (its FQDN's routes)",
        'files': {
            'a/root.yaml': docs(proxy('root', 'a.example.com',
                                      includes='[{name: shop, namespace: b, conditions: [{prefix: /x}]}]'),
                                service('web')),
            'b/shop.yaml': docs(proxy('shop', 'b.example.com', routes=ROUTE_WEB), service('web')),
        },
        'expect': [('condition', 'HTTPProxy', 'a', 'root', 'RootIncludesRoot'),
                   ('status', 'HTTPProxy', 'b', 'shop', 'valid'),
                   ('vhost-lacks', 'a.example.com', 'b/web/80')],
    },
    {
        'name': 'a root outside policy.root-namespaces claims no FQDN',
        'config': 'policy: {root-namespaces: [admins]}\n',
        'files': {
            'admins/root.yaml': docs(proxy('root', 'ok.example.com', routes=ROUTE_WEB), service('web')),
            'b/shop.yaml': docs(proxy('shop', 'stolen.example.com', routes=ROUTE_WEB), service('web')),
        },
        'expect': [('condition', 'HTTPProxy', 'b', 'shop', 'RootProxyNotAllowedInNamespace'),
                   ('present', 'ok.example.com'), ('absent', 'stolen.example.com'),
                   ('absent', 'b/web/80')],
    },
    {
        'name': 'a root in policy.root-namespaces may include a proxy of another namespace',
        'config': 'policy: {root-namespaces: [admins]}\n',
        'files': {
            'admins/root.yaml': proxy('root', 'ok.example.com',
                                      includes='[{name: app, namespace: b}]'),
            'b/app.yaml': docs(proxy('app', routes=ROUTE_WEB), service('web')),
        },
        'expect': [('status', 'HTTPProxy', 'b', 'app', 'valid'), ('present', 'b/web/80')],
    },
    {
        'name': "a route cannot name another namespace's Service",
        'files': {
            'a/root.yaml': proxy('root', 'a.example.com',
                                 routes='[{services: [{name: b/web, port: 80}]}, '
                                        '{conditions: [{prefix: /y}], services: [{name: web, port: 80}]}]'),
            'b/web.yaml': service('web'),
        },
        'expect': [('error', 'a/root.yaml', 'invalid value \"b/web\"'),
                   ('absent', 'b/web/80')],
    },
    {
        'name': "metadata.namespace of another namespace is refused (the directory decides)",
        'files': {
            'a/root.yaml': docs(proxy('root', 'a.example.com', routes=ROUTE_WEB), service('web')),
            'evil/claim.yaml': docs(
                proxy('root', 'evil.example.com', routes=ROUTE_WEB).replace(
                    'metadata: {name: root}', 'metadata: {name: root, namespace: a}'),
                service('web')),
        },
        'expect': [('error', 'evil/claim.yaml', 'does not match directory namespace "evil"'),
                   ('present', 'a.example.com'), ('absent', 'evil.example.com'),
                   ('absent', 'evil/web/80')],
    },
    {
        # Claims seen at once (a first start, one commit): path order.
        # tests/security/owners.py replays who came first over time.
        'name': 'two namespaces claiming one FQDN at once: the first by path keeps it (SPEC 6a)',
        'files': {
            'a/shop.yaml': docs(proxy('shop', 'shop.example.com', routes=ROUTE_WEB), service('web')),
            'b/shop.yaml': docs(proxy('shop', 'shop.example.com', routes=ROUTE_WEB), service('web')),
        },
        'expect': [('status', 'HTTPProxy', 'a', 'shop', 'valid'),
                   ('condition', 'HTTPProxy', 'b', 'shop', 'DuplicateVhost'),
                   ('message', 'HTTPProxy', 'b', 'shop', 'served by HTTPProxy a/shop'),
                   ('present', 'a/web/80'), ('absent', 'b/web/80')],
    },
    {
        'name': 'two roots of one namespace claiming one FQDN: the first by path keeps it',
        'files': {
            'a/one.yaml': docs(proxy('one', 'shop.example.com', routes=ROUTE_WEB), service('web')),
            'a/two.yaml': docs(proxy('two', 'shop.example.com',
                                     routes='[{services: [{name: other, port: 80}]}]'),
                               service('other')),
        },
        'expect': [('status', 'HTTPProxy', 'a', 'one', 'valid'),
                   ('condition', 'HTTPProxy', 'a', 'two', 'DuplicateVhost'),
                   ('message', 'HTTPProxy', 'a', 'two', 'served by HTTPProxy a/one'),
                   ('present', 'a/web/80'), ('absent', 'a/other/80')],
    },
    {
        'name': 'policy.fqdn-owners: claims inside the patterns are served, others refused',
        'config': ('policy:\n  fqdn-owners:\n    shop: ["*.shop.example.com", shop.example.com]\n'
                   '    blog: [blog.example.com]\n'),
        'files': {
            'shop/site.yaml': docs(proxy('site', 'shop.example.com', routes=ROUTE_WEB), service('web')),
            'shop/api.yaml': docs(proxy('api', 'api.shop.example.com', routes=ROUTE_WEB)),
            'blog/site.yaml': docs(proxy('site', 'blog.example.com', routes=ROUTE_WEB), service('web')),
            'blog/grab.yaml': docs(proxy('grab', 'pay.shop.example.com',
                                         routes='[{services: [{name: grab, port: 80}]}]'),
                                   service('grab')),
            'evil/any.yaml': docs(proxy('any', 'evil.example.com', routes=ROUTE_WEB), service('web')),
        },
        'expect': [('status', 'HTTPProxy', 'shop', 'site', 'valid'),
                   ('status', 'HTTPProxy', 'shop', 'api', 'valid'),
                   ('status', 'HTTPProxy', 'blog', 'site', 'valid'),
                   ('condition', 'HTTPProxy', 'blog', 'grab', 'FQDNNotAllowedInNamespace'),
                   ('condition', 'HTTPProxy', 'evil', 'any', 'FQDNNotAllowedInNamespace'),
                   ('present', 'api.shop.example.com'), ('absent', 'pay.shop.example.com'),
                   ('absent', 'blog/grab/80'), ('absent', 'evil.example.com')],
    },
    {
        'name': 'policy.fqdn-owners: a refused claim sorting first does not block the owner',
        'config': 'policy: {fqdn-owners: {shop: [shop.example.com]}}\n',
        'files': {
            'blog/grab.yaml': docs(proxy('grab', 'shop.example.com',
                                         routes='[{services: [{name: grab, port: 80}]}]'),
                                   service('grab')),
            'shop/site.yaml': docs(proxy('site', 'shop.example.com', routes=ROUTE_WEB), service('web')),
        },
        'expect': [('status', 'HTTPProxy', 'shop', 'site', 'valid'),
                   ('condition', 'HTTPProxy', 'blog', 'grab', 'FQDNNotAllowedInNamespace'),
                   ('present', 'shop/web/80'), ('absent', 'blog/grab/80')],
    },
    {
        'name': 'policy.fqdn-owners: an Ingress rule outside the patterns adds nothing',
        'config': 'policy: {fqdn-owners: {shop: [shop.example.com], blog: ["*.blog.example.com"]}}\n',
        'files': {
            'shop/site.yaml': docs(proxy('site', 'shop.example.com', routes=ROUTE_WEB), service('web')),
            'blog/ing.yaml': docs(ingress('grab', 'www.example.com', 'grab'), service('grab')),
        },
        'expect': [('condition', 'Ingress', 'blog', 'grab', 'FQDNNotAllowedInNamespace'),
                   ('absent', 'www.example.com'), ('absent', 'blog/grab/80')],
    },
    {
        'name': "an HTTPProxy cannot take a host another namespace's Ingress claimed first",
        'files': {
            'a/ing.yaml': docs(ingress('site', 'www.example.com', 'web'), service('web')),
            'b/grab.yaml': docs(proxy('grab', 'www.example.com',
                                      routes='[{services: [{name: grab, port: 80}]}]'),
                                service('grab')),
        },
        'expect': [('condition', 'HTTPProxy', 'b', 'grab', 'DuplicateVhost'),
                   ('message', 'HTTPProxy', 'b', 'grab', 'served by Ingress a/site'),
                   ('present', 'a/web/80'), ('absent', 'b/grab/80')],
    },
    {
        'name': "an Ingress cannot add routes to another namespace's HTTPProxy FQDN",
        'files': {
            'a/shop.yaml': docs(proxy('shop', 'shop.example.com', routes=ROUTE_WEB), service('web')),
            'b/ing.yaml': docs(ingress('grab', 'shop.example.com', 'web').replace(
                'path: /,', 'path: /admin,'), service('web')),
        },
        'expect': [('condition', 'Ingress', 'b', 'grab', 'HostOwnedByAnotherNamespace'),
                   ('vhost-lacks', 'shop.example.com', '/admin'), ('absent', 'b/web/80')],
    },
    {
        'name': "an Ingress cannot put its own certificate on another namespace's HTTPProxy FQDN",
        'files': {
            'a/shop.yaml': docs(proxy('shop', 'shop.example.com', routes=ROUTE_WEB), service('web')),
            'b/tls.yaml': secret(TLS_SECRET, 'tls'),
            'b/ing.yaml': docs(ingress('grab', 'shop.example.com', 'web', 'tls'), service('web')),
        },
        'expect': [('condition', 'Ingress', 'b', 'grab', 'HostOwnedByAnotherNamespace'),
                   ('absent', 'b/tls'), ('absent', 'https/shop.example.com'),
                   ('absent', 'b/web/80'), ('present', 'a/web/80')],
    },
    {
        'name': 'Ingresses of two namespaces share a host (Contour: ACME solvers): allowed',
        'files': {
            'a/ing.yaml': docs(ingress('site', 'www.example.com', 'web'), service('web')),
            'b/ing.yaml': docs(ingress('acme', 'www.example.com', 'solver').replace(
                'path: /,', 'path: /.well-known/acme-challenge,'), service('solver')),
        },
        'expect': [('present', 'a/web/80'), ('present', 'b/solver/80')],
    },
    {
        'name': "TLS: another namespace's Secret without a delegation",
        'files': {
            'certs/tls.yaml': TLS_SECRET,
            'b/shop.yaml': docs(proxy('shop', 'shop.example.com', tls='{secretName: certs/shop-tls}',
                                      routes=ROUTE_WEB), service('web')),
        },
        'expect': [('condition', 'HTTPProxy', 'b', 'shop', 'DelegationNotPermitted'),
                   ('absent', 'certs/shop-tls'), ('absent', 'shop.example.com')],
    },
    {
        'name': 'TLS: a delegation to a different namespace does not cover this one',
        'files': {
            'certs/tls.yaml': docs(TLS_SECRET, delegation('d', 'shop-tls', ['a'])),
            'b/shop.yaml': docs(proxy('shop', 'shop.example.com', tls='{secretName: certs/shop-tls}',
                                      routes=ROUTE_WEB), service('web')),
        },
        'expect': [('condition', 'HTTPProxy', 'b', 'shop', 'DelegationNotPermitted'),
                   ('absent', 'certs/shop-tls'), ('absent', 'shop.example.com')],
    },
    {
        'name': 'TLS: a delegation written in the using namespace delegates nothing',
        'files': {
            'certs/tls.yaml': TLS_SECRET,
            'b/shop.yaml': docs(proxy('shop', 'shop.example.com', tls='{secretName: certs/shop-tls}',
                                      routes=ROUTE_WEB), service('web'),
                                delegation('self', 'shop-tls', ['b'])),
        },
        'expect': [('condition', 'HTTPProxy', 'b', 'shop', 'DelegationNotPermitted'),
                   ('absent', 'certs/shop-tls'), ('absent', 'shop.example.com')],
    },
    {
        'name': 'TLS: a delegation to the namespace: allowed',
        'files': {
            'certs/tls.yaml': docs(TLS_SECRET, delegation('d', 'shop-tls', ['b'])),
            'b/shop.yaml': docs(proxy('shop', 'shop.example.com', tls='{secretName: certs/shop-tls}',
                                      routes=ROUTE_WEB), service('web')),
        },
        'expect': [('status', 'HTTPProxy', 'b', 'shop', 'valid'), ('present', 'certs/shop-tls'),
                   ('present', 'shop.example.com')],
    },
    {
        'name': 'TLS: a wildcard delegation ("*"): allowed',
        'files': {
            'certs/tls.yaml': docs(TLS_SECRET, delegation('d', 'shop-tls', ['*'])),
            'b/shop.yaml': docs(proxy('shop', 'shop.example.com', tls='{secretName: certs/shop-tls}',
                                      routes=ROUTE_WEB), service('web')),
        },
        'expect': [('status', 'HTTPProxy', 'b', 'shop', 'valid'), ('present', 'certs/shop-tls')],
    },
    {
        'name': 'TLS: a delegation of another Secret of that namespace does not cover this one',
        'files': {
            'certs/tls.yaml': docs(TLS_SECRET, secret(TLS_SECRET, 'other-tls'),
                                   delegation('d', 'other-tls', ['*'])),
            'b/shop.yaml': docs(proxy('shop', 'shop.example.com', tls='{secretName: certs/shop-tls}',
                                      routes=ROUTE_WEB), service('web')),
        },
        'expect': [('condition', 'HTTPProxy', 'b', 'shop', 'DelegationNotPermitted'),
                   ('absent', 'certs/shop-tls')],
    },
    {
        'name': "tcpproxy: TLS termination with another namespace's Secret, no delegation",
        'files': {
            'certs/tls.yaml': TLS_SECRET,
            'b/db.yaml': docs(proxy('db', 'db.example.com', tls='{secretName: certs/shop-tls}',
                                    tcpproxy='{services: [{name: pg, port: 5432}]}'),
                              service('pg', 5432)),
        },
        'expect': [('condition', 'HTTPProxy', 'b', 'db', 'DelegationNotPermitted'),
                   ('absent', 'certs/shop-tls'), ('absent', 'db.example.com'),
                   ('absent', 'b/pg/5432')],
    },
    {
        'name': "tcpproxy: passthrough cannot take another namespace's FQDN",
        'files': {
            'a/db.yaml': docs(proxy('db', 'db.example.com', tls='{passthrough: true}',
                                    tcpproxy='{services: [{name: pg, port: 5432}]}'),
                              service('pg', 5432)),
            'b/db.yaml': docs(proxy('db', 'db.example.com', tls='{passthrough: true}',
                                    tcpproxy='{services: [{name: pg, port: 5432}]}'),
                              service('pg', 5432)),
        },
        'expect': [('status', 'HTTPProxy', 'a', 'db', 'valid'),
                   ('condition', 'HTTPProxy', 'b', 'db', 'DuplicateVhost'),
                   ('present', 'a/pg/5432'), ('absent', 'b/pg/5432')],
    },
    {
        'name': "tcpproxy: include without a namespace stays in the root's namespace",
        'files': {
            'a/db.yaml': proxy('db', 'db.example.com', tls='{passthrough: true}',
                               tcpproxy='{include: {name: backend}}'),
            'b/backend.yaml': docs(proxy('backend', tcpproxy='{services: [{name: pg, port: 5432}]}'),
                                   service('pg', 5432)),
        },
        'expect': [('error-or-condition', 'a', 'db', 'IncludeNotFound'),
                   ('absent', 'b/pg/5432')],
    },
    {
        'name': "client validation: another namespace's CA without a delegation",
        'files': {
            'certs/ca.yaml': CA_SECRET,
            'b/tls.yaml': secret(TLS_SECRET, 'tls'),
            'b/api.yaml': docs(proxy('api', 'api.example.com',
                                     tls='{secretName: tls, clientValidation: {caSecret: certs/client-ca}}',
                                     routes=ROUTE_WEB), service('web')),
        },
        'expect': [('error-or-condition', 'b', 'api', 'DelegationNotPermitted'),
                   ('absent', 'certs/client-ca'), ('absent', 'api.example.com')],
    },
    {
        'name': "upstream validation: another namespace's CA without a delegation",
        'files': {
            'certs/ca.yaml': CA_SECRET,
            'b/app.yaml': docs(proxy('app', 'app.example.com',
                                     routes='[{services: [{name: backend, port: 443, protocol: tls, '
                                            'validation: {caSecret: certs/client-ca, '
                                            'subjectName: backend.b.svc}}]}]'),
                               service('backend', 443)),
        },
        'expect': [('condition', 'HTTPProxy', 'b', 'app', 'CACertificateNotDelegated'),
                   ('absent', 'certs/client-ca')],
    },
    {
        'name': "Ingress: another namespace's Secret without a delegation stays HTTP",
        'files': {
            'certs/tls.yaml': TLS_SECRET,
            'b/ing.yaml': docs(ingress('web', 'shop.example.com', 'web', 'certs/shop-tls'),
                               service('web')),
        },
        'expect': [('error-or-condition', 'b', 'web', 'DelegationNotPermitted'),
                   ('absent', 'certs/shop-tls'), ('absent', 'https/shop.example.com')],
    },
    {
        'name': 'Ingress: with a delegation to the namespace: allowed',
        'files': {
            'certs/tls.yaml': docs(TLS_SECRET, delegation('d', 'shop-tls', ['b'])),
            'b/ing.yaml': docs(ingress('web', 'shop.example.com', 'web', 'certs/shop-tls'),
                               service('web')),
        },
        'expect': [('present', 'certs/shop-tls'), ('present', 'https/shop.example.com')],
    },
    {
        'name': "fallback certificate: not delegated to the host's namespace",
        'config': 'envoy: {tls: {fallback-certificate: {namespace: certs, name: fallback}}}\n',
        'files': {
            'certs/fallback.yaml': docs(secret(TLS_SECRET, 'fallback'),
                                        delegation('d', 'fallback', ['a'])),
            'b/tls.yaml': secret(TLS_SECRET, 'tls'),
            'b/shop.yaml': docs(proxy('shop', 'shop.example.com',
                                      tls='{secretName: tls, enableFallbackCertificate: true}',
                                      routes=ROUTE_WEB), service('web')),
        },
        'expect': [('condition', 'HTTPProxy', 'b', 'shop', 'FallbackNotDelegated'),
                   ('absent', 'certs/fallback'), ('absent', 'ingress_fallbackcert')],
    },
]


# First-seen order over time (SPEC 6a): each sequence is a list of steps,
# each step changes files (text, or None to delete) and states what must
# hold afterwards. From a directory the steps are applied to a running
# `cairn serve` with a state directory ('restart' restarts it first: the
# owner must not change, though the newcomer's file sorts first); from git
# each step is a commit, judged by `cairn check`/`cairn dump` at HEAD (no
# state: history decides) and by a `cairn serve --git` following the branch.
SEQUENCES = [
    {
        'name': 'a later claim loses though its path sorts first; the owner leaving hands it over',
        'steps': [
            {'files': {'shop/site.yaml': docs(proxy('site', 'shop.example.com', routes=ROUTE_WEB),
                                              service('web'))},
             'expect': [('status', 'HTTPProxy', 'shop', 'site', 'valid'), ('present', 'shop/web/80')]},
            {'files': {'blog/grab.yaml': docs(proxy('grab', 'shop.example.com',
                                                    routes='[{services: [{name: grab, port: 80}]}]'),
                                              service('grab'))},
             'expect': [('status', 'HTTPProxy', 'shop', 'site', 'valid'),
                        ('condition', 'HTTPProxy', 'blog', 'grab', 'DuplicateVhost'),
                        ('message', 'HTTPProxy', 'blog', 'grab', 'served by HTTPProxy shop/site'),
                        ('present', 'shop/web/80'), ('absent', 'blog/grab/80')]},
            {'restart': True,
             'expect': [('status', 'HTTPProxy', 'shop', 'site', 'valid'),
                        ('condition', 'HTTPProxy', 'blog', 'grab', 'DuplicateVhost'),
                        ('present', 'shop/web/80'), ('absent', 'blog/grab/80')]},
            {'files': {'shop/site.yaml': None},
             'expect': [('status', 'HTTPProxy', 'blog', 'grab', 'valid'),
                        ('present', 'blog/grab/80'), ('absent', 'shop/web/80')]},
            {'files': {'shop/site.yaml': docs(proxy('site', 'shop.example.com', routes=ROUTE_WEB),
                                              service('web'))},
             'restart': True,
             'expect': [('status', 'HTTPProxy', 'blog', 'grab', 'valid'),
                        ('condition', 'HTTPProxy', 'shop', 'site', 'DuplicateVhost'),
                        ('message', 'HTTPProxy', 'shop', 'site', 'served by HTTPProxy blog/grab'),
                        ('present', 'blog/grab/80'), ('absent', 'shop/web/80')]},
        ],
    },
    {
        'name': 'a file that claimed another FQDN before does not count as older',
        'steps': [
            {'files': {'blog/grab.yaml': docs(proxy('grab', 'blog.example.com',
                                                    routes='[{services: [{name: grab, port: 80}]}]'),
                                              service('grab'))},
             'expect': [('status', 'HTTPProxy', 'blog', 'grab', 'valid')]},
            {'files': {'shop/site.yaml': docs(proxy('site', 'shop.example.com', routes=ROUTE_WEB),
                                              service('web'))},
             'expect': [('status', 'HTTPProxy', 'shop', 'site', 'valid')]},
            {'files': {'blog/grab.yaml': docs(proxy('grab', 'shop.example.com',
                                                    routes='[{services: [{name: grab, port: 80}]}]'),
                                              service('grab'))},
             'restart': True,
             'expect': [('status', 'HTTPProxy', 'shop', 'site', 'valid'),
                        ('condition', 'HTTPProxy', 'blog', 'grab', 'DuplicateVhost'),
                        ('present', 'shop/web/80'), ('absent', 'blog/grab/80')]},
        ],
    },
    {
        'name': 'TLS passthrough: a later claim loses though its path sorts first',
        'steps': [
            {'files': {'shop/db.yaml': docs(proxy('db', 'db.example.com', tls='{passthrough: true}',
                                                  tcpproxy='{services: [{name: pg, port: 5432}]}'),
                                            service('pg', 5432))},
             'expect': [('status', 'HTTPProxy', 'shop', 'db', 'valid')]},
            {'files': {'blog/db.yaml': docs(proxy('db', 'db.example.com', tls='{passthrough: true}',
                                                  tcpproxy='{services: [{name: pg, port: 5432}]}'),
                                            service('pg', 5432))},
             'restart': True,
             'expect': [('status', 'HTTPProxy', 'shop', 'db', 'valid'),
                        ('condition', 'HTTPProxy', 'blog', 'db', 'DuplicateVhost'),
                        ('present', 'shop/pg/5432'), ('absent', 'blog/pg/5432')]},
        ],
    },
    {
        'name': "Ingress vs HTTPProxy: whoever claimed the host first keeps it",
        'steps': [
            {'files': {'shop/ing.yaml': docs(ingress('site', 'www.example.com', 'web'), service('web'))},
             'expect': [('present', 'shop/web/80')]},
            {'files': {'blog/grab.yaml': docs(proxy('grab', 'www.example.com',
                                                    routes='[{services: [{name: grab, port: 80}]}]'),
                                              service('grab'))},
             'restart': True,
             'expect': [('condition', 'HTTPProxy', 'blog', 'grab', 'DuplicateVhost'),
                        ('message', 'HTTPProxy', 'blog', 'grab', 'served by Ingress shop/site'),
                        ('present', 'shop/web/80'), ('absent', 'blog/grab/80')]},
            {'files': {'shop/ing.yaml': None, 'blog/grab.yaml': None,
                       'shop/site.yaml': docs(proxy('site', 'api.example.com', routes=ROUTE_WEB),
                                              service('web'))},
             'expect': [('status', 'HTTPProxy', 'shop', 'site', 'valid')]},
            {'files': {'blog/ing.yaml': docs(ingress('grab', 'api.example.com', 'grab').replace(
                'path: /,', 'path: /admin,'), service('grab'))},
             'restart': True,
             'expect': [('status', 'HTTPProxy', 'shop', 'site', 'valid'),
                        ('condition', 'Ingress', 'blog', 'grab', 'HostOwnedByAnotherNamespace'),
                        ('absent', 'blog/grab/80'), ('present', 'shop/web/80')]},
        ],
    },
]


# A corrupt ledger is discarded with a warning: the daemon starts as on a
# first start (claims seen together: path order). Directory only.
SEQUENCES.append({
    'name': 'a corrupt ledger is discarded with a warning, path order decides',
    'directory-only': True,
    'steps': [
        {'files': {'shop/site.yaml': docs(proxy('site', 'shop.example.com', routes=ROUTE_WEB),
                                          service('web'))},
         'expect': [('status', 'HTTPProxy', 'shop', 'site', 'valid')]},
        {'files': {'blog/grab.yaml': docs(proxy('grab', 'shop.example.com',
                                                routes='[{services: [{name: grab, port: 80}]}]'),
                                          service('grab'))},
         'expect': [('status', 'HTTPProxy', 'shop', 'site', 'valid')]},
        {'restart': True, 'corrupt-ledger': True,
         'expect': [('status', 'HTTPProxy', 'blog', 'grab', 'valid'),
                    ('condition', 'HTTPProxy', 'shop', 'site', 'DuplicateVhost'),
                    ('log', 'FQDN ownership ledger discarded: ')]},
    ],
})


class Daemon:
    """`cairn serve` of a directory with its own state directory."""

    def __init__(self, tmp, src=None, git_config=''):
        self.tmp = tmp
        self.source = ['--source', src] if src else []
        self.state = os.path.join(tmp, 'state')
        os.makedirs(self.state, exist_ok=True)
        self.cfg = os.path.join(tmp, 'serve.yaml')
        with open(self.cfg, 'w') as f:
            f.write('debounce: 10ms\nmax-delay: 100ms\n' + git_config)
        self.proc, self.port, self.starts = None, None, 0

    def start(self):
        self.starts += 1
        self.log = os.path.join(self.tmp, 'serve%d.log' % self.starts)
        env = dict(os.environ, CAIRN_STATE_DIRECTORY=self.state)
        env.pop('STATE_DIRECTORY', None)
        with open(self.log, 'w') as out:
            self.proc = subprocess.Popen([CAIRN, 'serve', '-c', self.cfg] + self.source +
                                         ['--xds', '127.0.0.1:0', '--admin', '127.0.0.1:0'],
                                         stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 15
        while time.time() < deadline:
            m = re.search(r'admin on port (\d+)', open(self.log).read())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError('cairn serve did not start: %s' % open(self.log).read())

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
            self.proc = None

    def get(self, path):
        with urllib.request.urlopen('http://127.0.0.1:%d%s' % (self.port, path), timeout=5) as r:
            return r.read().decode()


def apply_files(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        if text is None:
            os.unlink(full)
            continue
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full + '.tmp', 'w') as f:
            f.write(text)
        os.rename(full + '.tmp', full)


def daemon_judge(d, step, n):
    """Polls the daemon until step's expectations hold (10 s at most)."""
    bad = ['no answer']
    deadline = time.time() + 10
    while bad and time.time() < deadline:
        try:
            report = json.loads(d.get('/status'))
            bad = judge(step, report, d.get('/debug/xds'), open(d.log).read())
        except OSError as exc:
            bad = ['admin: %s' % exc]
        if bad:
            time.sleep(0.1)
    if not bad:
        return []
    return ['step %d%s: %s' % (n, ' (after a restart)' if step.get('restart') else '', b)
            for b in bad] + ['log: ' + open(d.log).read().replace('\n', ' | ')[-600:]]


def daemon_restart(d, step):
    # Let the running daemon see the change (and save the ledger)
    # before it stops, as a real restart would.
    time.sleep(0.5)
    d.stop()
    if step.get('corrupt-ledger'):
        with open(os.path.join(d.state, 'fqdn-owners.ledger'), 'r+') as f:
            text = f.read()
            f.seek(0)
            f.write(text.replace('shop/site', 'shop/sitf'))
    d.start()


def run_sequence_directory(seq, tmp):
    """Returns failures (strings) of the first step that fails."""
    src = os.path.join(tmp, 'src')
    os.makedirs(src)
    d = Daemon(tmp, src)
    try:
        for n, step in enumerate(seq['steps'], 1):
            apply_files(src, step.get('files', {}))
            if d.proc is None:
                d.start()
            elif step.get('restart'):
                daemon_restart(d, step)
            bad = daemon_judge(d, step, n)
            if bad:
                return bad
        return []
    finally:
        d.stop()


def run_sequence_git(seq, tmp):
    """Each step a commit: `cairn check`/`dump` at HEAD (stateless) and a
    `cairn serve --git` following the branch (restarted where the step
    says) must both see it."""
    repo = os.path.join(tmp, 'repo')
    os.makedirs(repo)
    git(repo, 'init', '-q', '-b', 'main')
    source = 'source: {git: {repository: %s, branch: main, path: deploy}}\n' % repo
    cfg = os.path.join(tmp, 'cairn.yaml')
    with open(cfg, 'w') as f:
        f.write(source)
    d = Daemon(tmp, git_config=source)
    try:
        for n, step in enumerate(seq['steps'], 1):
            if step.get('files'):
                apply_files(os.path.join(repo, 'deploy'), step['files'])
                git(repo, 'add', '-A')
                git(repo, 'commit', '-q', '--allow-empty', '-m', 'step %d' % n)
            check = subprocess.run([CAIRN, 'check', '-c', cfg, '--format', 'json'],
                                   capture_output=True, text=True)
            dump = subprocess.run([CAIRN, 'dump', '-c', cfg, '--format', 'json'],
                                  capture_output=True, text=True)
            bad = judge(step, json.loads(check.stdout), dump.stdout)
            if bad:
                return ['step %d (commit %d), cairn check: %s' % (n, n, b) for b in bad]
            if d.proc is None:
                d.start()
            elif step.get('restart'):
                daemon_restart(d, step)
            bad = daemon_judge(d, step, n)
            if bad:
                return ['cairn serve --git: ' + b for b in bad]
        return []
    finally:
        d.stop()


def write_tree(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'w') as f:
            f.write(text)


def git(repo, *args):
    subprocess.run(['git', '-C', repo, '-c', 'user.name=cairn test',
                    '-c', 'user.email=test@cairn.invalid'] + list(args),
                   check=True, capture_output=True)


def run_row(row, tmp, source):
    """cairn check and dump of the row's tree: a directory, or a git
    repository holding the tree under deploy/ (source.git.path), where the
    namespace is the first directory level under the path."""
    config = row.get('config', '')
    if source == 'git':
        repo = os.path.join(tmp, 'repo')
        write_tree(os.path.join(repo, 'deploy'), row['files'])
        git(repo, 'init', '-q', '-b', 'main')
        git(repo, 'add', '-A')
        git(repo, 'commit', '-q', '-m', row['name'])
        config += 'source: {git: {repository: %s, branch: main, path: deploy}}\n' % repo
        args = []
    else:
        src = os.path.join(tmp, 'src')
        write_tree(src, row['files'])
        args = ['--source', src]
    if config:
        cfg = os.path.join(tmp, 'cairn.yaml')
        with open(cfg, 'w') as f:
            f.write(config)
        args = ['-c', cfg] + args
    check = subprocess.run([CAIRN, 'check'] + args + ['--format', 'json'],
                           capture_output=True, text=True)
    dump = subprocess.run([CAIRN, 'dump'] + args + ['--format', 'json'],
                          capture_output=True, text=True)
    report = json.loads(check.stdout)
    # dump exits as check does: 1 when the input has problems (README).
    want = 1 if report['summary']['errors'] else 0
    if dump.returncode != want:
        raise RuntimeError('cairn dump exited %d, not %d: %s'
                           % (dump.returncode, want, dump.stderr.strip()))
    return report, dump.stdout


def find_object(report, kind, ns, name):
    for o in report['objects']:
        if o['kind'] == kind and o['namespace'] == ns and o['name'] == name:
            return o
    return None


def reasons_of(report, ns, name):
    """Condition reasons on any object ns/name, and problems naming it."""
    out = []
    for o in report['objects']:
        if o['namespace'] == ns and o['name'] == name:
            out += [c['reason'] for c in o.get('conditions', [])]
    return out


def judge(row, report, dump, log=''):
    """Returns a list of failures (strings)."""
    bad = []
    problems = json.dumps(report.get('problems', []))
    for e in row['expect']:
        what = e[0]
        if what == 'condition':
            o = find_object(report, e[1], e[2], e[3])
            reasons = [c['reason'] for c in o.get('conditions', [])] if o else None
            if o is None or e[4] not in reasons:
                bad.append('%s %s/%s: expected condition %s, got %s'
                           % (e[1], e[2], e[3], e[4], reasons))
        elif what == 'log':
            if e[1] not in log:
                bad.append('the log lacks "%s"' % e[1])
        elif what == 'message':
            o = find_object(report, e[1], e[2], e[3])
            msgs = [c.get('message', '') for c in o.get('conditions', [])] if o else None
            if o is None or not any(e[4] in m for m in msgs):
                bad.append('%s %s/%s: expected a condition message with "%s", got %s'
                           % (e[1], e[2], e[3], e[4], msgs))
        elif what == 'error-or-condition':
            reasons = reasons_of(report, e[1], e[2])
            if e[3] not in reasons and e[3] not in problems:
                bad.append('%s/%s: expected %s, got conditions %s, problems %s'
                           % (e[1], e[2], e[3], reasons, problems))
        elif what == 'status':
            o = find_object(report, e[1], e[2], e[3])
            if o is None or o['status'] != e[4]:
                bad.append('%s %s/%s: expected status %s, got %s'
                           % (e[1], e[2], e[3], e[4], o and o['status']))
        elif what == 'error':
            # Under a git source.path the file is named from the repository root.
            if not any(p.get('file') in (e[1], 'deploy/' + e[1]) and e[2] in p.get('message', '')
                       for p in report.get('problems', [])):
                bad.append('%s: expected a problem "%s", got %s' % (e[1], e[2], problems))
        elif what == 'vhost-lacks':
            vhosts = [vh for rc in json.loads(dump).get('routes', [])
                      for vh in rc.get('virtual_hosts', []) if e[1] in vh.get('domains', [])]
            if not vhosts:
                bad.append('no virtual host for %s in the dump' % e[1])
            elif any(e[2] in json.dumps(vh) for vh in vhosts):
                bad.append('the virtual host of %s holds %s (it must not)' % (e[1], e[2]))
        elif what == 'absent':
            if e[1] in dump:
                bad.append('%s is in the dump (it must not be)' % e[1])
        elif what == 'present':
            if e[1] not in dump:
                bad.append('%s is not in the dump (it must be)' % e[1])
        else:
            raise ValueError(what)
    return bad


def have_git():
    try:
        return subprocess.run(['git', '--version'], capture_output=True).returncode == 0
    except OSError:
        return False


def main():
    probe = '--probe' in sys.argv
    sources = ['directory', 'git']
    print('1..%d' % ((len(ROWS) + len(SEQUENCES)) * len(sources)))
    failed = 0
    i = 0
    for row, source in [(r, s) for r in ROWS for s in sources]:
        i += 1
        if source == 'git' and not have_git():
            print('ok %d - %s (git) # SKIP git not installed' % (i, row['name']))
            continue
        with tempfile.TemporaryDirectory(prefix='cairn-sec-') as tmp:
            try:
                report, dump = run_row(row, tmp, source)
                bad = judge(row, report, dump)
            except Exception as exc:  # a crash of cairn or of the row itself
                report, dump, bad = None, '', ['%s: %s' % (type(exc).__name__, exc)]
        if probe and report is not None:
            for o in report['objects']:
                print('#   %s %s/%s %s %s' % (o['kind'], o['namespace'], o['name'], o['status'],
                                           [c['reason'] for c in o.get('conditions', [])]))
            for p in report.get('problems', []):
                print('#   problem %s' % json.dumps(p))
        if bad:
            failed += 1
            print('not ok %d - %s (%s)' % (i, row['name'], source))
            for b in bad:
                print('#   ' + b)
        else:
            print('ok %d - %s (%s)' % (i, row['name'], source))
    for seq, source in [(q, s) for q in SEQUENCES for s in sources]:
        i += 1
        if source == 'git' and seq.get('directory-only'):
            print('ok %d - %s (git) # SKIP the ledger is for directories' % (i, seq['name']))
            continue
        if source == 'git' and not have_git():
            print('ok %d - %s (git) # SKIP git not installed' % (i, seq['name']))
            continue
        with tempfile.TemporaryDirectory(prefix='cairn-sec-') as tmp:
            try:
                if source == 'git':
                    bad = run_sequence_git(seq, tmp)
                else:
                    bad = run_sequence_directory(seq, tmp)
            except Exception as exc:
                bad = ['%s: %s' % (type(exc).__name__, exc)]
        if bad:
            failed += 1
            print('not ok %d - %s (%s)' % (i, seq['name'], source))
            for b in bad:
                print('#   ' + b)
        else:
            print('ok %d - %s (%s)' % (i, seq['name'], source))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
