// What every transfer request of one call shares: the call's room and caller, its settings, the services a
// transfer uses, and the caller's agent session. Built once per call (call-transfers.ts) from what the job
// passes in; nothing here reads the environment.
import { log, type voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import { DEFAULT_MAX_BRIDGED_MS } from '../config.ts';
import type { Models } from '../conversation/models.ts';
import { CallerSession } from '../conversation/caller-session.ts';
import type { AgentSettings } from '../../settings/settings.ts';
import type { Destination } from '../../settings/destination.ts';
import type { CarryLease } from '../capacity/carrying.ts';
import type { TransferLimits } from '../capacity/transfer-limits.ts';
import type { LiveKitCredentials, RoomApi } from '../livekit/room-api.ts';
import { type Authorisation, authoriseDial, dialPolicy } from './dial/authorise.ts';
import { NO_SIP_HOSTS_ALLOWED, type SipHostPolicy } from './dial/sip-host.ts';
import type { TopologyMemory } from './hold/choose-topology.ts';
import type { MusicSource, TopologyKind } from './hold/topology.ts';
import type { TransferRecordStore } from './record/store.ts';
import type { TimelineEntry } from './timeline.ts';
import type { ReferApi } from './tools/refer.ts';
import type { TransferLinks } from './links.ts';

export interface CallTransfersOptions {
  credentials: LiveKitCredentials;
  api: RoomApi;
  /** Joining rooms, dialling and the briefing agent; the real ones from `credentials` unless given (links.ts). */
  links?: TransferLinks;
  room: Room;
  callerIdentity: string;
  callerNumber: string | undefined;
  session: () => voice.AgentSession;
  /**
   * Set when the caller's agent session has not been started (a taken-over job): it is started only when the
   * caller is to hear the agent again, so a takeover's hold and rejoin do not wait behind it.
   */
  startSession?: () => Promise<unknown>;
  models: Models;
  music: MusicSource;
  settings: AgentSettings;
  topology: 'auto' | TopologyKind;
  /** What each LiveKit server taught about moving participants (the worker's Redis); nothing remembered without. */
  topologyMemory?: TopologyMemory;
  /** A drill (WARM_TRANSFER_FAULT): every self-hosted bridge fails at the accept. */
  fault?: 'hold' | 'bridge';
  /** Cap on a whole transfer request, all its destinations together. */
  deadlineMs: number;
  /** Cap on a bridged call (MAX_BRIDGED_CALL_S); four hours unless set. */
  maxBridgedMs?: number;
  onTimeline?: (entry: TimelineEntry) => void;
  /**
   * The agent's part in the call is over: caller and destination were connected and that call has ended
   * (either hung up), or the caller's trunk took the call by SIP REFER.
   */
  onCallHandedOff: () => void;
  /**
   * The worker's keeper (keeper/keeper.ts, in its main process), which carries bridged calls on without a job
   * process: `carries` says for which topology it does, `handedOver` is called once this job's bridged call is
   * in its hands (the job may then end). Without it a bridged call stays with its job to the end.
   */
  keeper?: { carries(kind: TopologyKind): boolean; handedOver(): void };
  /** SIP REFER for keypad transfers when the inbound trunk accepts it; defaults to the LiveKit SIP API. */
  refer?: ReferApi;
  /** When the call was answered (epoch ms), for "how long on the line"; defaults to when the tools were made. */
  callStartedAtMs?: number;
  /** Counts a transfer toward the worker's load while it is open or bridged (carrying.ts). */
  carry?: (id: string) => CarryLease;
  /** SIP_ALLOWED_HOSTS: the restricted hosts a `sip:` destination may still reach (none unless listed). */
  sipHosts?: SipHostPolicy;
  /** Where each request's transfer record lives (Redis). */
  records: TransferRecordStore;
  /** Who owns this job's records: `<workerKey>/<pid>` (takeover/watcher.ts ownerOf); `worker/<pid>` unless set. */
  owner?: string;
  /**
   * Another owner claimed one of this job's records (it was taken for dead): this process must stop acting
   * for the call at once, or two jobs would play music and brief the destination side by side.
   */
  onFenced?: () => void;
  /** Transfers per call and per organization at once (limits.ts); none without. */
  limits?: TransferLimits;
  /** The organization whose settings the call runs with (settings from the store): its transfers count together. */
  organizationId?: string;
}

/** The call as each of its transfer requests sees it. */
export interface TransferCall {
  readonly options: CallTransfersOptions;
  readonly settings: AgentSettings;
  readonly caller: CallerSession;
  /** The check every dial and REFER of this call passes first (authorise.ts). */
  authorise(destination: Destination | undefined): Promise<Authorisation>;
  /** The owner this job's records name. */
  readonly owner: string;
  readonly callStartedAtMs: number;
  readonly maxBridgedMs: number;
  /** The caller ID a destination sees: the caller's own number when passed through, else the agent's. */
  fromNumber(): string | undefined;
  /** A record write that failed: logged, the transfer goes on. */
  onRecordProblem(error: unknown): void;
  /** The requests running now, from hold to ended or to the end of their bridged call (request.ts). */
  readonly running: Set<object>;
}

export function transferCall(options: CallTransfersOptions): TransferCall {
  const { settings } = options;
  const policy = dialPolicy(settings, options.sipHosts ?? NO_SIP_HOSTS_ALLOWED);
  return {
    options,
    settings,
    caller: new CallerSession(options.session, options.startSession),
    authorise: (destination) => authoriseDial(destination, policy),
    owner: options.owner ?? `worker/${process.pid}`,
    callStartedAtMs: options.callStartedAtMs ?? Date.now(),
    maxBridgedMs: options.maxBridgedMs ?? DEFAULT_MAX_BRIDGED_MS,
    fromNumber: () => (settings.warmTransfer.passThroughCallerNumber ? options.callerNumber : settings.agentPhoneNumber),
    onRecordProblem: (error) => log().warn({ error }, 'transfer record: write failed'),
    running: new Set(),
  };
}
