/** `stream-reclaimer dlq list`: dead-letter records, oldest first (replay and purge: dlq-replay.ts, dlq-purge.ts). */
import { selectRecords } from '../ops/dlq';
import { UsageError } from '../errors';
import { withClient, type CliIO } from './io';
import { dlqScope } from './dlq-scope';
import {
  DEFAULT_LIST_COUNT,
  deadLetterExists,
  describeFilter,
  filterOf,
  formatRecords,
  recordToJson,
  type DlqFlags,
} from './dlq-common';
import { exactJson } from './exact-json';

export async function listCommand(flags: DlqFlags, io: CliIO): Promise<number> {
  if (flags.all && flags.count !== undefined) throw new UsageError('Expected one of `--count N` and `--all`, got both');
  const scope = dlqScope(flags, io);
  const filter = filterOf(flags, scope);
  const count = flags.all ? undefined : (flags.count ?? DEFAULT_LIST_COUNT);
  const { deadLetterStream: dlq, settings } = scope;
  const found = await withClient(
    settings,
    async (c) =>
      (await deadLetterExists(c, scope, io))
        ? selectRecords(c, dlq, { ...filter, count })
        : { records: [], matched: 0 },
    io,
  );
  const { records, matched } = found;
  const which = describeFilter(filter);
  if (records.length < matched)
    io.stderr(
      `showing ${records.length} of ${matched} records${which ? ` (${which})` : ''}; --all or --count N shows more\n`,
    );
  if (flags.json) io.stdout(records.map((r) => `${exactJson(recordToJson(r))}\n`).join(''));
  else
    io.stdout(
      records.length ? formatRecords(records) : `no dead-letter records in ${dlq}${which ? ` with ${which}` : ''}\n`,
    );
  return 0;
}
