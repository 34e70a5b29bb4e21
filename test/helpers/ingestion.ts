/**
 * A stand-in for the Application Insights ingestion endpoint on a random loopback port: the Azure
 * Monitor exporter only posts over https, so it serves a self-signed certificate, which only this
 * test process trusts (NODE_TLS_REJECT_UNAUTHORIZED=0). Every request body is kept, un-gzipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface Ingestion {
  /** `https://127.0.0.1:<port>/`, for the connection string's IngestionEndpoint. */
  readonly endpoint: string;
  /** A connection string that sends everything here. */
  readonly connectionString: string;
  readonly bodies: string[];
  /** Waits (up to 10 s) until some body contains `text`; the exporter posts asynchronously. */
  received(text: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function startIngestion(): Promise<Ingestion> {
  const dir = mkdtempSync(join(tmpdir(), 'ingestion-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'k.pem'),
      '-out',
      join(dir, 'c.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const tls = { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
  rmSync(dir, { recursive: true, force: true });
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  // The distro's own usage statistics go to a Microsoft endpoint, unreachable here.
  process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED = 'true';
  const bodies: string[] = [];
  const server = createServer(tls, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      bodies.push((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString());
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ itemsReceived: 0, itemsAccepted: 0, errors: [] }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    endpoint,
    connectionString: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=${endpoint}`,
    bodies,
    async received(text) {
      for (let i = 0; i < 100 && !bodies.join('\n').includes(text); i++) await new Promise((r) => setTimeout(r, 100));
      return bodies.join('\n').includes(text);
    },
    close: () => new Promise((done) => server.close(() => done())),
  };
}
