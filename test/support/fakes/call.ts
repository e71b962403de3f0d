// A call without a server, and its transfer tools: the one place unit tests build the tools, with the fakes
// of this folder for every collaborator a test does not bring itself. The LiveKit URL is a closed loopback
// port, so a transfer that gets as far as joining or dialling fails fast (dial_failed).
import type { AgentSettings } from '../../../settings/settings.ts';
import type { Models } from '../../../agent/conversation/models.ts';
import type { TransferRecordStore } from '../../../agent/transfer/record/store.ts';
import type { TimelineEntry } from '../../../agent/transfer/timeline.ts';
import { callTransfers } from '../../../agent/transfer/call-transfers.ts';
import type { CallTransfersOptions } from '../../../agent/transfer/call-context.ts';
import { fakeMusic } from './music.ts';
import { fakeRoom } from './room.ts';
import { fakeRoomApi } from './room-api.ts';
import { fakeSession, type FakeSession } from './session.ts';

export const CALLER_IDENTITY = 'sip_caller';
export const CALLER_NUMBER = '+15125550142';

export interface FakeCallOptions extends Partial<CallTransfersOptions> {
  settings: AgentSettings;
  records: TransferRecordStore;
}

export interface FakeCall extends FakeSession {
  tools: ReturnType<typeof callTransfers>;
  /** Every timeline entry, unless the test passed an onTimeline of its own. */
  timeline: TimelineEntry[];
  /** How often the tools said the agent's part in the call is over. */
  handedOff(): number;
}

/**
 * By default the caller (`sip_caller`) is in the call's room `call-room`, RoomService and the music do
 * nothing, the session is fakeSession's and the topology is the self-hosted bridge; `options` replaces any of it.
 */
export function fakeCall(options: FakeCallOptions): FakeCall {
  const session = fakeSession();
  const timeline: TimelineEntry[] = [];
  let handedOff = 0;
  const tools = callTransfers({
    credentials: { url: 'ws://127.0.0.1:1', apiKey: 'k', apiSecret: 's' },
    api: fakeRoomApi(),
    room: fakeRoom('call-room', { participants: [CALLER_IDENTITY] }),
    callerIdentity: CALLER_IDENTITY,
    callerNumber: CALLER_NUMBER,
    session: () => session.session,
    models: {} as Models,
    music: fakeMusic(),
    topology: 'bridge',
    deadlineMs: 60_000,
    onCallHandedOff: () => void handedOff++,
    onTimeline: (entry) => void timeline.push(entry),
    ...options,
  });
  return { ...session, tools, timeline, handedOff: () => handedOff };
}
