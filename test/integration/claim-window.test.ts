/**
 * claim-entries.lua reads its IDs' pending rows and bodies with ranged commands (lib/id-window)
 * rather than one lookup per ID. Each state here is built once, copied (DUMP/RESTORE keeps the
 * group, its PEL and delivery times), and given to the script and to the per-ID script it
 * replaced (test/lua/claim-entries-per-id.lua, the oracle): replies and the PELs after must be
 * the same. The states are what a ranged read risks: IDs sparse among acknowledged and other
 * consumers' entries (the bounded reads cut short), unsorted and repeated lists, IDs deleted
 * after the scan, very wide entries, copies carrying reclaim.deliveries, backoff. Real server or
 * cluster (TEST_SERVER=cluster); 6.0 with REDIS_SERVER_BIN.
 */
import { describe, expect, it } from 'vitest';
import { pendingOf } from '../helpers/backlog';
import {
  GROUP,
  MIN_IDLE_MS,
  buildState,
  claimBothOn,
  claimedIds,
  ids,
  type Options,
  type Reply,
  type Spec,
} from '../helpers/claim-oracle';
import type { ServerUnderTest, TestClient } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';

let server: ServerUnderTest;
let redis: TestClient;
useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

const build = (specs: readonly Spec[]): Promise<{ stream: string; ids: string[] }> =>
  buildState(redis, server.cluster, specs);
const claimBoth = (stream: string, listed: readonly string[], o?: Options): Promise<Reply> =>
  claimBothOn(redis, stream, listed, o);

describe('claim-entries.lua with ranged reads decides as a lookup per ID', () => {
  it('sparse IDs among many acknowledged and foreign entries: the bounded reads fall back past where they stopped', async () => {
    // 10 listed entries, each behind 30 acknowledged and 10 foreign pending ones: both ranged
    // reads (20 rows at most) stop within the first few listed IDs.
    const specs: Spec[] = [];
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 30; j++) specs.push({ role: 'acked' });
      for (let j = 0; j < 10; j++) specs.push({ role: 'foreign' });
      specs.push({ role: i === 9 ? 'deleted' : i === 4 ? 'fresh' : 'idle', count: 1 + (i % 3) });
    }
    const { stream, ids: all } = await build(specs);
    const listed = all.filter((_, i) => ['idle', 'fresh', 'deleted'].includes((specs[i] as Spec).role));
    const reply = await claimBoth(stream, listed);
    expect(claimedIds(reply)).toEqual(listed.filter((_, i) => i !== 4 && i !== 9));
    expect(reply[0].map(([, n]) => n)).toEqual([2, 3, 4, 2, 4, 2, 3, 4]);
    expect(ids(reply[1])).toEqual([listed[9]]);
    expect(ids(reply[2])).toEqual([listed[4]]);
  });

  it('IDs in any order, and IDs listed more than once (claimed once when idle is required, again and again when not)', async () => {
    const specs: Spec[] = Array.from({ length: 40 }, (_, i) => ({
      role: i % 5 === 0 ? 'acked' : i % 7 === 0 ? 'deleted' : i % 11 === 0 ? 'foreign' : 'idle',
    }));
    const listedOf = (all: string[]): string[] => {
      const pending = all.filter((_, i) => (specs[i] as Spec).role !== 'acked');
      // A fixed shuffle: reversed halves interleaved; then an idle ID twice more (three times in
      // all), a foreign one and a deleted one again.
      const half = Math.ceil(pending.length / 2);
      const mixed = pending
        .slice(0, half)
        .reverse()
        .flatMap((id, i) => [id, pending[half + i]])
        .filter(Boolean) as string[];
      return [...mixed, mixed[0] as string, all[22] as string, mixed[0] as string, all[7] as string];
    };
    for (const minIdleMs of [MIN_IDLE_MS, 0]) {
      const { stream, ids: all } = await build(specs);
      const listed = listedOf(all);
      const reply = await claimBoth(stream, listed, { minIdleMs });
      const claimed = claimedIds(reply);
      expect(claimed.filter((id) => id === all[19])).toHaveLength(minIdleMs === 0 ? 3 : 1);
      expect(claimed.filter((id) => id === all[22])).toHaveLength(minIdleMs === 0 ? 2 : 0);
      expect(reply[1].length).toBeGreaterThan(0);
    }
  });

  it('an ID deleted between the scan and the claim, first, last or alone: acked as an orphan, never claimed', async () => {
    const { stream, ids: all } = await build([
      { role: 'deleted' },
      { role: 'idle' },
      { role: 'acked' },
      { role: 'idle' },
      { role: 'deleted' },
    ]);
    const reply = await claimBoth(stream, [all[4], all[3], all[1], all[0]] as string[]);
    expect(ids(reply[1])).toEqual([all[4], all[0]]);
    expect(claimedIds(reply)).toEqual([all[3], all[1]]);

    const alone = await build([{ role: 'idle' }, { role: 'deleted' }]);
    const lone = await claimBoth(alone.stream, [alone.ids[1] as string]);
    expect(ids(lone[1])).toEqual([alone.ids[1]]);
    expect(await pendingOf(redis, alone.stream, GROUP)).toHaveLength(1);
  });

  it('very wide entries, listed and between listed ones: claimed whole', async () => {
    const wide = (tag: string): string[] => Array.from({ length: 10_000 }, (_, i) => [`f${i}`, `${tag}${i}`]).flat();
    const { stream, ids: all } = await build([
      { role: 'idle', fields: wide('a') },
      { role: 'acked', fields: wide('b') },
      { role: 'foreign', fields: wide('c') },
      { role: 'acked', fields: wide('d') },
      { role: 'idle', fields: wide('e') },
      { role: 'idle', fields: ['small', '1'] },
    ]);
    const reply = await claimBoth(stream, [all[5], all[4], all[0]] as string[]);
    expect(reply[0].map(([id, , fields]) => [id.toString(), fields.length])).toEqual([
      [all[5], 2],
      [all[4], 20_000],
      [all[0], 20_000],
    ]);
  });

  it('copies carrying reclaim.deliveries: at the limit counting earlier copies, or deferred by backoff', async () => {
    const copy = (deliveries: string): string[] => [
      'n',
      '1',
      'reclaim.origin',
      '1-0',
      'reclaim.deliveries',
      deliveries,
    ];
    const specs: Spec[] = [
      { role: 'idle', fields: copy('9') },
      { role: 'acked' },
      { role: 'idle', fields: copy('3'), count: 2 },
      { role: 'idle', fields: copy('8'), count: 2 },
      { role: 'idle', fields: copy('x1') },
      { role: 'foreign', fields: copy('9') },
      { role: 'idle', count: 5 },
    ];
    for (const claim of [true, false]) {
      const { stream, ids: all } = await build(specs);
      const listed = all.filter((_, i) => ['idle'].includes((specs[i] as Spec).role)).reverse();
      // MAX_DELIVERIES 10; backoff: due after min(60 s × 2^(total−1), 1 h), the entries are 10 min
      // idle: a total of 4 is due (8 min), 5 is not (16 min).
      const reply = await claimBoth(stream, listed, { maxDeliveries: 10, backoffMaxMs: 3_600_000, claim });
      expect(reply[4].map(([id, , n, , total]) => [id.toString(), n, total])).toEqual([
        [all[3], 2, 10],
        [all[0], 1, 10],
      ]);
      expect(ids(reply[3])).toEqual(claim ? [all[6], all[2]] : []);
      expect(claimedIds(reply)).toEqual(claim ? [all[4]] : []);
    }
  });

  it('an ID not spelled as Redis spells it (no sequence part): looked up on its own, as before', async () => {
    const { stream, ids: all } = await build([{ role: 'idle' }, { role: 'acked' }, { role: 'idle' }]);
    const ms = (all[0] as string).split('-')[0] as string;
    const reply = await claimBoth(stream, [all[2] as string, ms]);
    expect(claimedIds(reply)).toEqual([all[2], ms]);
    expect((await pendingOf(redis, stream, GROUP)).map(([id, owner]) => [id, owner])).toEqual([
      [all[0], 'reclaimer'],
      [all[2], 'reclaimer'],
    ]);
  });
});
