// What the keeper's unit tests share (agent/keeper/): a forwarder whose answers the test decides, and the record
// of a bridged call as a job leaves it for its keeper.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { BridgeSpec, Forwarder, LinkEvents } from '../../agent/keeper/forwarder-link.ts';
import type { NewRecord } from '../../agent/transfer/record/store.ts';

export const CALLER = 'sip_caller';

/** A forwarder whose answers the test decides: `fail` makes the next bridges fail with that reason. */
export class FakeForwarder extends EventEmitter<LinkEvents> implements Forwarder {
  running = true;
  readonly bridged: BridgeSpec[] = [];
  readonly stopped: string[] = [];
  fail: string[] = [];

  async bridge(spec: BridgeSpec): Promise<void> {
    if (!this.running) throw new Error('not running');
    const failure = this.fail.shift();
    if (failure) throw new Error(failure);
    this.bridged.push(spec);
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
