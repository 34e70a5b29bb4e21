/** `dlq replay`: put dead-letter records back on their source streams. */
import { replayRecords, selectRecords, type DeadLetterRecord } from '../ops/dlq';
import { UsageError } from '../errors';
import type { RedisClient } from '../redis/connection';
import { withClient, type CliIO } from './io';
import { describeServer } from '../config/settings';
import { dlqScope } from './dlq-scope';
import { startProgress } from './progress';
import { deadLetterExists, describeFilter, filterOf, formatRecords, recordToJson, type DlqFlags } from './dlq-common';
import { exactJson } from './exact-json';

export interface ReplayFlags extends DlqFlags {
  id?: string[];
}

/** Lines of human output about individual records; the rest is summarized (`--json` has them all). */
const SHOWN = 50;
const capped = (lines: readonly string[], more = lines.length - SHOWN): string =>
  lines.slice(0, SHOWN).join('') + (more > 0 ? `  … and ${more} more (--json lists every one)\n` : '');
const STREAM_ID = /^\d{1,20}(-\d{1,20})?$/;

export async function replayCommand(flags: ReplayFlags, io: CliIO): Promise<number> {
  const chosen = [flags.count !== undefined, flags.id !== undefined, flags.all === true].filter(Boolean).length;
  if (chosen !== 1)
    throw new UsageError('Expected exactly one of `--count N`, `--id ID …` or `--all` to choose the records to replay');
  const badId = flags.id?.find((id) => !STREAM_ID.test(id));
  if (badId !== undefined)
    throw new UsageError(
      `Expected \`--id\` to be a record ID like \`1700000000000-0\` (ms-seq, from \`dlq list\`), got \`${badId}\``,
    );
  const scope = dlqScope(flags, io);
  const filter = filterOf(flags, scope);
  const { deadLetterStream: dlq, settings } = scope;
  return withClient(
    settings,
    async (client) => {
      const exists = await deadLetterExists(client, scope, io);
      const { records: found, missing } = exists
        ? await selectRecords(client, dlq, { ...filter, ids: flags.id, count: flags.count })
        : { records: [], missing: flags.id ?? [] };
      const which = describeFilter(filter);
      for (const id of missing)
        io.stderr(`not replayed: \`${id}\` is not a dead-letter record in ${dlq}${which ? ` with ${which}` : ''}\n`);
      const { records, unreachable } = await checkSources(client, found, io);
      const failed = missing.length + unreachable.length;
      if (flags.dryRun) {
        if (flags.json)
          io.stdout(`${exactJson({ dryRun: true, wouldReplay: records.map(recordToJson), missing, unreachable })}\n`);
        else
          io.stdout(
            `DRY RUN (nothing changed) — would replay ${records.length} record(s):\n${records.length ? formatRecords(records.slice(0, SHOWN)) + capped([], records.length - SHOWN) : ''}`,
          );
        return failed ? 1 : 0;
      }
      const bar = startProgress(io, flags.json, 'replaying [{bar}] {value}/{total}', records.length);
      try {
        const sharded = (): void =>
          io.stderr(
            `note: ${describeServer(settings)} refused a script over keys in several hash slots (CROSSSLOT): records whose source stream lacks the hash tag of ${dlq} are added back, then deleted (a replay cut short between the two adds the entry again next time)\n`,
          );
        const outcome = await replayRecords(client, dlq, records, bar ? (n) => bar.update(n) : undefined, sharded);
        bar?.stop();
        for (const id of outcome.skipped)
          io.stderr(`not replayed: \`${id}\` was removed or changed by someone else meanwhile\n`);
        if (flags.json)
          io.stdout(
            `${JSON.stringify({ dryRun: false, replayed: outcome.replayed, skipped: outcome.skipped, missing, unreachable })}\n`,
          );
        else
          io.stdout(
            `replayed ${outcome.replayed.length} record(s)\n${capped(outcome.replayed.map((r) => `  ${r.id} → ${r.sourceStream} ${r.newId}\n`))}`,
          );
        return failed || outcome.skipped.length ? 1 : 0;
      } finally {
        bar?.stop();
      }
    },
    io,
  );
}

/**
 * A replayed entry is a new entry: every group of its source stream delivers it again, so say
 * which groups those are. A source stream that is gone is not recreated (no group would read it).
 */
async function checkSources(
  client: RedisClient,
  found: readonly DeadLetterRecord[],
  io: CliIO,
): Promise<{ records: DeadLetterRecord[]; unreachable: string[] }> {
  const records: DeadLetterRecord[] = [];
  const unreachable: string[] = [];
  const sources = [...new Set(found.map((r) => r.sourceStream))];
  for (const source of sources) {
    const of = found.filter((r) => r.sourceStream === source);
    if ((await client.type(source)) !== 'stream') {
      io.stderr(
        `not replayed: ${of.length} record(s) of source stream \`${source}\`, which does not exist (a replay would create a stream no group reads)\n`,
      );
      unreachable.push(...of.map((r) => r.id));
      continue;
    }
    records.push(...of);
    const groups = ((await client.xinfo('GROUPS', source)) as unknown[][]).map((g) => String(g[1]));
    const named = [...new Set(of.map((r) => r.group))].filter((g) => !groups.includes(g));
    if (groups.length > 1)
      io.stderr(
        `note: ${source} has ${groups.length} groups (${groups.join(', ')}); each delivers a replayed entry again, not only the group that dead-lettered it\n`,
      );
    if (named.length) io.stderr(`note: group ${named.join(', ')} no longer exists on ${source}\n`);
  }
  return { records: found.filter((r) => records.includes(r)), unreachable };
}
