// What the takeover tests at the phones share: workers that can be told apart by the owner in a record, the
// records the workers keep in Redis (and the consultation rooms they name, which must be gone at the end),
// killing a job process as the kernel's OOM killer would, and the moment a tone comes back at a phone.
import { expect } from 'vitest';
import type { Redis } from 'ioredis';
import { TransferRecordStore, type TransferRecord } from '../../agent/transfer/record/store.ts';
import type { Phone } from '../../phones/index.ts';
import type { StackInfo } from '../../stack/stack-info.ts';
import type { FakeOpenAI } from './fake-openai/index.ts';
import { openRedis } from './redis.ts';
import { eventually } from './rooms.ts';
import { nothingLeftBehind, startTransferWorker, type TransferCast } from './transfer-call.ts';

/** What the issue promises after a kill: music, or the other party, again within this long. */
export const BACK_WITHIN_MS = 5000;

/** A transfer worker and the key its jobs write into the records they own (`<key>/<pid>`). */
export interface TakeoverCast extends TransferCast {
  key: string;
}

/** Starts a worker named `name` whose records say `<name>-worker/<pid>`, with its health server on `healthPort`. */
export async function startTakeoverWorker(
  stack: StackInfo,
  name: string,
  healthPort: number,
  env: Record<string, string> = {},
  model?: FakeOpenAI,
): Promise<TakeoverCast> {
  const key = `${name}-worker`;
  const cast = await startTransferWorker(stack, name, { WARM_TRANSFER_WORKER_KEY: key, WORKER_HTTP_PORT: String(healthPort), ...env }, model);
  return { ...cast, key };
}

/** The worker whose job (or, for a bridged call it keeps, whose keeper) owns `record`. */
export function ownerOf(record: TransferRecord, casts: readonly TakeoverCast[]): TakeoverCast {
  const owner = casts.find((cast) => record.owner.startsWith(`${cast.key}/`) || record.owner === `keeper:${cast.key}`);
  expect(owner, `the worker of ${record.owner}`).toBeDefined();
  return owner!;
}

export interface TakeoverRecords {
  redis: Redis;
  store: TransferRecordStore;
  /** The first open record `test` accepts, once there is one (within `ms`). */
  open(test?: (record: TransferRecord) => boolean, ms?: number): Promise<TransferRecord>;
  /** Once the call from `from` is over: no record, and no room of the call or of a consultation seen, is left. */
  nothingLeftBehind(from: string): Promise<void>;
  close(): void;
}

/** The workers' transfer records in the Redis at `url` (the stack's, unless the test runs one of its own). */
export function takeoverRecords(stack: StackInfo, url = stack.redisUrl ?? 'redis://127.0.0.1:6379'): TakeoverRecords {
  const redis = openRedis(url);
  const store = new TransferRecordStore({ redis });
  // The consultation rooms of the records seen: only these (and the calls' rooms) must be gone at the end.
  const consultations = new Set<string>();
  return {
    redis,
    store,
    async open(test = () => true, ms = 30_000) {
      let found: TransferRecord | undefined;
      await eventually(
        async () => {
          found = (await store.all()).find(test);
          if (found?.consultationRoom) consultations.add(found.consultationRoom);
          return found !== undefined;
        },
        ms,
        'the transfer record',
      );
      return found!;
    },
    nothingLeftBehind: (from) => nothingLeftBehind(stack, store, from, consultations),
    close: () => redis.disconnect(),
  };
}

/** Kills the job process that owns `record` (SIGKILL), and returns when it was killed. */
export function killJob(record: TransferRecord): number {
  const pid = Number(record.owner.slice(record.owner.lastIndexOf('/') + 1));
  expect(pid).toBeGreaterThan(1);
  process.kill(pid, 'SIGKILL');
  return Date.now();
}

/** The gap as the phones heard it, for the report (vitest prints it with the file's output). */
export function reportGap(what: string, ms: number): void {
  console.log(JSON.stringify({ takeoverGapAtPhone: what, ms }));
}

/** The longest run of 100 ms windows between `from` and `to` in which `phone` does not hear the tone at `hz`. */
export function longestWithout(phone: Phone, hz: number, from: number, to: number): number {
  let longest = 0;
  let run = 0;
  for (let t = from; t + 100 <= to; t += 100) {
    run = phone.received.toneRatio(hz, t, t + 100) < 0.5 ? run + 100 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

/** The first 500 ms window from `after` in which `phone` hears the tone at `hz` (ratio > 0.5), or undefined. */
function toneFrom(phone: Phone, hz: number, after: number): number | undefined {
  for (let t = after; t + 500 <= Date.now(); t += 100) if (phone.received.toneRatio(hz, t, t + 500) > 0.5) return t;
  return undefined;
}

/**
 * The moment the tone at `hz` (or at `orHz`, whichever is first) came back after `after`: the first window with
 * it after the first window without `hz` (packets already in flight when the process died are not a recovery).
 */
export async function toneBack(phone: Phone, hz: number, after: number, ms = 15_000, orHz?: number): Promise<number> {
  let back: number | undefined;
  await eventually(
    () => {
      let gapStart: number | undefined;
      for (let t = after; t + 500 <= Date.now(); t += 100) {
        if (phone.received.toneRatio(hz, t, t + 500) < 0.2) {
          gapStart = t;
          break;
        }
      }
      if (gapStart === undefined) return false;
      const candidates = [toneFrom(phone, hz, gapStart), orHz === undefined ? undefined : toneFrom(phone, orHz, gapStart)];
      back = candidates.filter((t): t is number => t !== undefined).sort((a, b) => a - b)[0];
      return back !== undefined;
    },
    ms,
    `the ${hz} Hz tone${orHz === undefined ? '' : ` (or ${orHz} Hz)`} back at the phone`,
  );
  return back!;
}
