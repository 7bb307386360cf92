/**
 * A stand-in for a TLS-terminating load balancer, run as a process of its own by the proxy tests:
 * `node --import tsx test/support/reverse-proxy.ts <listen address> <target URL>[,<target URL>…]`.
 * It listens on its own loopback address, sends each request to the next target in turn from that
 * same address, and adds what a real one adds: the client's address appended to
 * `X-Forwarded-For` (as nginx's `$proxy_add_x_forwarded_for` does), `X-Forwarded-Proto: https`
 * and `X-Forwarded-Host`. It prints `listening <url>` once it accepts connections.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const [address, targetList] = process.argv.slice(2);
if (!address || !targetList) throw new Error('usage: reverse-proxy.ts <listen address> <target URL>[,…]');
const targets = targetList.split(',').map((t) => new URL(t));
let turn = 0;

const server = http.createServer((req, res) => {
  const target = targets[turn++ % targets.length]!;
  const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
  const upstream = http.request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      localAddress: address,
      headers: {
        ...req.headers,
        'x-forwarded-for': forwardedFor,
        'x-forwarded-proto': 'https',
        'x-forwarded-host': req.headers.host,
      },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
});

server.listen(0, address, () => {
  const { port } = server.address() as AddressInfo;
  console.log(`listening http://${address}:${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
