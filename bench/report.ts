/** The benchmark's ratios, printed and written as bench/results/results.json and chart.svg. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartOf } from './chart';
import type { HandlerTimes } from './handler';
import type { Result } from './measure';

type Find = (
  variant: Result['variant'],
  size: number,
  options?: { poison?: boolean; transport?: Result['transport'] },
) => Result | undefined;

const ratio = (
  a: Result | undefined,
  b: Result | undefined,
  pick: (r: Result) => number = (r) => r.entriesPerSec,
): number | null => (a && b ? pick(a) / pick(b) : null);
const f = (x: number | null): string => (x === null ? '   n/a' : `${x.toFixed(2)}x`);

export function report(results: readonly Result[], handler: HandlerTimes, dir: string): void {
  const find: Find = (variant, size, { poison = false, transport = 'tcp' } = {}) =>
    results.find(
      (r) => r.variant === variant && r.size === size && r.poison === poison && r.transport === transport && !r.skipped,
    );
  console.log('\nratios (entries/s against the baseline at the same size; clean backlogs over loopback TCP):');
  const ratios: Record<string, unknown>[] = [];
  for (const size of [...new Set(results.map((r) => r.size))].sort((a, b) => a - b)) {
    const [base, fast, general] = [find('baseline', size), find('fast', size), find('general', size)];
    const row = {
      size,
      fastVsBaseline: ratio(fast, base),
      generalVsBaseline: ratio(general, base),
      fastPoisonVsClean: ratio(find('fast', size, { poison: true }), fast),
      fastRssVsBaseline: ratio(fast, base, (r) => r.peakRssMB),
      fastVsBaselineOverUnixSocket: ratio(
        find('fast', size, { transport: 'unix' }),
        find('baseline', size, { transport: 'unix' }),
      ),
    };
    ratios.push(row);
    console.log(
      `  ${String(size).padStart(8)}: fast ${f(row.fastVsBaseline)}, general ${f(row.generalVsBaseline)}, fast with 10% poison vs clean ${f(row.fastPoisonVsClean)}, ` +
        `fast RSS vs baseline ${f(row.fastRssVsBaseline)}` +
        (row.fastVsBaselineOverUnixSocket === null
          ? ''
          : `, fast vs baseline over a unix socket ${f(row.fastVsBaselineOverUnixSocket)}`),
    );
  }
  const [small, large] = [find('fast', 100_000), find('fast', 1_000_000)];
  if (small && large) {
    console.log(
      `fast path 1M vs 100k: throughput ${f(ratio(large, small))}, Redis CPU per entry ${f(ratio(large, small, (r) => r.redisCpuUsPerEntry))}, ` +
        `peak RSS ${f(ratio(large, small, (r) => r.peakRssMB))} (${large.peakRssMB.toFixed(0)} MB)`,
    );
  }
  console.log(
    `function handler: first invocation ${handler.firstMs.toFixed(1)} ms, then median ${handler.medianMs.toFixed(2)} ms, p95 ${handler.p95Ms.toFixed(2)} ms over ${handler.invocations} invocations (empty group)`,
  );
  mergeResults(dir, { node: process.version, date: new Date().toISOString(), results, ratios, handler });
  writeFileSync(join(dir, 'chart.svg'), chartOf(results.filter((r) => r.transport === 'tcp')) + '\n');
  console.log(`\nwrote ${join(dir, 'results.json')} and chart.svg`);
}

/**
 * Writes `fields` into results.json, keeping the keys it does not name: a section run alone
 * (`BENCH_TARGETS=only`, `=0`) replaces its own figures and leaves the others' on record.
 */
export function mergeResults(dir: string, fields: Record<string, unknown>): void {
  const file = join(dir, 'results.json');
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify({ ...previous, ...fields }, null, 2) + '\n');
}
