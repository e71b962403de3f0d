// The bridged benchmark's arithmetic: bridges matched to job exits, tone-burst delays past a second, and the
// table's marks and sizing line (test/bench/bridged*.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeAlaw, type Phone } from '../../phones/index.ts';
import type { BridgedResults } from '../bench/bridged-run.ts';
import { bridgedTables } from '../bench/bridged-tables.ts';
import { matchExits, type BridgedRow } from '../bench/bridged.ts';
import { parseTop, partOf, summarise } from '../bench/forwarder-profile.ts';
import { burstCycleFile, cycleBurstDelay } from '../bench/listen.ts';
import { distribution } from '../bench/stats.ts';

/** A phone that received the cycle file's audio `delayMs` after a stream that started at `start`. */
function receiving(delayMs: number, start: number, seconds: number): Phone {
  const pcm = decodeAlaw(readFileSync(burstCycleFile()));
  const chunks = Array.from({ length: seconds * 50 }, (_, i) => {
    const off = (i * 160) % pcm.length;
    return { at: start + i * 20 + delayMs, seq: i, samples: pcm.subarray(off, off + 160) };
  });
  return { received: { chunks } } as unknown as Phone;
}

const row = (over: Partial<BridgedRow>): BridgedRow => ({
  carrier: 'forwarder',
  concurrent: 4,
  bridged: 4,
  failures: {},
  measuredS: 20,
  workerCores: 0.2,
  idleCores: 0.16,
  coresPerCall: 0.01,
  workerRssMb: 1300,
  idleRssMb: 1270,
  mbPerCall: 7.5,
  rssByRole: {},
  jobProcesses: 4,
  jobsInCalls: 0,
  jobsGoneMs: distribution([300, 400, 500, 600]),
  jobsStayed: 0,
  delayMs: distribution([190, 195, 200, 205]),
  lateFraction: 0.001,
  missingFraction: 0,
  machineCores: 0.9,
  ...over,
});

describe('the bridged benchmark', () => {
  it('matches each bridge with the first job exit after it, and counts the bridges whose job stayed', () => {
    expect(matchExits([1000, 2000, 3000], [1400, 2300])).toEqual({ gapsMs: [400, 300], unmatched: 1 });
    expect(matchExits([1000], [500])).toEqual({ gapsMs: [], unmatched: 1 });
  });

  it('reads a burst delay past one second, which a single pitch would read modulo a second', () => {
    const start = 1_000_000;
    for (const delay of [40, 180, 1030, 2500]) {
      expect(cycleBurstDelay(receiving(delay, start, 20), start, start + 5000, start + 20_000).medianMs).toBe(delay);
    }
  });

  it('marks the targets met and missed, and sizes from the mix', () => {
    const results: BridgedResults = {
      seconds: 20,
      gapMs: 3000,
      idle: 4,
      floor: [{ concurrent: 4, connected: 4, delayMs: distribution([185, 190, 190, 200]), lateFraction: 0, missingFraction: 0, machineCores: 0.7 }],
      rows: [
        row({}),
        row({ carrier: 'relay', coresPerCall: 0.3, mbPerCall: 240, jobsInCalls: 4, jobsGoneMs: distribution([]), jobsStayed: 4, lateFraction: 0.05 }),
      ],
      stopped: ['relay: 2 of 8 calls bridged ({"bridge":6}); its series stopped there'],
      mix: {
        calls: 16,
        everyS: 10,
        leadS: 15,
        bridgedS: 300,
        idle: 4,
        carrier: 'forwarder',
        bridgedCalls: 16,
        failures: {},
        peakBridged: 16,
        workerCoresAtPeak: 0.4,
        machineCoresAtPeak: 1.2,
        workerCores: 0.5,
        machineCores: 1.3,
        lateFraction: 0.002,
        missingFraction: 0,
        delayMs: distribution([200]),
        samples: [],
        durationS: 500,
      },
    };
    const md = bridgedTables(results, 2).join('\n');
    expect(md).toContain('| 4 | forwarder | 4/4 | 0.010 ✓ | 7.5 ✓ | 4 (0 in calls) ✓ | 400 / 600 ✓ | 0.10 % ✓ | 0.00 % | 195 / 205 | 5 / 5 ✓ |');
    expect(md).toContain('| 4 | relay | 4/4 | 0.300 ✗ | 240.0 ✗ | 4 (4 in calls) ✗ | stayed (4) ✗ | 5.00 % ✗ |');
    expect(md).toContain('Stopped: relay: 2 of 8 calls bridged');
    expect(md).toContain('about 40 concurrent bridged calls per core of the worker.');
  });

  it("reads Go's pprof top listing and sums the forwarder's own time by part of the program", () => {
    const top = [
      'File: wt-forwarder',
      'Type: cpu',
      'Duration: 19s, Total samples = 1.20s ( 6.32%)',
      'Showing nodes accounting for 1.20s, 100% of 1.20s total',
      '      flat  flat%   sum%        cum   cum%',
      '     0.40s 33.33% 33.33%      0.40s 33.33%  internal/runtime/syscall.Syscall6',
      '     300ms 25.00% 58.33%      0.30s 25.00%  crypto/aes.gcmAesEnc',
      '     0.20s 16.67% 75.00%      0.50s 41.67%  runtime.futex',
      '     100ms  8.33% 83.33%      0.10s  8.33%  github.com/pion/interceptor/pkg/nack.(*GeneratorInterceptor).loop',
      '     0.10s  8.33% 91.67%      0.90s 75.00%  main.(*outTrack).write',
      '      50ms  4.17% 95.83%      50ms  4.17%  runtime.scanobject',
      '      50ms  4.17%   100%      50ms  4.17%  github.com/pion/srtp/v3.(*Context).decryptRTP',
    ].join('\n');
    const functions = parseTop(top);
    expect(functions).toHaveLength(7);
    expect(functions[1]).toEqual(['crypto/aes.gcmAesEnc', 0.3]);
    const { byPart, top: busiest } = summarise(functions, 2);
    expect(byPart).toEqual({
      'system calls (UDP, epoll)': 0.333,
      'SRTP / DTLS crypto': 0.292,
      'Go runtime (scheduler, timers, memory)': 0.167,
      'pion interceptors (RTCP reports, NACK, TWCC)': 0.083,
      'forwarding (ours)': 0.083,
      'garbage collector': 0.042,
    });
    expect(busiest).toEqual([
      ['internal/runtime/syscall.Syscall6', 0.333],
      ['crypto/aes.gcmAesEnc', 0.25],
    ]);
    expect(partOf('github.com/livekit/server-sdk-go/v2.(*Room).handleParticipantUpdate')).toBe('LiveKit SDK and protocol');
    expect(partOf('github.com/pion/ice/v4.(*Agent).connectivityChecks')).toBe('pion transports (ICE, SCTP, RTP, WebRTC)');
    expect(partOf('encoding/json.Marshal')).toBe('other');
  });

  it('says where the forwarder rows spent the hand-over and the CPU', () => {
    const md = bridgedTables(
      {
        seconds: 20,
        gapMs: 3000,
        idle: 4,
        floor: [],
        rows: [
          row({
            askToKeptMs: distribution([300, 400, 500]),
            keptToGoneMs: distribution([600, 700, 900]),
            takeSteps: {
              lineMs: distribution([10, 20]),
              bridgeMs: distribution([250, 300, 900]),
              joinedMs: distribution([150, 200, 700]),
              recordMs: distribution([2, 3]),
            },
            byCommand: { 'worker forwarder': 0.1, 'worker main': 0.04, 'livekit-server': 0.3 },
            forwarderProfile: { file: '/x/bench-forwarder-4.pprof', cores: 0.095, byPart: { 'system calls (UDP, epoll)': 0.4 }, top: [['runtime.futex', 0.2]] },
          }),
        ],
        stopped: [],
      },
      2,
    ).join('\n');
    expect(md).toContain("hand-over (p50 / max): the job's ask → the keeper has the call 400 / 500 ms; the keeper has it → the job process gone 700 / 900 ms.");
    expect(md).toContain(
      "the keeper's take (p50 / max): both on the line? 10 / 20 ms; the forwarder's bridge 300 / 900 ms (joining both rooms 200 / 700 ms of it, the rest publishing and subscribing); the record handed over 2 / 3 ms.",
    );
    expect(md).toContain('worker CPU per call by process (cores, idle not subtracted): forwarder 0.0250, main 0.0100.');
    expect(md).toContain("wt-forwarder's own time (profile, 0.095 cores; `bench-forwarder-4.pprof`): system calls (UDP, epoll) 40.00 %.");
    expect(md).toContain('busiest functions: `runtime.futex` 20.00 %.');
  });
});
