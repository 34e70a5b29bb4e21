/** A small grouped bar chart (SVG) of entries/s per backlog size and variant, for the README. */
export interface Measured {
  variant: 'baseline' | 'general' | 'fast';
  size: number;
  poison: boolean;
  entriesPerSec: number;
  skipped?: string;
}

const SERIES: [Measured['variant'], string][] = [
  ['baseline', 'baseline (reference design)'],
  ['general', 'general path'],
  ['fast', 'fast path'],
];

/** Entries/s of the clean backlogs by size, baseline first, as the README shows it. */
export function chartOf(results: readonly Measured[]): string {
  const sizes = [...new Set(results.map((r) => r.size))].sort((a, b) => a - b);
  const bars = sizes.flatMap((size) =>
    SERIES.map(([variant, label]) => {
      const r = results.find((x) => x.variant === variant && x.size === size && !x.poison);
      return {
        group: `${size.toLocaleString('en-US')} entries`,
        label,
        value: r && !r.skipped ? r.entriesPerSec : undefined,
      };
    }),
  );
  return barChart('Reclaiming a crashed consumer backlog (entries/s, higher is better)', 'entries/s', bars);
}

export interface Bar {
  group: string;
  label: string;
  value: number | undefined;
}

const COLORS = ['#9aa5b1', '#4e79a7', '#e15759', '#59a14f'];

export function barChart(title: string, unit: string, bars: readonly Bar[]): string {
  const groups = [...new Set(bars.map((b) => b.group))];
  const labels = [...new Set(bars.map((b) => b.label))];
  const max = Math.max(1, ...bars.map((b) => b.value ?? 0));
  const width = 720;
  const height = 360;
  const left = 70;
  const bottom = 300;
  const groupWidth = (width - left - 20) / groups.length;
  const barWidth = (groupWidth - 30) / labels.length;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${escape(title)}</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${width - 10}" y2="${bottom}" stroke="#333"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = bottom - (i * (bottom - 40)) / 4;
    out.push(
      `<text x="${left - 6}" y="${y + 4}" text-anchor="end">${Math.round((max * i) / 4).toLocaleString('en-US')}</text>`,
    );
    out.push(`<line x1="${left}" y1="${y}" x2="${width - 10}" y2="${y}" stroke="#eee"/>`);
  }
  groups.forEach((group, gi) => {
    const x0 = left + gi * groupWidth + 15;
    out.push(`<text x="${x0 + (groupWidth - 30) / 2}" y="${bottom + 18}" text-anchor="middle">${escape(group)}</text>`);
    labels.forEach((label, li) => {
      const value = bars.find((b) => b.group === group && b.label === label)?.value;
      const x = x0 + li * barWidth;
      if (value === undefined) {
        out.push(`<text x="${x + barWidth / 2}" y="${bottom - 6}" text-anchor="middle" font-size="10">skipped</text>`);
        return;
      }
      const h = (value / max) * (bottom - 40);
      out.push(
        `<rect x="${x + 2}" y="${bottom - h}" width="${barWidth - 4}" height="${h}" fill="${COLORS[li % COLORS.length]}"/>`,
      );
      out.push(
        `<text x="${x + barWidth / 2}" y="${bottom - h - 4}" text-anchor="middle" font-size="10">${Math.round(value).toLocaleString('en-US')}</text>`,
      );
    });
  });
  labels.forEach((label, li) => {
    const x = left + li * 230;
    out.push(`<rect x="${x}" y="${height - 28}" width="12" height="12" fill="${COLORS[li % COLORS.length]}"/>`);
    out.push(`<text x="${x + 16}" y="${height - 18}">${escape(label)}</text>`);
  });
  out.push(
    `<text x="12" y="${bottom / 2}" transform="rotate(-90 12 ${bottom / 2})" text-anchor="middle">${escape(unit)}</text>`,
    '</svg>',
  );
  return out.join('\n');
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
