import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
