// A job hands its bridged call's record to its worker's keeper (record/handle.ts handOver, store.ts handOver):
// the ask is written, the promise resolves once the record is someone else's (or gone), and that loss is the
// hand-over, not a takeover: onFenced, which stops a job at once, is not called. Against the real Redis.
import { afterAll, describe, expect, it } from 'vitest';
import { TransferRecordHandle } from '../../agent/transfer/record/handle.ts';
import { bridgedRecord } from '../support/keeper.ts';
import { testRecords } from '../support/records.ts';

const records = testRecords();
afterAll(() => records.cleanup());

async function opened() {
  const problems: unknown[] = [];
  let fenced = 0;
  const result = await TransferRecordHandle.open(
    records.store,
    bridgedRecord('worker-a/101'),
    (error) => void problems.push(error),
    () => void fenced++,
  );
  if (!result.ok) throw new Error(result.reason);
  return { handle: result.record, problems, fenced: () => fenced };
}

describe("a job's hand-over of its record", () => {
  it('writes the ask, and resolves once the keeper has taken the record over, without onFenced', async () => {
    const { handle, fenced, problems } = await opened();
    let done = false;
    const handedOver = handle.handOver({ handoff: { askedAt: Date.now() }, bridgedAt: Date.now() }).then(() => void (done = true));
    await expect.poll(async () => (await records.store.read(handle.id))?.handoff).toBeDefined();
    expect(done).toBe(false);
    const taken = await records.store.handOver(handle.id, handle.fence, 'keeper:worker-a');
    expect(taken).toBe(handle.fence + 1);
    const before = Date.now();
    await handedOver;
    // Seen by the job's own look within a few tenths of a second, not only at its next renewal.
    expect(Date.now() - before).toBeLessThan(400);
    expect(handle.fenced).toBe(true);
    expect(fenced()).toBe(0);
    expect(problems).toEqual([]);
    // The record is the keeper's, unchanged by the job, no resume counted.
    expect(await records.store.read(handle.id)).toMatchObject({ owner: 'keeper:worker-a', resumes: 0, fence: taken });
    await handle.close('handed_off');
    expect(await records.store.read(handle.id)).toBeDefined();
  });

  it('resolves when the record is gone (the keeper ended the call before the job looked)', async () => {
    const { handle, fenced } = await opened();
    const handedOver = handle.handOver({ handoff: { askedAt: Date.now() } });
    await expect.poll(async () => (await records.store.read(handle.id))?.handoff).toBeDefined();
    const fence = (await records.store.handOver(handle.id, handle.fence, 'keeper:worker-a'))!;
    await records.store.handOff(handle.id, fence, handle.callerRoom);
    await handedOver;
    expect(fenced()).toBe(0);
  });

  it('is refused to anyone holding a fence that is no longer the record’s', async () => {
    const { handle } = await opened();
    await records.store.claim(handle.id, 'watcher:worker-b', true);
    expect(await records.store.handOver(handle.id, handle.fence, 'keeper:worker-a')).toBeUndefined();
    expect((await records.store.read(handle.id))!.owner).toBe('watcher:worker-b');
  });
});
