// `npx tsx test/bench/profile-call.ts [calls]`: where a job process's CPU goes during a call. Starts the local
// stack and a greeting worker with --cpu-prof (its job processes inherit it), places `calls` calls at once
// (1 unless given) that talk for 15 s, and prints each profile's self time by area (profile.ts). The
// profiles are written when the job processes exit, under .stack/logs/profiles/.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { callsWorker, concurrentCalls, waitSettled } from './calls.ts';
import { summarise } from './profile.ts';
import { benchStack } from './stack.ts';
import { sleep } from './stats.ts';

const calls = Number(process.argv[2] ?? 1);
const { local, stack } = await benchStack();
const dir = join(local.logDir, 'profiles', `${calls}-calls-${Date.now()}`);
mkdirSync(dir, { recursive: true });
try {
  const worker = await callsWorker(stack, 'compiled', Math.max(1, calls), {}, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  try {
    await waitSettled(worker, Math.max(1, calls));
    const row = await concurrentCalls(worker, 'compiled', Math.max(1, calls), calls);
    console.log(JSON.stringify({ greeted: row.greeted, greetingMs: row.greetingMs, jobThreadsMs: row.jobThreadsMs }));
    await sleep(2000);
  } finally {
    await worker.stop();
  }
} finally {
  await local.stop();
}
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const { wallMs, areas } = summarise(join(dir, file), 20);
  console.log(`${file}: ${wallMs} ms`);
  for (const { area, ms } of areas) console.log(`  ${String(ms).padStart(6)} ms  ${area}`);
}
