/**
 * The targets (stream × group) of one run, resolved at run time from the settings' TargetSpec:
 * a list names them (a missing one is that target's error, found by its run); `*` and
 * `STREAM_PATTERN` ask the server (XINFO GROUPS, SCAN ... TYPE stream on every master).
 */
import { Cluster } from 'ioredis';
import type { RedisClient } from '../redis/client';
import { groupNames } from '../redis/group-health';
import { streamKeys, type Settings, type TargetSpec } from '../config/settings';
import { replyContext } from '../config/run-target';
import { mapRedisError } from '../redis/reply-errors';

export interface Target {
  readonly stream: string;
  readonly group: string;
}

/** A target that could not even be resolved (its stream vanished, or holds another type). */
export interface UnresolvedTarget extends Target {
  readonly error: Error;
}

/** SCAN COUNT: keys looked at per call (a hint to the server, not a limit on matches). */
export const SCAN_COUNT = 1000;
/** A guard, not a limit met in practice: a keyspace of 10^9 keys needs 10^6 calls at COUNT 1000. */
const MAX_SCAN_CALLS = 1_000_000;

/** The spec a run covers: the settings' own, or today's single stream × group for hand-built settings. */
export function specOf(settings: Settings): TargetSpec {
  return (
    settings.targets ?? {
      streams: [settings.streamName],
      groups: [settings.groupName],
      deadLetterStream: undefined,
      hashKeyPrefix: undefined,
    }
  );
}

/** Targets in a stable order (as listed, or discovered streams sorted), each with its groups; or how far discovery got. */
export async function resolveTargets(client: RedisClient, settings: Settings): Promise<(Target | UnresolvedTarget)[]>;
export async function resolveTargets(
  client: RedisClient,
  settings: Settings,
  stop: () => boolean,
): Promise<(Target | UnresolvedTarget)[] | DiscoveryStopped>;
export async function resolveTargets(
  client: RedisClient,
  settings: Settings,
  stop?: () => boolean,
): Promise<(Target | UnresolvedTarget)[] | DiscoveryStopped> {
  const spec = specOf(settings);
  const listed = 'streams' in spec;
  const streams = listed
    ? spec.streams
    : await discoverStreams(client, spec.pattern, spec.deadLetterStream, stop ?? (() => false));
  if (isStopped(streams)) return streams;
  return targetsOf(client, settings, streams);
}

/** The targets of these streams (listed, or discovered), each with the groups the settings name. */
export async function targetsOf(
  client: RedisClient,
  settings: Settings,
  streams: readonly string[],
): Promise<(Target | UnresolvedTarget)[]> {
  const spec = specOf(settings);
  const listed = 'streams' in spec;
  const out: (Target | UnresolvedTarget)[] = [];
  for (const stream of streams) {
    // A listed group is the run's to check (its error then names it); only `*` and discovery ask first.
    if (listed && spec.groups !== '*') {
      out.push(...spec.groups.map((group) => ({ stream, group })));
      continue;
    }
    const group = spec.groups === '*' ? '*' : spec.groups.join(',');
    let present: string[];
    try {
      present = await groupNames(client, stream);
    } catch (error) {
      // A discovered stream deleted since the SCAN is simply gone; anything else is that stream's error.
      if (!listed && /no such key/i.test(String(error))) continue;
      out.push({ stream, group, error: mapRedisError(error, replyContext(settings, { stream, group })) });
      continue;
    }
    const groups = spec.groups === '*' ? present : spec.groups.filter((g) => present.includes(g));
    out.push(...groups.map((g) => ({ stream, group: g })));
  }
  return out;
}

/** How far a discovery got when it was stopped (its budget spent, or the run interrupted). */
export interface DiscoveryStopped {
  readonly stopped: true;
  /** SCAN calls made, over every master. */
  readonly calls: number;
  readonly mastersDone: number;
  readonly masters: number;
  /** The streams found before it stopped (sorted, dead-letter streams left out): a partial list. */
  readonly found: readonly string[];
}

export const isStopped = <T>(found: T | DiscoveryStopped): found is DiscoveryStopped =>
  (found as Partial<DiscoveryStopped>).stopped === true;

/**
 * Stream keys matching `pattern` on every master, sorted, without the dead-letter streams the
 * product writes: the explicit `DEAD_LETTER_STREAM`, else `<stream>:dlq` of a matched stream.
 * `stop` is asked before each SCAN call: a keyspace of 10^7 keys takes about ten seconds.
 */
export async function discoverStreams(
  client: RedisClient,
  pattern: string,
  deadLetterStream: string | undefined,
): Promise<string[]>;
export async function discoverStreams(
  client: RedisClient,
  pattern: string,
  deadLetterStream: string | undefined,
  stop: () => boolean,
): Promise<string[] | DiscoveryStopped>;
export async function discoverStreams(
  client: RedisClient,
  pattern: string,
  deadLetterStream: string | undefined,
  stop: () => boolean = () => false,
): Promise<string[] | DiscoveryStopped> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const found = new Set<string>();
  const listed = (): string[] => {
    const deadLetters = new Set([...found].map((s) => streamKeys(s, { deadLetterStream }).deadLetterStream));
    return [...found].filter((s) => !deadLetters.has(s)).sort();
  };
  let total = 0;
  for (const [done, node] of nodes.entries()) {
    let cursor = '0';
    for (let calls = 0; ; calls++, total++) {
      if (stop()) return { stopped: true, calls: total, mastersDone: done, masters: nodes.length, found: listed() };
      if (calls >= MAX_SCAN_CALLS)
        throw new Error(`SCAN MATCH ${pattern} did not finish within ${MAX_SCAN_CALLS} calls`);
      const [next, keys] = (await node.call(
        'SCAN',
        cursor,
        'MATCH',
        pattern,
        'TYPE',
        'stream',
        'COUNT',
        SCAN_COUNT,
      )) as [string, string[]];
      for (const key of keys) found.add(key);
      cursor = next;
      if (cursor === '0') break;
    }
  }
  return listed();
}
