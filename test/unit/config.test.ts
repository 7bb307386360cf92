import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { type TestPki, makeTestPki } from '../support/test-pki';

describe('loadConfig', () => {
  it('when nothing is set, then the defaults of the public contract apply', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      temporal: { address: undefined, namespace: 'default', taskQueue: 'cxloop', tls: false },
      mongo: { uri: undefined, dbName: 'cxloop' },
      smtp: { url: undefined },
      replySweepInterval: '30s',
      migrateOnStart: false,
    });
    expect(config.dataDir.endsWith('data')).toBe(true);
  });

  it('when services are set, then they are used as given and an empty value counts as unset', () => {
    const config = loadConfig({
      PORT: '8080',
      TEMPORAL_ADDRESS: 'temporal:7233',
      MONGODB_URI: 'mongodb+srv://user:pw@cluster.example.net/',
      SMTP_URL: 'smtps://u:p@relay.example.com:465',
      PUBLIC_BASE_URL: 'https://cx.example.com/',
      TEMPORAL_API_KEY: 'key',
      MAIL_FROM: '',
    });
    expect(config).toMatchObject({
      port: 8080,
      publicBaseUrl: 'https://cx.example.com',
      temporal: { address: 'temporal:7233', tls: {} },
      mongo: { uri: 'mongodb+srv://user:pw@cluster.example.net/' },
      smtp: { url: 'smtps://u:p@relay.example.com:465', from: 'cxloop surveys <surveys@cxloop.localhost>' },
    });
  });

  it.each([
    ['PORT', 'eighty', /PORT/],
    ['PORT', '70000', /PORT/],
    ['TEMPORAL_ADDRESS', 'http://temporal:7233', /TEMPORAL_ADDRESS: host:port/],
    ['MONGODB_URI', 'postgres://db', /MONGODB_URI: a mongodb:\/\/ or mongodb\+srv:\/\/ URI/],
    ['SMTP_URL', 'relay:25', /SMTP_URL: an smtp:\/\/ or smtps:\/\/ URL/],
    ['PUBLIC_BASE_URL', 'cx.example.com', /PUBLIC_BASE_URL/],
    ['CXLOOP_ADMIN_PASSWORD', 'short', /CXLOOP_ADMIN_PASSWORD: at least 12 characters/],
    ['REPLY_SWEEP_INTERVAL', 'often', /REPLY_SWEEP_INTERVAL: a duration/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
    ['WORKER_HEALTH_PORT', '65536', /WORKER_HEALTH_PORT: a port number from 0 to 65535/],
    ['MIGRATE_ON_START', 'yes', /MIGRATE_ON_START/],
  ])('when %s is %s, then start fails naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('when WORKER_HEALTH_PORT is unset, then it stays unset (each entry point picks its default); 0 asks for a free port', () => {
    expect(loadConfig({}).workerHealthPort).toBeUndefined();
    expect(loadConfig({ WORKER_HEALTH_PORT: '' }).workerHealthPort).toBeUndefined();
    expect(loadConfig({ WORKER_HEALTH_PORT: '3001' }).workerHealthPort).toBe(3001);
    expect(loadConfig({ WORKER_HEALTH_PORT: '0' }).workerHealthPort).toBe(0);
  });
});

describe("loadConfig: TLS to Temporal, with the variables of Temporal's own tools", () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => pki.remove());
  const pem = (file: string) => readFileSync(file);
  const mtls = () => ({
    TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.cert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: pki.client.key,
  });
  const fails = (env: Record<string, string>, message: RegExp) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  };

  it('when nothing is set, then plain gRPC; TEMPORAL_TLS alone is TLS with the system CAs, false is off', () => {
    expect(loadConfig({}).temporal.tls).toBe(false);
    expect(loadConfig({ TEMPORAL_TLS: 'true' }).temporal.tls).toEqual({});
    expect(loadConfig({ TEMPORAL_TLS: '1' }).temporal.tls).toEqual({});
    expect(loadConfig({ TEMPORAL_TLS: 'false' }).temporal.tls).toBe(false);
    expect(loadConfig({ TEMPORAL_API_KEY: 'key' }).temporal.tls).toEqual({});
  });

  it('when a client certificate, key, server CA and server name are files, then each is read at start, as PEM', () => {
    const { tls } = loadConfig({
      ...mtls(),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.ca.cert,
      TEMPORAL_TLS_SERVER_NAME: pki.serverName,
    }).temporal;
    expect(tls).toEqual({
      clientCertPair: { crt: pem(pki.client.cert), key: pem(pki.client.key) },
      serverRootCACertificate: pem(pki.ca.cert),
      serverNameOverride: pki.serverName,
    });
  });

  it('when they are given inline (_DATA), then the same, and TLS is on without TEMPORAL_TLS', () => {
    const { tls } = loadConfig({
      TEMPORAL_TLS_CLIENT_CERT_DATA: pem(pki.client.cert).toString(),
      TEMPORAL_TLS_CLIENT_KEY_DATA: pem(pki.client.key).toString(),
      TEMPORAL_TLS_SERVER_CA_CERT_DATA: pem(pki.ca.cert).toString(),
    }).temporal;
    expect(tls).toEqual({
      clientCertPair: { crt: pem(pki.client.cert), key: pem(pki.client.key) },
      serverRootCACertificate: pem(pki.ca.cert),
    });
  });

  it('when only a private CA or a server name is set, then TLS verifies the server with them, without a client certificate', () => {
    expect(loadConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.ca.cert }).temporal.tls).toEqual({
      serverRootCACertificate: pem(pki.ca.cert),
    });
    expect(loadConfig({ TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }).temporal.tls).toEqual({
      serverNameOverride: 'temporal.internal',
    });
  });

  it('when a key comes without its certificate or the other way round, then start fails naming what is missing', () => {
    fails(
      { TEMPORAL_TLS_CLIENT_KEY_PATH: pki.client.key },
      /TEMPORAL_TLS_CLIENT_KEY_PATH is set without the client certificate/,
    );
    fails(
      { TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.cert },
      /TEMPORAL_TLS_CLIENT_CERT_PATH is set without the client key/,
    );
  });

  it('when a file cannot be read, then start fails naming the variable and the path', () => {
    const missing = path.join(pki.dir, 'missing.pem');
    fails(
      { ...mtls(), TEMPORAL_TLS_CLIENT_CERT_PATH: missing },
      new RegExp(`TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read ${missing} \\(ENOENT\\)`),
    );
    fails({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.dir }, /TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read .* \(EISDIR\)/);
  });

  it("when a value is not PEM, does not parse, or the key is not the certificate's, then start fails without repeating it", () => {
    const garbage = path.join(pki.dir, 'garbage.pem');
    writeFileSync(garbage, '-----BEGIN CERTIFICATE-----\nc2VjcmV0LWlzaA==\n-----END CERTIFICATE-----\n');
    fails(
      { ...mtls(), TEMPORAL_TLS_CLIENT_CERT_PATH: garbage },
      /CLIENT_CERT_PATH: a PEM CERTIFICATE block that does not parse/,
    );
    fails({ TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'not a certificate' }, /SERVER_CA_CERT_DATA: not a PEM certificate/);
    fails({ ...mtls(), TEMPORAL_TLS_CLIENT_KEY_PATH: pki.client.cert }, /CLIENT_KEY_PATH: not a PEM private key/);
    fails(
      { ...mtls(), TEMPORAL_TLS_CLIENT_KEY_PATH: pki.strangerClient.key },
      /CLIENT_KEY_PATH: this key does not belong to the certificate/,
    );
    const secret = pem(pki.client.key).toString();
    const error = (() => {
      try {
        loadConfig({ TEMPORAL_TLS_CLIENT_KEY_DATA: secret.replace('PRIVATE KEY-----\n', 'PRIVATE KEY-----\nX') });
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(error).toMatch(/TEMPORAL_TLS_CLIENT_KEY_DATA/);
    expect(error).not.toContain(secret.split('\n')[1]!.slice(0, 16));
  });

  it('when both the file and the data of one item are set, TLS is off while material is set, or host verification is to be skipped, then start fails', () => {
    fails(
      { ...mtls(), TEMPORAL_TLS_CLIENT_CERT_DATA: pem(pki.client.cert).toString() },
      /TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_CERT_DATA are both set/,
    );
    fails(
      { ...mtls(), TEMPORAL_TLS: 'false' },
      /TEMPORAL_TLS is false but TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH set/,
    );
    fails(
      { TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' },
      /TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: not supported.*TEMPORAL_TLS_SERVER_NAME/,
    );
    expect(loadConfig({ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'false' }).temporal.tls).toBe(false);
  });
});
