/** `dlq purge`: delete dead-letter records, only with `--yes`. */
import { countPurge, planPurge, purge, type PurgeFilter } from '../ops/dlq-purge';
import { UsageError } from '../errors';
import { parseDuration } from '../config/duration';
import { withClient, type CliIO } from './io';
import { dlqScope } from './dlq-scope';
import { startProgress } from './progress';
import { deadLetterExists, describeFilter, filterOf, type DlqFlags } from './dlq-common';

export interface PurgeFlags extends DlqFlags {
  olderThan?: string;
  yes?: boolean;
}

export async function purgeCommand(flags: PurgeFlags, io: CliIO): Promise<number> {
  if (flags.all && flags.count !== undefined) throw new UsageError('Expected one of `--count N` and `--all`, got both');
  const olderThanMs =
    flags.olderThan === undefined ? undefined : parseDuration(flags.olderThan, '`--older-than` to be a duration');
  const scope = dlqScope(flags, io);
  const filter: PurgeFilter = { ...filterOf(flags, scope), count: flags.count };
  const { deadLetterStream: dlq, settings } = scope;
  return withClient(
    settings,
    async (client) => {
      const exists = await deadLetterExists(client, scope, io);
      const plan = exists ? await planPurge(client, dlq, olderThanMs) : { endId: undefined, cutoffMs: 0 };
      const age =
        olderThanMs === undefined
          ? ''
          : `added before ${new Date(plan.cutoffMs).toISOString()} (older than ${flags.olderThan})`;
      const which = [describeFilter(filter), age].filter(Boolean).join(', ') || 'all';
      const wouldDelete = await countPurge(client, dlq, plan, filter);
      const report = (deleted: number, dryRun: boolean): void => {
        if (flags.json)
          io.stdout(
            `${JSON.stringify({ deadLetterStream: dlq, dryRun, wouldDelete, deleted, cutoffMs: plan.cutoffMs })}\n`,
          );
      };
      if (flags.dryRun || !flags.yes || wouldDelete === 0) {
        report(0, true);
        if (wouldDelete === 0) io.stderr(`nothing to purge in ${dlq} (${which})\n`);
        else if (flags.dryRun)
          io.stderr(`DRY RUN (nothing changed) — would delete ${wouldDelete} record(s) of ${dlq} (${which})\n`);
        else
          io.stderr(
            `Refusing to purge without --yes: it would delete ${wouldDelete} record(s) of ${dlq} (${which}). Run again with --yes (-y) to delete them.\n`,
          );
        return flags.dryRun || wouldDelete === 0 ? 0 : 2;
      }
      const bar = startProgress(io, flags.json, 'purging [{bar}] {value}/{total}', wouldDelete);
      try {
        const deleted = await purge(client, dlq, plan, bar ? (n) => bar.update(n) : undefined, filter);
        bar?.stop();
        report(deleted, false);
        if (!flags.json) io.stdout(`deleted ${deleted} record(s) of ${dlq} (${which})\n`);
        return 0;
      } finally {
        bar?.stop();
      }
    },
    io,
  );
}
