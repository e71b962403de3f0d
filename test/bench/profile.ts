// Summarises a V8 .cpuprofile (node --cpu-prof): self time per area (our code, the agents framework by
// file, rtc-node's FFI, onnxruntime, module loading, GC), so "where does a job process's CPU go" has a number.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Which area a function belongs to, from its script URL. */
export function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : `(native) ${fn}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (pkg) {
    const [, name, rest] = pkg;
    if (name === '@livekit/agents') return `@livekit/agents ${rest!.replace(/^dist\//, '').replace(/\.[cm]?js$/, '')}`;
    return name!;
  }
  if (url.startsWith('node:')) return url.startsWith('node:internal/modules') ? 'node module loading' : `node ${url.slice(5).split('/')[0]}`;
  if (/\/(dist|agent|prompts|settings-service)\//.test(url)) return 'ours';
  return url;
}

/** Self time in ms per area, largest first. */
export function summarise(file: string, top = 15): { wallMs: number; areas: Array<{ area: string; ms: number }> } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const key = area(node.callFrame.url, node.callFrame.functionName);
    ms.set(key, (ms.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const areas = [...ms]
    .map(([a, v]) => ({ area: a, ms: Math.round(v) }))
    .sort((x, y) => y.ms - x.ms)
    .slice(0, top);
  return { wallMs: Math.round((profile.endTime - profile.startTime) / 1000), areas };
}

if (process.argv[1]?.endsWith('profile.ts')) {
  for (const file of process.argv.slice(2)) console.log(file, JSON.stringify(summarise(file, 25), null, 1));
}
