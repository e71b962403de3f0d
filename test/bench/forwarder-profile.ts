// Where the forwarder's CPU goes (issue 21: the CPU target is missed, so the bench shows where it goes). The
// worker of the forwarder series runs wt-forwarder with FORWARDER_PPROF on loopback; during a row's window the
// bench takes a CPU profile from it, keeps the file beside the logs, and sums its samples' own (flat) time by
// the part of the program they fall in: the forwarding itself, the SRTP/DTLS crypto, the UDP system calls,
// pion's interceptors and transports, LiveKit's SDK, the Go runtime (scheduler, timers, garbage collector).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the bench's forwarder serves its profiles. */
export const FORWARDER_PPROF_ADDR = '127.0.0.1:6063';

export interface ForwarderProfile {
  file: string;
  /** CPU the profile saw, in cores over its window. */
  cores: number;
  /** Share of the samples' own time by part of the program (0-1), largest first. */
  byPart: Record<string, number>;
  /** The functions with the most own time: [name, share]. */
  top: Array<[string, number]>;
}

/** Parts of the program, by function name prefix; the first that matches counts. */
const PARTS: Array<[string, RegExp]> = [
  ['system calls (UDP, epoll)', /^(syscall\.|internal\/runtime\/syscall|runtime\/internal\/syscall|internal\/poll\.|runtime\.(netpoll|epoll))/],
  ['SRTP / DTLS crypto', /^(crypto\/|golang\.org\/x\/crypto|github\.com\/pion\/(srtp|dtls))/],
  ['pion interceptors (RTCP reports, NACK, TWCC)', /^github\.com\/pion\/interceptor/],
  ['pion transports (ICE, SCTP, RTP, WebRTC)', /^github\.com\/pion\//],
  ['LiveKit SDK and protocol', /^github\.com\/livekit\//],
  ['forwarding (ours)', /^main\./],
  ['garbage collector', /^runtime\.(gc|mark|scan|sweep|greyobject|findObject|heapBits|wbBuf|bulkBarrier|mallocgc|memclr)/],
  ['Go runtime (scheduler, timers, memory)', /^runtime\./],
];

export function partOf(fn: string): string {
  return PARTS.find(([, re]) => re.test(fn))?.[0] ?? 'other';
}

const UNIT_S: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, min: 60, h: 3600 };

/** `go tool pprof -top` lines → own time (s) per function. */
export function parseTop(text: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([\d.]+)(ns|us|µs|ms|s|min|h)?\s+[\d.]+%\s+[\d.]+%\s+[\d.]+(?:ns|us|µs|ms|s|min|h)?\s+[\d.]+%\s+(.+?)\s*$/.exec(line);
    if (m) out.push([m[3]!, Number(m[1]) * (UNIT_S[m[2] ?? 's'] ?? 1)]);
  }
  return out;
}

/** Sums own time by part; shares of the whole, largest first. */
export function summarise(functions: Array<[string, number]>, topN = 8): Pick<ForwarderProfile, 'byPart' | 'top'> {
  const total = functions.reduce((s, [, t]) => s + t, 0);
  const share = (t: number) => (total > 0 ? Number((t / total).toFixed(3)) : 0);
  const parts = new Map<string, number>();
  for (const [fn, t] of functions) parts.set(partOf(fn), (parts.get(partOf(fn)) ?? 0) + t);
  const byPart = Object.fromEntries([...parts].sort((a, b) => b[1] - a[1]).map(([p, t]) => [p, share(t)]));
  const top = [...functions]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([fn, t]): [string, number] => [fn, share(t)]);
  return { byPart, top };
}

/**
 * Takes a CPU profile of the forwarder for `seconds` (started now; resolves when done). Undefined, with a line
 * in the log, when the forwarder serves none or Go's pprof tool is not there to read it.
 */
export async function profileForwarder(logDir: string, name: string, seconds: number, log: (line: string) => void): Promise<ForwarderProfile | undefined> {
  try {
    const response = await fetch(`http://${FORWARDER_PPROF_ADDR}/debug/pprof/profile?seconds=${Math.max(1, Math.floor(seconds))}`, {
      signal: AbortSignal.timeout((seconds + 30) * 1000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const file = join(logDir, `bench-forwarder-${name}.pprof`);
    writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    const top = spawnSync('go', ['tool', 'pprof', '-top', '-nodecount=100000', file], { encoding: 'utf8', timeout: 120_000 });
    if (top.status !== 0) throw new Error(`go tool pprof: ${(top.stderr || String(top.error)).trim().split('\n')[0]}`);
    const functions = parseTop(top.stdout);
    const sampled = functions.reduce((s, [, t]) => s + t, 0);
    return { file, cores: Number((sampled / seconds).toFixed(3)), ...summarise(functions) };
  } catch (error) {
    log(`forwarder profile ${name}: none (${error instanceof Error ? error.message : String(error)})`);
    return undefined;
  }
}
