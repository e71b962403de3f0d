// What the keeper's unit tests share (agent/keeper/): a forwarder whose answers the test decides, and the record
// of a bridged call as a job leaves it for its keeper.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { BridgeSpec, Forwarder, LinkEvents } from '../../agent/keeper/forwarder-link.ts';
import { BridgeKeeper, type KeeperOptions } from '../../agent/keeper/keeper.ts';
import { DESTINATION_IDENTITY } from '../../agent/transfer/consultation.ts';
import type { NewRecord, TransferRecordStore } from '../../agent/transfer/record/store.ts';
import type { TimelineEntry } from '../../agent/transfer/timeline.ts';

export const CALLER = 'sip_caller';

/** A forwarder whose answers the test decides: `fail` makes the next bridges fail with that reason. */
export class FakeForwarder extends EventEmitter<LinkEvents> implements Forwarder {
  running = true;
  readonly bridged: BridgeSpec[] = [];
  readonly stopped: string[] = [];
  readonly released: string[] = [];
  fail: string[] = [];

  async bridge(spec: BridgeSpec): Promise<void> {
    if (!this.running) throw new Error('not running');
    const failure = this.fail.shift();
    if (failure) throw new Error(failure);
    this.bridged.push(spec);
  }
  release(id: string): void {
    this.released.push(id);
  }
  async stop(id: string): Promise<void> {
    this.stopped.push(id);
  }
  async close(): Promise<void> {
    this.running = false;
  }
  /** The process died. */
  crash(): void {
    this.running = false;
    this.emit('exit', null, 'SIGKILL');
  }
}

/** A bridged call's record, relayed between two rooms, owned by `owner`. */
export function bridgedRecord(owner: string, overrides: Partial<NewRecord> = {}): NewRecord {
  return {
    id: randomUUID(),
    owner,
    agentId: 'support',
    callerRoom: `call_${randomUUID()}`,
    callerIdentity: CALLER,
    chain: ['+15125551234'],
    index: 0,
    phase: { kind: 'bridged', source: 'keypad' },
    consultationRoom: `wt-${randomUUID()}`,
    topology: 'bridge',
    deadlineAt: Date.now() + 300_000,
    ...overrides,
  };
}

/** Rooms by name with who is in each (a room the test never named holds both); a deleted room is gone. */
export function fakeRooms() {
  const rooms = new Map<string, Set<string>>();
  const deleted: string[] = [];
  const removed: string[] = [];
  const both = [CALLER, DESTINATION_IDENTITY, 'warm-transfer-agent'];
  return {
    rooms,
    deleted,
    removed,
    put(room: string, ...identities: string[]) {
      rooms.set(room, new Set(identities));
    },
    api: {
      deleteRoom: async (room: string) => {
        deleted.push(room);
        rooms.delete(room);
      },
      removeParticipant: async (room: string, identity: string) => void removed.push(`${room} ${identity}`),
      participantIdentities: async (room: string) => (deleted.includes(room) ? ('no_room' as const) : rooms.has(room) ? [...rooms.get(room)!] : both),
    },
  };
}

export type TestKeeperOptions = Partial<KeeperOptions> & { noForwarder?: true };

/** A keeper of worker-a (unless told otherwise) over `store`, with fake forwarders and rooms, and what it did. */
export function testKeeper(store: TransferRecordStore, overrides: TestKeeperOptions = {}) {
  const { noForwarder, ...options } = overrides;
  const forwarders: FakeForwarder[] = [];
  const timeline: TimelineEntry[] = [];
  const logged: Array<Record<string, unknown>> = [];
  const room = fakeRooms();
  const k = new BridgeKeeper({
    store,
    workerKey: 'worker-a',
    api: room.api,
    url: 'ws://127.0.0.1:7880',
    token: async (name, identity) => `token-for-${name}-as-${identity}`,
    ...(noForwarder
      ? {}
      : {
          startForwarder: () => {
            const forwarder = new FakeForwarder();
            forwarders.push(forwarder);
            return forwarder;
          },
        }),
    maxBridgedMs: 3_600_000,
    onTimeline: (_record, entry) => void timeline.push(entry),
    log: (entry) => void logged.push(entry),
    ...options,
  });
  return { k, forwarders, timeline, logged, room, forwarder: () => forwarders.at(-1)! };
}
