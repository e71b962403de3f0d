// The benchmark reads each job process's event-loop delay from the line the job logs at its end (capacity/loop-delay.ts).
import { describe, expect, it } from 'vitest';
import { loopDelays } from '../bench/stats.ts';

describe("the benchmark's event-loop delay", () => {
  it("summarises the job processes' lines and ignores everything else", () => {
    const log = [
      '{"level":30,"msg":"received job request"}',
      '{"event":"event_loop_delay","pid":11,"seconds":40,"p50Ms":10.2,"p99Ms":35.1,"maxMs":220.4}',
      'not json "event":"event_loop_delay" {',
      '{"event":"event_loop_delay","pid":12,"seconds":41,"p50Ms":10.1,"p99Ms":80.5,"maxMs":1310}',
      '{"event":"event_loop_delay","pid":13,"seconds":39,"p50Ms":10.4,"p99Ms":52,"maxMs":400}',
    ].join('\n');
    const delays = loopDelays(log);
    expect(delays.jobs).toBe(3);
    expect(delays.p99Ms.p50).toBe(52);
    expect(delays.maxMs).toBe(1310);
    expect(loopDelays('')).toMatchObject({ jobs: 0, maxMs: null });
  });
});
