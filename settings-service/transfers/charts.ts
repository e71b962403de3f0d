// The transfers page's two charts, drawn here as inline SVG: no script, no library, nothing fetched. Colours
// are presentation attributes (the page's Content-Security-Policy allows no style attributes), and each bar
// carries a <title> (the browser's tooltip) and data-* attributes saying what it counts.
import { esc } from '../page.ts';
import type { OutcomeGroup } from './history.ts';
import type { TransferSummary } from './summary.ts';

export const GROUP_LABELS: Readonly<Record<OutcomeGroup, string>> = {
  accepted: 'Accepted',
  declined: 'Declined',
  unanswered: 'Not answered',
  caller_left: 'Caller left',
  failed: 'Failed',
  open: 'Not ended',
};

export const GROUP_COLOURS: Readonly<Record<OutcomeGroup, string>> = {
  accepted: '#2e7d4f',
  declined: '#c0392b',
  unanswered: '#d79b00',
  caller_left: '#7b8494',
  failed: '#6c3483',
  open: '#9db4d0',
};

const WIDTH = 720;
const HEIGHT = 220;
const PLOT = { left: 34, right: 8, top: 18, bottom: 34 };

/** A rounded-up axis top and its ticks: 1, 2, 5 times a power of ten apart, at most five. */
function axis(max: number): { top: number; ticks: number[] } {
  if (max <= 0) return { top: 1, ticks: [0, 1] };
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power);
  const top = Math.ceil(max / step) * step;
  return { top, ticks: Array.from({ length: top / step + 1 }, (_, i) => i * step) };
}

function frame(id: string, label: string, top: number, ticks: number[], bars: string, xLabels: string): string {
  const h = HEIGHT - PLOT.top - PLOT.bottom;
  const y = (v: number) => PLOT.top + h - (v / top) * h;
  const grid = ticks
    .map(
      (t) =>
        `<line x1="${PLOT.left}" x2="${WIDTH - PLOT.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e3e7ee"/>` +
        `<text x="${PLOT.left - 6}" y="${y(t) + 4}" text-anchor="end" font-size="11" fill="#5b6577">${t}</text>`,
    )
    .join('');
  return `<svg id="${id}" role="img" aria-label="${esc(label)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" font-family="system-ui, sans-serif">
<title>${esc(label)}</title>${grid}${bars}${xLabels}</svg>`;
}

const hourLabel = (iso: string) => iso.slice(11, 16);

/** Transfers per hour of the window, each bar stacked by outcome group. */
export function outcomeChart(summary: TransferSummary, groups: readonly OutcomeGroup[]): string {
  const { top, ticks } = axis(Math.max(0, ...summary.hours.map((hour) => groups.reduce((sum, g) => sum + hour[g], 0))));
  const h = HEIGHT - PLOT.top - PLOT.bottom;
  const slot = (WIDTH - PLOT.left - PLOT.right) / summary.hours.length;
  const bars = summary.hours
    .map((hour, i) => {
      let base = PLOT.top + h;
      return groups
        .filter((g) => hour[g] > 0)
        .map((g) => {
          const height = (hour[g] / top) * h;
          base -= height;
          const what = `${hourLabel(hour.start)}–${hourLabel(new Date(Date.parse(hour.start) + 3600_000).toISOString())} UTC: ${hour[g]} ${GROUP_LABELS[g].toLowerCase()}`;
          return `<rect x="${(PLOT.left + i * slot + 2).toFixed(1)}" y="${base.toFixed(1)}" width="${(slot - 4).toFixed(1)}" height="${height.toFixed(1)}" fill="${GROUP_COLOURS[g]}" data-hour="${esc(hour.start)}" data-group="${g}" data-count="${hour[g]}"><title>${esc(what)}</title></rect>`;
        })
        .join('');
    })
    .join('');
  const xLabels = summary.hours
    .map((hour, i) =>
      i % 3 === 0
        ? `<text x="${(PLOT.left + (i + 0.5) * slot).toFixed(1)}" y="${HEIGHT - PLOT.bottom + 16}" text-anchor="middle" font-size="11" fill="#5b6577">${hourLabel(hour.start)}</text>`
        : '',
    )
    .join('');
  return frame('outcome-chart', 'Transfers per hour by outcome, last 24 hours (UTC)', top, ticks, bars, xLabels);
}

/** How many transfers kept their caller on hold how long. */
export function holdChart(summary: TransferSummary): string {
  const { buckets } = summary.hold;
  const { top, ticks } = axis(Math.max(0, ...buckets.map((b) => b.count)));
  const h = HEIGHT - PLOT.top - PLOT.bottom;
  const slot = (WIDTH - PLOT.left - PLOT.right) / buckets.length;
  const bars = buckets
    .map((b, i) => {
      const height = (b.count / top) * h;
      const x = PLOT.left + i * slot;
      const count =
        b.count > 0
          ? `<text x="${(x + slot / 2).toFixed(1)}" y="${(PLOT.top + h - height - 4).toFixed(1)}" text-anchor="middle" font-size="11" fill="#1d2433">${b.count}</text>`
          : '';
      return `<rect x="${(x + 6).toFixed(1)}" y="${(PLOT.top + h - height).toFixed(1)}" width="${(slot - 12).toFixed(1)}" height="${height.toFixed(1)}" fill="#3b6fb6" data-bucket="${esc(b.label)}" data-count="${b.count}"><title>${esc(`${b.label}: ${b.count}`)}</title></rect>${count}`;
    })
    .join('');
  const xLabels = buckets
    .map(
      (b, i) =>
        `<text x="${(PLOT.left + (i + 0.5) * slot).toFixed(1)}" y="${HEIGHT - PLOT.bottom + 16}" text-anchor="middle" font-size="11" fill="#5b6577">${esc(b.label)}</text>`,
    )
    .join('');
  return frame('hold-chart', 'Transfers by time the caller spent on hold', top, ticks, bars, xLabels);
}
