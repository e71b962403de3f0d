// Transfers stored as a job stores them, for the transfers page's tests: scripted (transfer-script.ts) and written by
// StoreSettingsSource.publishTimeline, the job's own writer, so the entries in the agent's stream have exactly the
// worker's shapes, and the caller's number and the destination reach the store only as lk.pii fields, which the
// store drops.
import { initializeLogger } from '@livekit/agents';
import { StoreSettingsSource } from '../../agent/call-settings/store.ts';
import type { TestStore } from './settings-store.ts';
import { recordTransfer, type ScriptedTransfer } from './transfer-script.ts';

export type { ScriptedTransfer } from './transfer-script.ts';

/** Stores `transfers` in `agentId`'s stream through the worker's writer; resolves once all are there. */
export async function storeTransfers(db: TestStore, agentId: string, transfers: ScriptedTransfer[]): Promise<void> {
  initializeLogger({ pretty: false, level: 'warn' });
  const source = await StoreSettingsSource.open(db.url, db.prefix);
  try {
    await source.forCall(agentId); // as a job does when its call starts: the organization its events go under
    let last: { transferId: string; type: string; at: string } | undefined;
    for (const transfer of transfers) {
      recordTransfer(transfer, (entry) => {
        source.publishTimeline(agentId, entry);
        last = { transferId: entry.transferId, type: entry.type, at: entry.at };
      });
    }
    // One connection keeps its commands in order: once the last entry is stored, every one before it is.
    const stored = async () => {
      const newest = (await db.store.recentEvents(agentId, 'transfers', 1))[0]?.data;
      return !last || (newest?.transferId === last.transferId && newest.type === last.type && newest.at === last.at);
    };
    const deadline = Date.now() + 10_000;
    while (!(await stored())) {
      if (Date.now() > deadline) throw new Error(`the transfers were not all stored in ${agentId}'s stream within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await source.store.close();
  }
}
