// The self-hosted bridge's relay keeps its delay bounded: frames that piled up while the job's event loop was
// busy (or before the relay started) are dropped, not played late for the rest of the call. A sink on a
// virtual clock stands in for the AudioSource, which plays 10 ms per 10 ms.
import type { AudioFrame } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { pumpFrames, RELAY_MAX_QUEUED_MS } from '../../agent/transfer/bridge/relay.ts';

const FRAME_MS = 10;

function virtualSource() {
  let now = 0;
  let queuedUntil = 0;
  let maxQueued = 0;
  const captured: number[] = [];
  return {
    advance: (ms: number) => void (now += ms),
    get queuedDuration() {
      return Math.max(0, queuedUntil - now);
    },
    async captureFrame(frame: AudioFrame) {
      queuedUntil = Math.max(queuedUntil, now) + FRAME_MS;
      maxQueued = Math.max(maxQueued, queuedUntil - now);
      captured.push((frame as unknown as { n: number }).n);
    },
    captured,
    get maxQueued() {
      return maxQueued;
    },
  };
}

describe('the relay pump', () => {
  it('drops a backlog instead of keeping it as delay, and relays every frame that arrives in time', async () => {
    const source = virtualSource();
    // 25 frames waiting at once (a 250 ms stall), then 50 arriving one every 10 ms.
    const frames = Array.from({ length: 75 }, (_, n) => ({ n }) as unknown as AudioFrame);
    let next = 0;
    const read = async () => {
      if (next >= frames.length) return { done: true };
      if (next >= 25) source.advance(FRAME_MS);
      return { done: false, value: frames[next++] };
    };
    const dropped = await pumpFrames(read, source, () => false);
    expect(source.maxQueued).toBeLessThanOrEqual(RELAY_MAX_QUEUED_MS + FRAME_MS);
    expect(dropped).toBeGreaterThanOrEqual(25 - (RELAY_MAX_QUEUED_MS + FRAME_MS) / FRAME_MS);
    // Every frame after the stall is relayed: in time, nothing of it is lost.
    expect(source.captured.filter((n) => n >= 25)).toEqual(frames.slice(25).map((_, i) => 25 + i));
    expect(source.captured.length + dropped).toBe(75);
  });

  it('stops when told, without reading further', async () => {
    const source = virtualSource();
    let reads = 0;
    let stop = false;
    const read = async () => {
      reads++;
      if (reads === 3) stop = true;
      return { done: false, value: { n: reads } as unknown as AudioFrame };
    };
    await pumpFrames(read, source, () => stop);
    expect(reads).toBe(3);
    expect(source.captured).toEqual([1, 2]);
  });
});
