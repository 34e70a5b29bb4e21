/**
 * Pure parts of Entra ID auth for Redis: who a token belongs to, and when to refresh it.
 * No I/O here, so the timing rules are unit-tested without a clock or a server.
 */

/** Scope of Azure Cache for Redis / Azure Managed Redis data-plane tokens. */
export const REDIS_SCOPE = 'https://redis.azure.com/.default';

const MINUTE = 60_000;

/**
 * The Redis user name for a token: its object ID (`oid` claim), else its subject (`sub`).
 * The signature is not checked: the token came from our own credential and Redis verifies it.
 * Throws a message without the token when the payload is unreadable.
 */
export function tokenUsername(token: string): string {
  const payload = token.split('.')[1];
  let claims: unknown;
  try {
    claims = payload ? JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) : undefined;
  } catch {
    claims = undefined;
  }
  const record = typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : {};
  const name = [record.oid, record.sub].find((v): v is string => typeof v === 'string' && v.length > 0);
  if (!name) {
    throw new Error('The Microsoft Entra token for Redis is not a JWT with an `oid` or `sub` claim');
  }
  return name;
}

/**
 * Delay until the next refresh of a token valid for `lifetimeMs` more: about 5 minutes before
 * expiry, ±1 minute of jitter so many connections do not refresh at once. Short-lived tokens
 * refresh around half-life instead. Always below the lifetime (if one remains), and at least
 * 30 s (or half the lifetime, when that is shorter) so a credential returning a nearly expired
 * cached token cannot cause a hot loop.
 */
export function refreshDelayMs(lifetimeMs: number, random: () => number = Math.random): number {
  if (lifetimeMs <= 2_000) return 1_000;
  const margin = Math.min(5 * MINUTE, lifetimeMs / 2);
  const jitter = (random() * 2 - 1) * Math.min(MINUTE, margin / 4);
  const floor = Math.min(30_000, lifetimeMs / 2);
  return Math.round(Math.max(floor, lifetimeMs - margin + jitter));
}

/** Backoff after the `attempt`-th failed refresh (1-based): 1 s, 2 s, 4 s … capped at 1 min, ±20 %. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MINUTE, 1_000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}
