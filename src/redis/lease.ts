/**
 * `renewLease`: the keep-alive a consumer sends for the entries it is still working on, so the
 * reclaimer does not take them while it is slow but alive (docs/design.md §2, "Leases";
 * docs/operations.md for consumers in other languages). The check and the renewal are one script
 * per slice (scripts/renew-lease.lua); this module validates, slices and names errors.
 */
import { Cluster } from 'ioredis';
import type { RedisClient } from './client';
import { groupNames } from './group-health';
import { callScript } from './scripts';
import { LeaseArgumentError, MissingGroupError, MissingStreamError, WrongTypeError } from '../errors';
import { mapRedisError } from './reply-errors';

export interface LeaseRequest {
  readonly stream: string;
  readonly group: string;
  /** The consumer that read the entries (the name it passed to XREADGROUP). */
  readonly consumer: string;
  /** Entry IDs in full `<ms>-<seq>` form; duplicates are renewed once. */
  readonly ids: readonly string[];
}

/**
 * IDs per script call. Each call is atomic for its IDs, which is all a renewal needs; slicing
 * bounds how long one call holds the server and keeps the arguments far from any limit.
 */
export const LEASE_SLICE = 1000;

const ID = /^(\d{1,20})-(\d{1,20})$/;
const MAX_PART = 0xffff_ffff_ffff_ffffn;
/** Bad IDs quoted in an error; the rest are counted. */
const QUOTED = 5;

const nonEmpty = (name: string, value: unknown): string[] =>
  typeof value === 'string' && value.length > 0
    ? []
    : [`Expected \`${name}\` to be a non-empty string, got \`${String(value)}\``];

/** A full stream ID within Redis's range. Partial IDs (`123`) are refused: XPENDING would read `123` as a range end. */
function isStreamId(id: unknown): boolean {
  const m = typeof id === 'string' ? ID.exec(id) : null;
  return m !== null && BigInt(m[1] as string) <= MAX_PART && BigInt(m[2] as string) <= MAX_PART;
}

/** Every problem of the request at once; the IDs without duplicates, in order, when there is none. */
export function checkLeaseRequest(request: LeaseRequest): string[] {
  const problems = [
    ...nonEmpty('stream', request?.stream),
    ...nonEmpty('group', request?.group),
    ...nonEmpty('consumer', request?.consumer),
  ];
  const ids: unknown = request?.ids;
  if (!Array.isArray(ids)) {
    problems.push(`Expected \`ids\` to be an array of stream IDs, got \`${String(ids)}\``);
  } else {
    const bad = ids.filter((id) => !isStreamId(id));
    if (bad.length > 0) {
      const more = bad.length > QUOTED ? ` and ${bad.length - QUOTED} more` : '';
      problems.push(
        `Expected every entry of \`ids\` to be a full stream ID \`<ms>-<seq>\` (each part 0..${MAX_PART}), ` +
          `got ${bad
            .slice(0, QUOTED)
            .map((id) => `\`${String(id)}\``)
            .join(', ')}${more}`,
      );
    }
  }
  if (problems.length > 0) throw new LeaseArgumentError(problems);
  return [...new Set(ids as string[])];
}

/**
 * Resets the idle time of the listed entries that `consumer` still owns, without raising their
 * delivery count, and returns those IDs. IDs not pending, owned by another consumer (the
 * reclaimer took them), or whose entry was deleted are left alone and not returned: the
 * consumer has lost those and should not settle them as its own. An empty `ids` sends nothing.
 */
export async function renewLease(client: RedisClient, request: LeaseRequest): Promise<string[]> {
  const ids = checkLeaseRequest(request);
  const { stream, group, consumer } = request;
  const renewed: string[] = [];
  for (let i = 0; i < ids.length; i += LEASE_SLICE) {
    let reply: Buffer[];
    try {
      reply = (await callScript(
        client,
        'renewLease',
        [stream],
        [group, consumer, ...ids.slice(i, i + LEASE_SLICE)],
      )) as Buffer[];
    } catch (error) {
      throw await leaseError(client, request, error);
    }
    for (const id of reply) renewed.push(id.toString());
  }
  return renewed;
}

/** Where the client points, without credentials. */
function describeClient(client: RedisClient): string {
  if (client instanceof Cluster) return 'the cluster';
  const { path, host, port } = client.options;
  return path ? path : `${host ?? 'localhost'}:${port ?? 6379}`;
}

async function leaseError(client: RedisClient, request: LeaseRequest, error: unknown): Promise<Error> {
  const { stream, group } = request;
  const target = describeClient(client);
  const text = error instanceof Error ? error.message : String(error);
  if (/^NOSTREAM/.test(text)) {
    return new MissingStreamError(`renewLease: stream \`${stream}\` does not exist on ${target}`);
  }
  if (/^WRONGTYPE the key holds/.test(text)) {
    return new WrongTypeError(
      `renewLease: key \`${stream}\` on ${target} is not a stream (${text.replace(/^WRONGTYPE the key holds /, 'it holds ')})`,
    );
  }
  if (/NOGROUP/.test(text)) {
    // The script found the stream, so it is the group that is missing; its siblings help spot a typo.
    const names = await groupNames(client, stream).catch(() => undefined);
    const known =
      names === undefined ? '' : names.length > 0 ? ` (its groups: ${names.join(', ')})` : ' (it has no groups)';
    return new MissingGroupError(
      `renewLease: stream \`${stream}\` on ${target} has no consumer group \`${group}\`${known}`,
    );
  }
  const password = client instanceof Cluster ? client.options.redisOptions?.password : client.options.password;
  return mapRedisError(error, { server: target, stream, group, secrets: [password] });
}
