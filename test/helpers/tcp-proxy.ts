/**
 * A small loopback TCP proxy for fault tests (no toxiproxy here): forwards 127.0.0.1:<port> to
 * a target, and on demand cuts every open connection, refuses new ones (the listener is closed,
 * so clients get a real ECONNREFUSED), or delays every chunk in both directions.
 */
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';

export interface ProxyStats {
  /** Connections accepted and forwarded. */
  connections: number;
  /** Connections destroyed by cut(). */
  cut: number;
  /** Times refuse() closed the listener. */
  refusals: number;
}

export interface TcpProxy {
  readonly port: number;
  readonly stats: Readonly<ProxyStats>;
  /** Destroys every open connection (both sides), as a network failure would. */
  cut(): number;
  /** Stops accepting (ECONNREFUSED) until accept(); open connections are left alone. */
  refuse(): Promise<void>;
  /** Listens again on the same port. */
  accept(): Promise<void>;
  /** Delays each chunk by `ms` in both directions (0 = none). Order is kept. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

export async function startProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const stats: ProxyStats = { connections: 0, cut: 0, refusals: 0 };
  let latencyMs = 0;

  // Equal delays keep order: timers of the same duration fire in the order they were set.
  const forward = (from: Socket, to: Socket): void => {
    from.on('data', (chunk: Buffer) => {
      if (latencyMs === 0) to.write(chunk);
      else setTimeout(() => to.destroyed || to.write(chunk), latencyMs);
    });
    from.on('end', () => (latencyMs === 0 ? to.end() : setTimeout(() => to.end(), latencyMs)));
  };

  const onConnection = (client: Socket): void => {
    stats.connections++;
    const upstream = tcpConnect(target.port, target.host);
    for (const s of [client, upstream]) {
      open.add(s);
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.on('close', () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    forward(client, upstream);
    forward(upstream, client);
  };

  let server: Server = createServer(onConnection);
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  const port = await listen(0);
  let listening = true;

  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
    });

  return {
    port,
    stats,
    cut() {
      // Only client-side sockets are counted; each has an upstream twin.
      const n = Math.ceil(open.size / 2);
      for (const s of [...open]) s.destroy();
      stats.cut += n;
      return n;
    },
    async refuse() {
      stats.refusals++;
      // server.close() waits for open connections; it stops accepting at once.
      void stopListening();
    },
    async accept() {
      if (listening) return;
      server = createServer(onConnection);
      await listen(port);
      listening = true;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    async close() {
      for (const s of [...open]) s.destroy();
      await stopListening();
    },
  };
}
