// The load this worker reports to the server: the machine's CPU use since the last report, from 0 to 1.
import { cpus } from 'node:os';

function snapshot(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const sum = times.user + times.nice + times.sys + times.irq + times.idle;
    total += sum;
    busy += sum - times.idle;
  }
  return { busy, total };
}

let last = snapshot();

export function cpuLoad(): number {
  const now = snapshot();
  const total = now.total - last.total;
  const load = total > 0 ? (now.busy - last.busy) / total : 0;
  last = now;
  return Math.min(1, Math.max(0, load));
}
