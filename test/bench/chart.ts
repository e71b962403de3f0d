// The bench's picture, drawn as plain SVG (no chart library): latency distributions (p50 bar, p95 and max
// marks) for our transfer beside LiveKit's WarmTransferTask, and the worker's CPU and memory against
// concurrent calls and concurrent transfers.
export interface LatencyBar {
  label: string;
  theirsNote?: string;
  ours?: { p50: number | null; p95: number | null; max: number | null };
  theirs?: { p50: number | null; p95: number | null; max: number | null };
  targetMs?: number;
}
export interface LoadPoint {
  x: number;
  cores: number;
  rssMb: number;
  ok: number;
  of: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const OURS = '#2563eb';
const THEIRS = '#ea580c';
const MEM = '#16a34a';

function latencyPanel(bars: LatencyBar[], x0: number, y0: number, width: number): { svg: string; height: number } {
  const values = bars.flatMap((b) => [b.ours?.p95, b.theirs?.p95, b.targetMs]).filter((v): v is number => typeof v === 'number');
  const maxMs = Math.max(100, ...values) * 1.15;
  const labelW = 230;
  const plotW = width - labelW - 20;
  const sx = (ms: number) => x0 + labelW + (Math.min(ms, maxMs) / maxMs) * plotW;
  const rowH = 34;
  let out = `<text x="${x0}" y="${y0}" font-size="15" font-weight="bold">Latency at the phones (ms): bar p50, thick mark p95, dot max</text>`;
  out += `<rect x="${x0 + labelW}" y="${y0 + 8}" width="12" height="10" fill="${OURS}"/><text x="${x0 + labelW + 16}" y="${y0 + 17}" font-size="12">this worker</text>`;
  out += `<rect x="${x0 + labelW + 110}" y="${y0 + 8}" width="12" height="10" fill="${THEIRS}"/><text x="${x0 + labelW + 126}" y="${y0 + 17}" font-size="12">LiveKit WarmTransferTask</text>`;
  out += `<line x1="${x0 + labelW + 300}" y1="${y0 + 13}" x2="${x0 + labelW + 320}" y2="${y0 + 13}" stroke="#dc2626" stroke-dasharray="4 3"/><text x="${x0 + labelW + 324}" y="${y0 + 17}" font-size="12">target (p95)</text>`;
  bars.forEach((b, i) => {
    const y = y0 + 30 + i * rowH;
    out += `<text x="${x0}" y="${y + 15}" font-size="12">${esc(b.label)}</text>`;
    const draw = (d: LatencyBar['ours'], dy: number, color: string, note?: string) => {
      if (!d || d.p50 === null) {
        if (d || note) out += `<text x="${sx(0) + 4}" y="${y + dy + 9}" font-size="10" fill="${color}">${esc(note ?? 'not measured')}</text>`;
        return;
      }
      out += `<rect x="${sx(0)}" y="${y + dy}" width="${Math.max(1, sx(d.p50) - sx(0))}" height="10" fill="${color}" opacity="0.85"/>`;
      if (d.p95 !== null) out += `<rect x="${sx(d.p95) - 1.5}" y="${y + dy - 2}" width="3" height="14" fill="${color}"/>`;
      if (d.max !== null) out += `<circle cx="${sx(d.max)}" cy="${y + dy + 5}" r="3" fill="none" stroke="${color}"/>`;
      out += `<text x="${sx(d.max ?? d.p95 ?? d.p50) + 6}" y="${y + dy + 9}" font-size="10" fill="#333">${d.p50}/${d.p95 ?? '-'}/${d.max ?? '-'}${d.max !== null && d.max > maxMs ? ' (off scale)' : ''}</text>`;
    };
    draw(b.ours, 2, OURS);
    draw(b.theirs, 15, THEIRS, b.theirsNote);
    if (b.targetMs) out += `<line x1="${sx(b.targetMs)}" y1="${y - 2}" x2="${sx(b.targetMs)}" y2="${y + 28}" stroke="#dc2626" stroke-dasharray="4 3"/>`;
  });
  const axisY = y0 + 30 + bars.length * rowH;
  out += `<line x1="${sx(0)}" y1="${axisY}" x2="${sx(maxMs)}" y2="${axisY}" stroke="#999"/>`;
  const step = maxMs > 2000 ? 500 : maxMs > 800 ? 200 : 100;
  for (let ms = 0; ms <= maxMs; ms += step) out += `<text x="${sx(ms)}" y="${axisY + 14}" font-size="10" text-anchor="middle">${ms}</text>`;
  return { svg: out, height: axisY + 30 - y0 };
}

function loadPanel(title: string, xLabel: string, points: LoadPoint[], x0: number, y0: number, w: number, h: number): string {
  if (!points.length) return `<text x="${x0}" y="${y0}" font-size="15" font-weight="bold">${esc(title)}: not run</text>`;
  const maxX = Math.max(...points.map((p) => p.x));
  const maxCores = Math.max(2, ...points.map((p) => p.cores)) * 1.1;
  const maxMem = Math.max(500, ...points.map((p) => p.rssMb)) * 1.35;
  const px = (x: number) => x0 + 40 + (x / maxX) * (w - 90);
  const py = (v: number, max: number) => y0 + 25 + h - (v / max) * h;
  let out = `<text x="${x0}" y="${y0}" font-size="15" font-weight="bold">${esc(title)}</text>`;
  out += `<text x="${x0}" y="${y0 + 16}" font-size="11" fill="${OURS}">worker CPU (cores, all its processes)</text><text x="${x0 + 230}" y="${y0 + 16}" font-size="11" fill="${MEM}">peak memory (MB)</text>`;
  out += `<line x1="${px(0)}" y1="${py(0, 1)}" x2="${px(maxX)}" y2="${py(0, 1)}" stroke="#999"/>`;
  out += `<line x1="${px(0)}" y1="${py(2, maxCores)}" x2="${px(maxX)}" y2="${py(2, maxCores)}" stroke="${OURS}" stroke-dasharray="2 3" opacity="0.5"/><text x="${px(0) - 4}" y="${py(2, maxCores) + 4}" font-size="10" text-anchor="end" fill="${OURS}">2</text>`;
  const line = (sel: (p: LoadPoint) => number, max: number, color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((p) => `${px(p.x)},${py(sel(p), max)}`).join(' ')}"/>` +
    points.map((p) => `<circle cx="${px(p.x)}" cy="${py(sel(p), max)}" r="3" fill="${color}"/>`).join('');
  out += line((p) => p.cores, maxCores, OURS) + line((p) => p.rssMb, maxMem, MEM);
  for (const p of points) {
    out += `<text x="${px(p.x)}" y="${py(0, 1) + 14}" font-size="10" text-anchor="middle">${p.x}</text>`;
    out += `<text x="${px(p.x)}" y="${py(p.cores, maxCores) + 16}" font-size="10" text-anchor="middle" fill="${OURS}">${p.cores.toFixed(2)}</text>`;
    out += `<text x="${px(p.x)}" y="${py(p.rssMb, maxMem) - 8}" font-size="10" text-anchor="middle" fill="${MEM}">${p.rssMb}</text>`;
    out += `<text x="${px(p.x)}" y="${py(0, 1) + 26}" font-size="10" text-anchor="middle" fill="${p.ok === p.of ? '#333' : '#dc2626'}">${p.ok}/${p.of} ok</text>`;
  }
  out += `<text x="${x0 + w / 2}" y="${py(0, 1) + 40}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>`;
  return out;
}

export function benchChart(opts: { title: string; subtitle: string; latency: LatencyBar[]; calls: LoadPoint[]; transfers: LoadPoint[] }): string {
  const width = 900;
  const lat = latencyPanel(opts.latency, 20, 70, width - 40);
  const loadY = 70 + lat.height + 30;
  const panelH = 150;
  const body = [
    `<text x="20" y="28" font-size="18" font-weight="bold">${esc(opts.title)}</text>`,
    `<text x="20" y="48" font-size="12" fill="#444">${esc(opts.subtitle)}</text>`,
    lat.svg,
    loadPanel('Concurrent calls (greeting only)', 'calls at once', opts.calls, 20, loadY, width / 2 - 30, panelH),
    loadPanel('Concurrent whole transfers (30 s bridged talk)', 'transfers at once', opts.transfers, width / 2 + 10, loadY, width / 2 - 30, panelH),
  ];
  const height = loadY + panelH + 80;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body.join('\n')}\n</svg>\n`;
}
