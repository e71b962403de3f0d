// The demo's timeline picture: one lane per phone, coloured by what it heard, with the keys pressed and the
// transfer's phases marked. Plain SVG, so it needs no image library and shows in a browser or on GitHub.
import type { Heard, Segment } from './lanes.ts';

export interface PictureLane {
  name: string;
  segments: readonly Segment[];
  /** Keys this phone pressed, with when. */
  keys: ReadonlyArray<{ at: number; digit: string }>;
}

export interface PictureInput {
  title: string;
  from: number;
  to: number;
  lanes: readonly PictureLane[];
  /** Phases of the transfer, from the worker's timeline. */
  marks: ReadonlyArray<{ at: number; label: string }>;
}

export const COLOURS: Record<Heard, string> = { speech: '#4c78a8', music: '#f58518', 'other party': '#54a24b', silence: '#e6e6e6' };

const WIDTH = 1000;
const LEFT = 130;
const LANE_HEIGHT = 34;
const LANE_GAP = 26;
const TOP = 96;

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function timelineSvg(input: PictureInput): string {
  const span = Math.max(1, input.to - input.from);
  const x = (t: number) => LEFT + ((t - input.from) / span) * (WIDTH - LEFT - 20);
  const laneY = (i: number) => TOP + i * (LANE_HEIGHT + LANE_GAP);
  const bottom = laneY(input.lanes.length) - LANE_GAP + 10;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${bottom + 70}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${escape(input.title)}</text>`);
  // Seconds along the bottom.
  for (let s = 0; s * 1000 <= span; s += span > 60_000 ? 10 : 5) {
    const at = x(input.from + s * 1000);
    out.push(`<line x1="${at}" y1="${TOP - 8}" x2="${at}" y2="${bottom}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${at}" y="${bottom + 16}" text-anchor="middle" fill="#666">${s}s</text>`);
  }
  // Phases along the top, staggered so neighbours do not overlap.
  input.marks.forEach((mark, i) => {
    const at = x(mark.at);
    const y = 40 + (i % 3) * 16;
    out.push(`<line x1="${at}" y1="${y + 3}" x2="${at}" y2="${bottom}" stroke="#999" stroke-dasharray="3,3"/>`);
    // Near the right edge the label goes to the left of its line, so it is not cut off.
    const anchor = at > WIDTH - 90 ? `x="${at - 3}" text-anchor="end"` : `x="${at + 3}"`;
    out.push(`<text ${anchor} y="${y}" fill="#333">${escape(mark.label)}</text>`);
  });
  input.lanes.forEach((lane, i) => {
    const y = laneY(i);
    out.push(`<text x="${LEFT - 10}" y="${y + LANE_HEIGHT / 2 + 4}" text-anchor="end" font-weight="bold">${escape(lane.name)}</text>`);
    for (const s of lane.segments) {
      const w = Math.max(0.5, x(s.end) - x(s.start));
      out.push(
        `<rect x="${x(s.start).toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${LANE_HEIGHT}" fill="${COLOURS[s.kind]}"><title>${s.kind}</title></rect>`,
      );
    }
    for (const key of lane.keys) {
      const at = x(key.at);
      out.push(`<line x1="${at}" y1="${y - 4}" x2="${at}" y2="${y + LANE_HEIGHT + 4}" stroke="black" stroke-width="2"/>`);
      out.push(`<text x="${at}" y="${y + LANE_HEIGHT + 17}" text-anchor="middle" font-weight="bold">key ${escape(key.digit)}</text>`);
    }
  });
  // Legend.
  let lx = LEFT;
  for (const [kind, colour] of Object.entries(COLOURS)) {
    out.push(`<rect x="${lx}" y="${bottom + 32}" width="14" height="14" fill="${colour}"/>`);
    out.push(
      `<text x="${lx + 19}" y="${bottom + 44}">${kind === 'silence' ? 'silence' : kind === 'other party' ? 'the other phone' : `agent: ${kind}`}</text>`,
    );
    lx += 150;
  }
  out.push(`<text x="${lx}" y="${bottom + 44}">| key pressed</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
