// Stopping a worker without dropping a call (SIGTERM: a deploy, a scale-down). Within DRAIN_TIMEOUT_S:
//   - the worker stops taking calls at once (the framework's drain reports it full, so the server offers new
//     calls to the other workers);
//   - the bridged calls its keeper carries are offered to the other workers' keepers (the watcher's offers
//     channel): the first to claim one bridges it with its own forwarder, held (silent) while this one still
//     carries it, and takes the record over; this keeper lets go as soon as it sees that, and the new bridge
//     is released once this one's forwarder has left (keeper.ts #take): nobody hears it twice, or for long not;
//   - its jobs go on as if nothing happened: a transfer on hold, ringing or being briefed finishes here, and a
//     call that gets bridged meanwhile is offered to the other keepers in the same way, so the job can end;
//   - at the bound, what is left is ended here: a job still running is closed by the framework; a conversation
//     it carried (no transfer open) is first handed to a new job on another worker (takeover/continue.ts), and a
//     transfer it carried is taken over by another worker's watcher when its lease runs out, as after a crash; a
//     kept call nobody took is left to the next worker's watcher likewise.
import type { BridgeKeeper } from './keeper/keeper.ts';
import { OFFER_AGAIN_MS, type TakeoverWatcher } from './takeover/watcher.ts';
import type { TransferRecordStore } from './transfer/record/store.ts';

/** How often the calls offered are looked at for whether another keeper has them yet. */
export const DRAIN_POLL_MS = 100;
/** Of the bound, this much (at most) is kept for closing what is left and exiting. */
export const CLOSE_RESERVE_MS = 5000;

export interface DrainParts {
  /** The framework's server: drain() stops new jobs and waits for the running ones; close() ends whatever is left. */
  server: { drain(timeoutMs?: number): Promise<void>; close(): Promise<void> };
  keeper?: Pick<BridgeKeeper, 'drain' | 'kept' | 'letGo' | 'owner' | 'close'> | undefined;
  watcher: Pick<TakeoverWatcher, 'drain' | 'stop'>;
  /**
   * At the bound, before the jobs still running are closed: has the calls among them with no transfer open
   * continued by jobs on other workers (takeover/continue.ts); returns how many.
   */
  continueConversations?(): Promise<number>;
  store: Pick<TransferRecordStore, 'offer' | 'read'>;
  /** DRAIN_TIMEOUT_S: the worker has exited by then. */
  boundMs: number;
  log(entry: Record<string, unknown>): void;
  now?(): number;
}

export interface DrainReport {
  /** Milliseconds from the signal to the end of the drain. */
  ms: number;
  /** Kept calls another worker's keeper took, and those nobody took by the bound. */
  handedOver: number;
  notTaken: number;
  /** Whether every job process had ended by itself before the bound. */
  jobsEnded: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Drains the worker (see above); resolves when it may exit, within `boundMs` of the call. */
export async function drainWorker(parts: DrainParts): Promise<DrainReport> {
  const now = parts.now ?? Date.now;
  const started = now();
  const reserve = Math.min(CLOSE_RESERVE_MS, parts.boundMs / 4);
  const until = started + parts.boundMs - reserve;
  parts.watcher.drain();
  parts.keeper?.drain();
  parts.log({ event: 'drain_started', boundMs: parts.boundMs, kept: parts.keeper?.kept.size ?? 0 });
  const [handed, jobsEnded] = await Promise.all([
    parts.keeper ? handOverKept(parts, parts.keeper, until) : { handedOver: 0, notTaken: 0 },
    // The framework's own timeout, and ours in case it does not keep to it.
    Promise.race([parts.server.drain(Math.max(1, until - now())), sleep(Math.max(0, until - now())).then(() => Promise.reject(new Error('timed out')))]).then(
      () => true,
      () => false,
    ),
  ]);
  if (!jobsEnded) {
    const continued = await Promise.race([parts.continueConversations?.() ?? 0, sleep(Math.max(0, started + parts.boundMs - now() - 1000)).then(() => -1)]);
    parts.log({ event: 'drain_bound_reached', what: 'jobs still running are closed; calls continued elsewhere, transfers taken over', continued });
  }
  await Promise.race([parts.server.close(), sleep(Math.max(0, started + parts.boundMs - now() - 500))]);
  await parts.watcher.stop();
  await parts.keeper?.close();
  const report: DrainReport = { ms: now() - started, ...handed, jobsEnded };
  parts.log({ event: 'drain_finished', ...report });
  return report;
}

/** Offers every kept call until another keeper has it (then lets it go), or until `until`. */
async function handOverKept(parts: DrainParts, keeper: NonNullable<DrainParts['keeper']>, until: number): Promise<{ handedOver: number; notTaken: number }> {
  const now = parts.now ?? Date.now;
  const started = now();
  // The calls kept at the signal (the keeper takes no more now); each until another keeper has it, or it ends.
  const pending = new Set(keeper.kept.keys());
  const offered = new Map<string, number>();
  const leaving: Promise<void>[] = [];
  let handedOver = 0;
  while (pending.size > 0 && now() < until) {
    await Promise.all(
      [...pending].map(async (id) => {
        const record = await parts.store.read(id).catch(() => null); // null: Redis away, looked at again next time
        if (record === undefined || (record && record.owner !== keeper.owner) || (record && !keeper.kept.has(id))) {
          pending.delete(id);
          if (!record || record.owner === keeper.owner) return void parts.log({ event: 'drain_call_ended', transfer: id });
          // Another keeper has it. Let go at once: its bridge carries nothing until this one's forwarder has left
          // (keeper.ts #take). (The keeper may have let go already, its renewal fenced.)
          leaving.push(keeper.letGo(id, 0));
          handedOver += 1;
          return void parts.log({ event: 'drain_handed_over', transfer: id, to: record.owner, afterMs: now() - started });
        }
        if ((offered.get(id) ?? -Infinity) <= now() - OFFER_AGAIN_MS) {
          offered.set(id, now());
          await parts.store.offer(id).catch(() => undefined); // Redis away: offered again next time
        }
      }),
    );
    if (pending.size > 0) await sleep(DRAIN_POLL_MS);
  }
  // The forwarders that are leaving, unless that would take past the bound (the close ends them then).
  await Promise.race([Promise.all(leaving), sleep(Math.max(0, until - now()))]);
  return { handedOver, notTaken: pending.size };
}
