/** What the demo prints: the PEL by consumer, the hashes written, the dead letters and why. */
import type Redis from 'ioredis';
import { parseRecord } from '../redis/record';

export interface ConsumerPel {
  name: string;
  pending: number;
  oldestIdleSec: number;
}

/** Pending entries per consumer of the group, with the oldest entry's idle time. */
export async function pelByConsumer(redis: Redis, stream: string, group: string): Promise<ConsumerPel[]> {
  const rows = (await redis.call('XPENDING', stream, group, '-', '+', 100_000)) as [string, string, number, number][];
  const byName = new Map<string, ConsumerPel>();
  for (const [, name, idleMs] of rows) {
    const row = byName.get(name) ?? { name, pending: 0, oldestIdleSec: 0 };
    row.pending += 1;
    row.oldestIdleSec = Math.max(row.oldestIdleSec, Math.round(idleMs / 1000));
    byName.set(name, row);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function formatPel(title: string, rows: readonly ConsumerPel[]): string {
  const total = rows.reduce((n, r) => n + r.pending, 0);
  const lines = rows.map(
    (r) => `    ${r.name.padEnd(12)} ${String(r.pending).padStart(4)} pending, oldest idle ${r.oldestIdleSec} s`,
  );
  return `${title}: ${total} pending\n${lines.length ? lines.join('\n') : '    (none)'}\n`;
}

/** Hash keys under `prefix` (SCAN … TYPE hash, so the dead-letter stream under the same prefix is skipped). */
export async function hashesWritten(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await redis.call('SCAN', cursor, 'MATCH', `${prefix}*`, 'TYPE', 'hash', 'COUNT', 1000)) as [
      string,
      string[],
    ];
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

export async function formatHashes(redis: Redis, prefix: string): Promise<string> {
  const keys = await hashesWritten(redis, prefix);
  const sample = keys[0];
  if (!sample) return 'Hashes written: none\n';
  const fields = await redis.hgetall(sample);
  const shown = Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `Hashes written: ${keys.length} (${keys[0]} … ${keys[keys.length - 1]})\n    e.g. HGETALL ${sample} → ${shown}\n`;
}

export interface DeadLetter {
  id: string;
  sourceId: string;
  reason: string;
  deliveries: string;
  consumer: string;
  group: string;
}

/** The dead-letter records (docs/design.md §5); `?` for what is not one. */
export async function deadLetters(redis: Redis, dlq: string): Promise<DeadLetter[]> {
  const entries = (await redis.xrangeBuffer(dlq, '-', '+')) as [Buffer, Buffer[]][];
  return entries.map(([rawId, items]) => {
    const id = rawId.toString();
    const record = parseRecord(id, items);
    return {
      id,
      sourceId: record?.sourceId ?? '?',
      reason: record?.reason ?? '?',
      deliveries: record ? record.deliveriesText : '?',
      consumer: record?.consumer.toString() ?? '?',
      group: record?.group ?? '?',
    };
  });
}

export function formatDeadLetters(dlq: string, letters: readonly DeadLetter[], examples = 3): string {
  if (letters.length === 0) return `Dead letters in ${dlq}: none\n`;
  const reasons = new Map<string, DeadLetter[]>();
  for (const l of letters) reasons.set(l.reason, [...(reasons.get(l.reason) ?? []), l]);
  // Several groups of one stream share its dead-letter stream: say how many records are whose.
  const groups = new Map<string, number>();
  for (const l of letters) groups.set(l.group, (groups.get(l.group) ?? 0) + 1);
  const whose = groups.size > 1 ? ` (${[...groups].map(([g, n]) => `${g} ${n}`).join(', ')})` : '';
  const lines = [`Dead letters in ${dlq}: ${letters.length}${whose}`];
  for (const [reason, list] of reasons) {
    lines.push(`    ${reason}: ${list.length}`);
    for (const l of list.slice(0, examples)) {
      lines.push(
        `      ${l.sourceId} (was ${l.consumer}'s, ${l.deliveries} ${l.deliveries === '1' ? 'delivery' : 'deliveries'})`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
