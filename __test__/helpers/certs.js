'use strict'

// A throwaway CA and a server certificate for 127.0.0.1 / localhost, made with openssl.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync } = require('child_process')

function makeCerts () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-certs-'))
  const f = (name) => path.join(dir, name)
  const ssl = (...args) => execFileSync('openssl', args, { stdio: 'pipe' })
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=mqtt-napi test CA', '-keyout', f('ca.key'), '-out', f('ca.crt'))
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', f('server.key'), '-out', f('server.csr'))
  fs.writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext.cnf'), '-out', f('server.crt'))
  // A client certificate from the same CA (mutual TLS), and a CA nobody trusts.
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=mqtt-napi test client', '-keyout', f('client.key'), '-out', f('client.csr'))
  // With an extension, so it is an X.509 v3 certificate (rustls refuses v1 ones).
  fs.writeFileSync(f('client.cnf'), 'extendedKeyUsage=clientAuth\n')
  ssl('x509', '-req', '-in', f('client.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('client.cnf'), '-out', f('client.crt'))
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=some other CA', '-keyout', f('other.key'), '-out', f('other.crt'))
  // The everyday home set-up: one self-signed certificate (CA:TRUE, CN only, no SAN) that the
  // broker serves and the client pins as its `ca`.
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-keyout', f('pinned.key'), '-out', f('pinned.crt'))
  // A certificate from the test CA that names its host only in its CN (no subjectAltName),
  // as older CAs and many device set-ups still issue them; v3 by its extendedKeyUsage.
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', f('cn-only.key'), '-out', f('cn-only.csr'))
  fs.writeFileSync(f('cn-only.cnf'), 'extendedKeyUsage=serverAuth\n')
  ssl('x509', '-req', '-in', f('cn-only.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('cn-only.cnf'), '-out', f('cn-only.crt'))
  // Readable by Mosquitto, which drops root for its own user before reading them.
  fs.chmodSync(dir, 0o755)
  for (const name of fs.readdirSync(dir)) fs.chmodSync(f(name), 0o644)
  return {
    dir,
    clientKey: fs.readFileSync(f('client.key')),
    clientCert: fs.readFileSync(f('client.crt')),
    clientKeyPath: f('client.key'),
    clientCertPath: f('client.crt'),
    otherCa: fs.readFileSync(f('other.crt')),
    pinned: fs.readFileSync(f('pinned.crt')),
    pinnedCertPath: f('pinned.crt'),
    pinnedKeyPath: f('pinned.key'),
    cnOnlyCertPath: f('cn-only.crt'),
    cnOnlyKeyPath: f('cn-only.key'),
    caPath: f('ca.crt'),
    keyPath: f('server.key'),
    certPath: f('server.crt'),
    ca: fs.readFileSync(f('ca.crt')),
    key: fs.readFileSync(f('server.key')),
    cert: fs.readFileSync(f('server.crt')),
    remove: () => fs.rmSync(dir, { recursive: true, force: true })
  }
}

module.exports = { makeCerts }
