// How late a job process's event loop ran during its call (the audio, the sessions and the relay all wait on
// it), logged once at the end for operators and the benchmark.
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Starts measuring now; `atEnd` is handed the report, which it runs when the call ends. */
export function measureLoopDelay(atEnd: (report: () => Promise<void>) => void): void {
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const jobStarted = Date.now();
  atEnd(async () => {
    loopDelay.disable();
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    console.log(
      JSON.stringify({
        event: 'event_loop_delay',
        pid: process.pid,
        seconds: Math.round((Date.now() - jobStarted) / 1000),
        p50Ms: ms(loopDelay.percentile(50)),
        p99Ms: ms(loopDelay.percentile(99)),
        maxMs: ms(loopDelay.max),
      }),
    );
  });
}
