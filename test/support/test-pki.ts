import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** File paths of one certificate and its key. */
export interface CertFiles {
  cert: string;
  key: string;
}

/** A throw-away PKI for TLS tests, made with the system's `openssl`: nothing checked in, valid a day. */
export interface TestPki {
  dir: string;
  /** The CA that signs the server and the client. */
  ca: CertFiles;
  /** The server's certificate, for `serverName` only (no IP address in it). */
  server: CertFiles;
  serverName: string;
  client: CertFiles;
  /** Another CA, and a client it signed: trusted by no one here. */
  otherCa: CertFiles;
  strangerClient: CertFiles;
  remove(): void;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function makeCa(dir: string, name: string): CertFiles {
  const files = { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
  openssl(dir, [
    'req',
    '-x509',
    ...newKey,
    '-keyout',
    files.key,
    '-out',
    files.cert,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return files;
}

function makeLeaf(dir: string, name: string, ca: CertFiles, extensions: string): CertFiles {
  const files = { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(dir, ['req', ...newKey, '-keyout', files.key, '-out', csr, '-subj', `/CN=${name}`]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-set_serial',
    String(Date.now()),
    '-days',
    '1',
    '-extfile',
    ext,
    '-out',
    files.cert,
  ]);
  return files;
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cxloop-pki-'));
  const serverName = 'temporal.cxloop.test';
  const ca = makeCa(dir, 'cxloop-test-ca');
  const otherCa = makeCa(dir, 'other-ca');
  const client = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
  return {
    dir,
    ca,
    serverName,
    server: makeLeaf(
      dir,
      'server',
      ca,
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${serverName}\n`,
    ),
    client: makeLeaf(dir, 'client', ca, client),
    otherCa,
    strangerClient: makeLeaf(dir, 'stranger', otherCa, client),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
