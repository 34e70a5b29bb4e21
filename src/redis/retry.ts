/**
 * The retry policy for the client (docs/design.md, "Retry policy"): the twin of
 * src/redis/scripts/lib/retry.lua, used where the client decides (the dry run's preview) or
 * builds a copy (src/redis/wide.ts). test/unit/redis/retry.test.ts holds both to the same answers.
 */
export const RETRY_ORIGIN = 'reclaim.origin';
export const RETRY_DELIVERIES = 'reclaim.deliveries';

const ORIGIN = Buffer.from(RETRY_ORIGIN);
const DELIVERIES = Buffer.from(RETRY_DELIVERIES);

/** Deliveries of earlier copies; anything but a decimal integer of at most 15 digits counts as 0. */
export function priorDeliveries(fields: readonly Buffer[]): number {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if ((fields[i] as Buffer).equals(DELIVERIES)) {
      const v = (fields[i + 1] as Buffer).toString('latin1');
      return v.length <= 15 && /^\d+$/.test(v) ? Number(v) : 0;
    }
  }
  return 0;
}

/** How long an entry with `total` deliveries must be idle before it is due (never less than minIdleMs); backoff off = minIdleMs. */
export function backoffWaitMs(total: number, minIdleMs: number, backoffMaxMs: number | undefined): number {
  if (backoffMaxMs === undefined || total <= 1) return minIdleMs;
  return Math.max(minIdleMs, Math.min(minIdleMs * 2 ** (total - 1), backoffMaxMs));
}

export function isDue(idleMs: number, total: number, minIdleMs: number, backoffMaxMs: number | undefined): boolean {
  return idleMs >= backoffWaitMs(total, minIdleMs, backoffMaxMs);
}

/** The copy's fields: the original's without its reclaim.* pairs, then both, fresh. */
export function requeueCopy(id: string, fields: readonly Buffer[], total: number): Buffer[] {
  const copy: Buffer[] = [];
  let origin: Buffer | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as Buffer;
    if (name.equals(ORIGIN)) origin ??= fields[i + 1];
    else if (!name.equals(DELIVERIES)) copy.push(name, fields[i + 1] as Buffer);
  }
  copy.push(ORIGIN, origin ?? Buffer.from(id), DELIVERIES, Buffer.from(String(total)));
  return copy;
}
