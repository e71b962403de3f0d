// Every effect a transfer waits on has a named bound: a publish or a join that never answers fails in time
// (so the hold fails, or the bridge does, and the caller is looked after), and what it built when it answers
// late is taken down again.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bounded, EffectTimeout, PUBLISH_TIMEOUT_MS, settleWithin } from '../../core/bounded.ts';
import { prepareRelay } from '../../agent/transfer/bridge/relay.ts';
import { fakeRoom } from '../support/fakes/index.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

describe('bounded', () => {
  it('fails with a named timeout at the bound, and hands a late result to its clean-up', async () => {
    const work = deferred<string>();
    const late: string[] = [];
    const result = bounded(work.promise, 1000, 'publishing hold music', (value) => void late.push(value));
    const failed = expect(result).rejects.toThrow(new EffectTimeout('publishing hold music', 1000));
    await vi.advanceTimersByTimeAsync(1000);
    await failed;
    work.resolve('TR_late');
    await vi.advanceTimersByTimeAsync(0);
    expect(late).toEqual(['TR_late']);
  });

  it('passes a result in time through, and never cleans it up', async () => {
    const late: string[] = [];
    await expect(bounded(Promise.resolve('TR_1'), 1000, 'x', (value) => void late.push(value))).resolves.toBe('TR_1');
    await vi.advanceTimersByTimeAsync(5000);
    expect(late).toEqual([]);
  });

  it('settleWithin gives clean-up up after its bound and never throws', async () => {
    const never = new Promise<void>(() => undefined);
    const settled = settleWithin(never, 500);
    await vi.advanceTimersByTimeAsync(500);
    await expect(settled).resolves.toBeUndefined();
    await expect(settleWithin(Promise.reject(new Error('gone')), 500)).resolves.toBeUndefined();
  });
});

describe('publishing a relay track on a server that does not answer', () => {
  it('fails after PUBLISH_TIMEOUT_MS, and unpublishes the track if it shows up later', async () => {
    const publish = deferred<{ sid: string }>();
    const unpublished: string[] = [];
    const room = fakeRoom('call-room', {
      publish: () => publish.promise,
      onEffect: (effect) => void (effect.kind === 'unpublish' && unpublished.push(effect.sid)),
    });
    const relay = prepareRelay(room, 'transfer-destination');
    const failed = expect(relay).rejects.toThrow(EffectTimeout);
    await vi.advanceTimersByTimeAsync(PUBLISH_TIMEOUT_MS);
    await failed;
    publish.resolve({ sid: 'TR_late' });
    await vi.advanceTimersByTimeAsync(0);
    expect(unpublished).toEqual(['TR_late']);
  });
});
