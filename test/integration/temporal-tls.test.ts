import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { connectTemporalClient, connectWorkerConnection } from '../../src/temporal/connection';
import { type TestPki, makeTestPki } from '../support/test-pki';

/**
 * Issue 22: Temporal behind mTLS and a private CA. The dev server speaks plain gRPC only (no TLS
 * flags in `temporal server start-dev`), so a TLS terminator of the test's own stands in front of
 * it, as an ingress would: it presents a certificate for one name from the test's CA and admits
 * only clients whose certificate that CA signed.
 */
describe('when Temporal asks for mutual TLS', () => {
  let pki: TestPki;
  let proxy: tls.Server;
  let address: string;

  beforeAll(async () => {
    pki = makeTestPki();
    const [host, port] = inject('stack').temporalAddress.split(':') as [string, string];
    proxy = tls.createServer(
      {
        cert: readFileSync(pki.server.cert),
        key: readFileSync(pki.server.key),
        ca: readFileSync(pki.ca.cert),
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2'],
      },
      (client) => {
        const upstream = net.connect(Number(port), host);
        client.pipe(upstream).pipe(client);
        const end = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      },
    );
    proxy.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => proxy?.close(() => resolve()));
    pki?.remove();
  });

  const envFor = (client: { cert: string; key: string } | undefined, ca: string) => ({
    TEMPORAL_ADDRESS: address,
    ...(client ? { TEMPORAL_TLS_CLIENT_CERT_PATH: client.cert, TEMPORAL_TLS_CLIENT_KEY_PATH: client.key } : {}),
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
    TEMPORAL_TLS_SERVER_NAME: pki.serverName,
  });
  const settings = (env: Record<string, string>) => {
    const { temporal } = loadConfig(env);
    return { ...temporal, address: temporal.address! };
  };

  it('then a client and a worker connection with the CA, the server name and a client certificate it signed describe the namespace', async () => {
    const config = settings(envFor(pki.client, pki.ca.cert));
    const client = await connectTemporalClient(config);
    try {
      const { namespaceInfo } = await client.workflowService.describeNamespace({ namespace: 'default' });
      expect(namespaceInfo?.name).toBe('default');
    } finally {
      await client.connection.close();
    }
    const worker = await connectWorkerConnection(config);
    try {
      const { namespaceInfo } = await worker.workflowService.describeNamespace({ namespace: 'default' });
      expect(namespaceInfo?.name).toBe('default');
    } finally {
      await worker.close();
    }
  });

  it('then without a client certificate, with one another CA signed, or trusting another CA, the connection fails saying why', async () => {
    const clientError = (env: Record<string, string>) =>
      connectTemporalClient(settings(env)).then(
        async (client) => {
          await client.connection.close();
          return 'connected';
        },
        (err: Error) => err.message,
      );
    const workerError = (env: Record<string, string>) =>
      connectWorkerConnection(settings(env)).then(
        async (connection) => {
          await connection.close();
          return 'connected';
        },
        (err: Error) => err.message,
      );
    const over = `cannot connect to Temporal at ${address} over TLS: `;

    const noCertificate = envFor(undefined, pki.ca.cert);
    const asks = /the server asks for a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH/;
    expect(await clientError(noCertificate)).toContain(over);
    expect(await clientError(noCertificate)).toMatch(asks);
    expect(await workerError(noCertificate)).toMatch(asks);

    // Go's TLS (Temporal) refuses with an alert, Node's (this terminator) hangs up: both are named.
    const refuses = /refuses the client certificate/;
    expect(await clientError(envFor(pki.strangerClient, pki.ca.cert))).toMatch(refuses);
    expect(await workerError(envFor(pki.strangerClient, pki.ca.cert))).toMatch(refuses);

    const untrusted = /the server's certificate is not signed by a trusted CA: set TEMPORAL_TLS_SERVER_CA_CERT_PATH/;
    expect(await clientError(envFor(pki.client, pki.otherCa.cert))).toMatch(untrusted);
    expect(await workerError(envFor(pki.client, pki.otherCa.cert))).toMatch(untrusted);

    const { TEMPORAL_TLS_SERVER_NAME: _name, ...byAddress } = envFor(pki.client, pki.ca.cert);
    expect(await workerError(byAddress)).toMatch(
      /the server's certificate is for another name: set TEMPORAL_TLS_SERVER_NAME/,
    );
  });
});
