/** The product connections a test file opens, closed together in its afterAll. */
import { connect, type RedisClient } from '../../src/redis/connection';
import type { Settings } from '../../src/config/settings';

export interface Connections {
  /** `connect(settings)`, kept to be closed. */
  open(settings: Settings): Promise<RedisClient>;
  /** Keeps a client opened another way (with limits, Entra, createClient) to be closed. */
  keep<T extends RedisClient>(client: T): T;
  closeAll(): void;
}

export function trackConnections(): Connections {
  const opened: RedisClient[] = [];
  const keep = <T extends RedisClient>(client: T): T => {
    opened.push(client);
    return client;
  };
  return {
    open: async (settings) => keep(await connect(settings)),
    keep,
    closeAll: () => {
      for (const c of opened.splice(0)) c.disconnect();
    },
  };
}
