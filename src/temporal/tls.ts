import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { TLSConfig } from '@temporalio/client';

/**
 * The TLS variables of Temporal's own tools (the `temporal` CLI and the SDKs' environment
 * configuration), each certificate or key given as a file (`_PATH`) or inline PEM (`_DATA`).
 */
export interface TemporalTlsEnv {
  /** Unset, true or false: false turns TLS off and refuses TLS material. */
  TEMPORAL_TLS?: boolean;
  TEMPORAL_API_KEY?: string;
  TEMPORAL_TLS_CLIENT_CERT_PATH?: string;
  TEMPORAL_TLS_CLIENT_CERT_DATA?: string;
  TEMPORAL_TLS_CLIENT_KEY_PATH?: string;
  TEMPORAL_TLS_CLIENT_KEY_DATA?: string;
  TEMPORAL_TLS_SERVER_CA_CERT_PATH?: string;
  TEMPORAL_TLS_SERVER_CA_CERT_DATA?: string;
  TEMPORAL_TLS_SERVER_NAME?: string;
  TEMPORAL_TLS_DISABLE_HOST_VERIFICATION?: boolean;
}

type Material = 'CLIENT_CERT' | 'CLIENT_KEY' | 'SERVER_CA_CERT';

const MATERIAL: Record<Material, string> = {
  CLIENT_CERT: 'client certificate',
  CLIENT_KEY: 'client key',
  SERVER_CA_CERT: 'server CA certificate',
};

/**
 * The TLS options of every Temporal connection (client and worker alike), read and checked once
 * at start: `false` for plain gRPC, `{}` for TLS with the system's CAs (TEMPORAL_TLS, or an API
 * key), or mTLS and a private CA from the files or data given. Errors name the variable and never
 * repeat what it holds.
 */
export function temporalTls(env: TemporalTlsEnv): TLSConfig | false {
  if (env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION)
    throw new Error(
      "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: not supported, the Temporal TypeScript SDK always checks the server's name; set TEMPORAL_TLS_SERVER_NAME to a name in the server's certificate",
    );
  const given = (['CLIENT_CERT', 'CLIENT_KEY', 'SERVER_CA_CERT'] as const).flatMap((material) => {
    const source = sourceOf(env, material);
    return source ? [source] : [];
  });
  const tlsSettings = [
    ...given.map((source) => source.variable),
    ...(env.TEMPORAL_TLS_SERVER_NAME ? ['TEMPORAL_TLS_SERVER_NAME'] : []),
  ];
  if (env.TEMPORAL_TLS === false && tlsSettings.length)
    throw new Error(`TEMPORAL_TLS is false but ${tlsSettings.join(', ')} set: remove one or the other`);
  if (!env.TEMPORAL_TLS && !env.TEMPORAL_API_KEY && !tlsSettings.length) return false;

  const loaded = Object.fromEntries(
    given.map((source) => [source.material, { ...source, pem: load(source) }]),
  ) as Partial<Record<Material, LoadedSource>>;
  const { CLIENT_CERT: cert, CLIENT_KEY: key, SERVER_CA_CERT: ca } = loaded;
  if (cert && !key)
    throw new Error(`${cert.variable} is set without the client key: set TEMPORAL_TLS_CLIENT_KEY_PATH (or _DATA) too`);
  if (key && !cert)
    throw new Error(
      `${key.variable} is set without the client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH (or _DATA) too`,
    );
  if (cert && key) {
    const certificates = certificatesIn(cert);
    const privateKey = privateKeyIn(key);
    if (!certificates[0]!.checkPrivateKey(privateKey))
      throw new Error(`${key.variable}: this key does not belong to the certificate of ${cert.variable}`);
  }
  if (ca) certificatesIn(ca);
  return {
    ...(cert && key ? { clientCertPair: { crt: cert.pem, key: key.pem } } : {}),
    ...(ca ? { serverRootCACertificate: ca.pem } : {}),
    ...(env.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
}

interface Source {
  material: Material;
  variable: string;
  kind: 'path' | 'data';
  value: string;
}

interface LoadedSource extends Source {
  pem: Buffer;
}

function sourceOf(env: TemporalTlsEnv, material: Material): Source | undefined {
  const path = `TEMPORAL_TLS_${material}_PATH` as const;
  const data = `TEMPORAL_TLS_${material}_DATA` as const;
  if (env[path] && env[data])
    throw new Error(`${path} and ${data} are both set: give the ${MATERIAL[material]} one way only`);
  if (env[path]) return { material, variable: path, kind: 'path', value: env[path] };
  if (env[data]) return { material, variable: data, kind: 'data', value: env[data] };
  return undefined;
}

function load(source: Source): Buffer {
  if (source.kind === 'data') return Buffer.from(source.value);
  try {
    return readFileSync(source.value);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(`${source.variable}: cannot read ${source.value} (${reason})`);
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate in a PEM bundle, each checked; gRPC and Temporal's core take PEM only. */
function certificatesIn(source: LoadedSource): X509Certificate[] {
  const blocks = source.pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (!blocks.length) throw new Error(`${source.variable}: not a PEM certificate (no BEGIN CERTIFICATE block)`);
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new Error(`${source.variable}: a PEM CERTIFICATE block that does not parse as an X.509 certificate`);
    }
  });
}

function privateKeyIn(source: LoadedSource) {
  const text = source.pem.toString('latin1');
  if (!/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(text))
    throw new Error(`${source.variable}: not a PEM private key (no BEGIN PRIVATE KEY block)`);
  try {
    return createPrivateKey(source.pem);
  } catch {
    throw new Error(
      `${source.variable}: a PEM private key that does not parse (an encrypted key is not supported: give it decrypted)`,
    );
  }
}

/**
 * Why a TLS connection to `address` fails, in words, from a handshake of its own with the same
 * options: gRPC reports only "Failed to connect before the deadline" or a broken pipe. Undefined
 * when the server takes the connection (the problem is elsewhere). Bounded: at most 3 s.
 */
export function tlsHandshakeProblem(address: string, options: TLSConfig): Promise<string | undefined> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port: Number(address.slice(colon + 1)),
      servername: options.serverNameOverride ?? (isIP(host) ? undefined : host),
      ALPNProtocols: ['h2'],
      ...(options.serverRootCACertificate ? { ca: [Buffer.from(options.serverRootCACertificate)] } : {}),
      ...(options.clientCertPair
        ? { cert: Buffer.from(options.clientCertPair.crt), key: Buffer.from(options.clientCertPair.key) }
        : {}),
    });
    const bound = setTimeout(() => done(undefined), 3_000);
    let answered = false;
    const done = (problem: string | undefined) => {
      if (answered) return;
      answered = true;
      clearTimeout(bound);
      socket.destroy();
      resolve(problem);
    };
    // With TLS 1.3 a server judges the client's certificate after the handshake: an alert or a
    // hang-up then means it refused it, an HTTP/2 answer to our preface that it took it.
    socket.once('secureConnect', () => socket.write(HTTP2_PREFACE));
    socket.once('data', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(explain(err)));
    socket.once('close', () =>
      done(
        options.clientCertPair
          ? 'the server hangs up right after the TLS handshake: it refuses the client certificate (not signed by a CA it trusts?)'
          : 'the server hangs up right after the TLS handshake',
      ),
    );
  });
}

/** HTTP/2's client connection preface and an empty SETTINGS frame: a gRPC server answers with its SETTINGS. */
const HTTP2_PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
]);

function explain(err: NodeJS.ErrnoException): string {
  const code = err.code ?? '';
  const because = (what: string) => `${what} (${code || err.message})`;
  if (code.includes('CERTIFICATE_REQUIRED'))
    return because(
      'the server asks for a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH',
    );
  if (/ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|ACCESS_DENIED)/.test(code))
    return because('the server refuses the client certificate: it is not signed by a CA the server trusts');
  if (
    /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_UNTRUSTED)$/.test(
      code,
    )
  )
    return because(
      "the server's certificate is not signed by a trusted CA: set TEMPORAL_TLS_SERVER_CA_CERT_PATH to its CA",
    );
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return because("the server's certificate is for another name: set TEMPORAL_TLS_SERVER_NAME to a name in it");
  if (code === 'CERT_HAS_EXPIRED') return because("the server's certificate has expired");
  return `TLS handshake: ${err.message}`;
}
