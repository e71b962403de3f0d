// The transfer tools of the caller's agent. warm_transfer dials only destinations the agent's rules name,
// tries a rule's destinations in order while the caller stays on hold, and answers the model with the
// typed outcome. Keypad rules start ordinary transfers the same way, without a briefing, or screened ones
// (warm: true) whose briefing is built from what is known without a model.
import { randomUUID } from 'node:crypto';
import { llm, log, type voice } from '@livekit/agents';
import type { AudioFrame, Room } from '@livekit/rtc-node';
import { z } from 'zod';
import { callerMessage, toolResult } from '../../../prompts/outcomes.ts';
import { onHoldNote } from '../../../prompts/hold.ts';
import { keypadBriefing, keypadHoldMessage } from '../../../prompts/keypad.ts';
import { callLimitForModel, limitForCaller, organizationLimitForModel } from '../../../prompts/limits.ts';
import { DEFAULT_MAX_BRIDGED_MS } from '../../config.ts';
import type { Models } from '../../conversation/models.ts';
import { destinationFields, errorFields, pii, sipFailureFields } from '../../../core/pii.ts';
import type { KeypadRule } from '../../../settings/schema.ts';
import type { AgentSettings } from '../../../settings/settings.ts';
import { type Destination, formatDestination } from '../../../settings/destination.ts';
import { planFor } from '../../../settings/rules/plan.ts';
import { callerAgreed } from './consent.ts';
import { transcriptOf } from '../briefing/session.ts';
import { type CarryLease, WORKER_KEY_ENV } from '../../capacity/carrying.ts';
import { CallerHold } from '../hold/caller-hold.ts';
import { TransferChain } from '../chain.ts';
import { authoriseDial, dialPolicy } from '../dial/authorise.ts';
import { NO_SIP_HOSTS_ALLOWED, type SipHostPolicy } from '../dial/sip-host.ts';
import { readStoredChain, storedDestination } from '../record/stored-chain.ts';
import type { EarlyRejoin } from '../../takeover/early-rejoin.ts';
import { referCaller, sipReferApi, type ReferApi } from './refer.ts';
import type { TransferOutcome } from '../../../core/outcome.ts';
import type { LiveKitCredentials, RoomApi } from '../../livekit/room-api.ts';
import { TransferTimeline, type TimelineEntry } from '../timeline.ts';
import type { MusicSource, TopologyKind } from '../hold/topology.ts';
import type { TopologyMemory } from '../hold/choose-topology.ts';
import type { OrganizationSlot, TransferLimits } from '../../capacity/transfer-limits.ts';
import { type OpenResult, TransferRecordHandle } from '../record/handle.ts';
import type { TransferRecord, TransferRecordStore } from '../record/store.ts';
import { joinAsWorker, WarmTransfer } from '../attempt.ts';

export interface TransferToolOptions {
  credentials: LiveKitCredentials;
  api: RoomApi;
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
  fault?: 'bridge';
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

/** A request refused before anything started: by the record (open already, handed off, Redis away) or a limit. */
type BeginResult = OpenResult | { ok: false; reason: 'call_limit' | 'organization_limit' };

/** A record a watcher claimed and dispatched this job to carry on (takeover.ts). */
export interface ResumeOrder {
  id: string;
  fence: number;
  /** 'end': the transfer failed too often; take the caller back and let the destination go, nothing more. */
  mode: 'resume' | 'end';
}

/** The longest the caller's "please hold" may take before the hold starts anyway. */
const ANNOUNCE_MAX_MS = 10_000;

/** What the model hears when a request cannot start. */
const REFUSED = {
  busy: 'A transfer is already in progress.',
  handed_off: 'The caller is already connected to someone.',
  unavailable: "I can't start a transfer right now. Tell the caller, and offer to take a message instead.",
  organization_limit: organizationLimitForModel(),
} as const;

/** How a destination is named in notes and tool results; a taken-over record's unreadable one has no name. */
const labelOf = (destination: Destination | undefined) => (destination ? formatDestination(destination) : 'the person you were being connected to');

async function* speech(models: Models, text: string): AsyncIterable<AudioFrame> {
  for await (const audio of models.tts.synthesize(text)) yield audio.frame;
}

export function transferTools(options: TransferToolOptions) {
  const { settings } = options;
  // Every dial and REFER of this call passes this check first (authorise.ts).
  const policy = dialPolicy(settings, options.sipHosts ?? NO_SIP_HOSTS_ALLOWED);
  const authorise = (destination: Destination | undefined) => authoriseDial(destination, policy);
  const callStartedAtMs = options.callStartedAtMs ?? Date.now();
  const owner = `${process.env[WORKER_KEY_ENV] ?? 'worker'}/${process.pid}`;
  // The caller's agent session: started already, or (a taken-over job) started when the caller needs it.
  let sessionStarted = options.startSession === undefined;
  let starting: Promise<void> | undefined;
  let wantMuted: boolean | undefined;
  /** Transfers running in this job, from hold to ended, or to the end of their bridged call. */
  let openTransfers = 0;
  /** Each running transfer's place among its organization's (by record id), freed when the transfer ends. */
  const slots = new Map<string, OrganizationSlot>();
  const freeSlot = async (id: string) => {
    const slot = slots.get(id);
    slots.delete(id);
    await slot?.release();
  };

  function startCallerSession(): Promise<void> {
    starting ??= Promise.resolve()
      .then(() => options.startSession!())
      .catch((error: unknown) => log().error({ error }, 'the caller agent session did not start'))
      .then(() => {
        sessionStarted = true;
        if (wantMuted !== undefined) muteAgent(wantMuted);
      });
    return starting;
  }

  /** Uses the caller's agent session now, or once it has started (in the order asked), starting it if need be. */
  function withSession(use: (session: voice.AgentSession) => unknown): void {
    const session = options.session();
    if (sessionStarted) {
      use(session);
      return;
    }
    void startCallerSession().then(() => use(session)).catch((error: unknown) => log().debug({ error }, 'the caller agent session could not be used'));
  }

  /**
   * Opens the request's record in Redis. Whether a transfer is open for this call, or the caller has already
   * been handed to someone, is the record's to say: one atomic check, whichever process asks.
   */
  async function begin(chain: readonly Destination[], request: NonNullable<TransferRecord['request']>): Promise<BeginResult> {
    const id = randomUUID();
    const room = options.room.name!;
    const { limits, organizationId } = options;
    let counted = false;
    let slot: OrganizationSlot | undefined;
    try {
      if (limits) {
        counted = await limits.takeForCall(room);
        if (!counted) return { ok: false, reason: 'call_limit' };
        if (organizationId && limits.perOrganization !== undefined) {
          slot = await limits.takeForOrganization(organizationId, id);
          if (!slot) {
            await limits.giveBackForCall(room);
            return { ok: false, reason: 'organization_limit' };
          }
        }
      }
    } catch (error) {
      // A limit that cannot be read: nobody is put on hold, as without a record.
      onRecordProblem(error);
      if (counted) await limits!.giveBackForCall(room);
      return { ok: false, reason: 'unavailable' };
    }
    const opened = await TransferRecordHandle.open(
      options.records,
      {
        id,
        owner,
        agentId: settings.agentId,
        callerRoom: room,
        callerIdentity: options.callerIdentity,
        // Canonical, so a takeover reads them back exactly (stored-chain.ts).
        chain: chain.map(storedDestination),
        index: 0,
        phase: { kind: 'idle' },
        // One deadline for the whole request, however many destinations its rule names.
        deadlineAt: Date.now() + options.deadlineMs,
        request: withFromNumber(request),
      },
      onRecordProblem,
      options.onFenced,
    );
    if (!opened.ok) {
      await slot?.release();
      if (counted) await limits!.giveBackForCall(room);
    } else if (slot) {
      slots.set(id, slot);
    }
    return opened;
  }

  function withFromNumber(request: NonNullable<TransferRecord['request']>): NonNullable<TransferRecord['request']> {
    const number = fromNumber();
    return number ? { ...request, fromNumber: number } : request;
  }

  const onRecordProblem = (error: unknown) => log().warn({ error }, 'transfer record: write failed');
  const fromNumber = () => (settings.warmTransfer.passThroughCallerNumber ? options.callerNumber : settings.agentPhoneNumber);

  /**
   * Takeover: carries on the transfer a watcher claimed for this job, from the phase its record holds, then
   * with the rule's remaining destinations. Undefined when the record is gone (the transfer ended meanwhile).
   */
  async function resume(order: ResumeOrder, early?: EarlyRejoin): Promise<TransferOutcome | undefined> {
    let outcome: TransferOutcome | undefined;
    try {
      outcome = await carryOn(order, early);
      return outcome;
    } finally {
      // The caller is with the agent again (or never left it): its session starts now if nothing has started it.
      if (!sessionStarted && outcome !== 'accepted' && options.room.remoteParticipants.has(options.callerIdentity)) await startCallerSession();
    }
  }

  async function carryOn(order: ResumeOrder, early: EarlyRejoin | undefined): Promise<TransferOutcome | undefined> {
    let adopted;
    try {
      adopted = await TransferRecordHandle.adopt(options.records, order.id, order.fence, owner, onRecordProblem, options.onFenced);
    } catch (error) {
      log().warn({ error, transfer: order.id }, 'takeover: the transfer record could not be adopted');
      return undefined;
    }
    const { record, stored } = adopted;
    const chain = readStoredChain(stored.chain);
    if (!chain) log().error({ transfer: order.id, 'lk.pii.chain': stored.chain }, 'takeover: the record\'s destinations cannot be read; ending the transfer');
    const rest = chain?.slice(stored.index) ?? [];
    const request = stored.request ?? { reason: 'A caller asked to be transferred.', brief: true };
    // Nothing to carry on: from idle, the resume takes the caller back and told, and tells and lets go the
    // person if they are on the line (phase.ts); no destination is dialled, and the record is closed.
    const phase = order.mode === 'end' || rest.length === 0 ? ({ kind: 'idle' } as const) : stored.phase;
    const attempts = rest.length > 0 ? rest : chain ? chain.slice(-1) : [undefined];
    const { outcome } = await run(record, attempts, request.reason, request.brief, request.known, { stored, phase, early });
    return outcome;
  }

  /** Tries `chain` in order while the caller stays on hold (chain.ts); resolves with the last outcome. */
  async function run(
    record: TransferRecordHandle, chain: readonly (Destination | undefined)[], reason: string, brief: boolean, known?: string,
    from?: { stored: TransferRecord; phase: TransferRecord['phase']; early?: EarlyRejoin | undefined },
  ): Promise<{ outcome: TransferOutcome; label: string }> {
    const session = options.session();
    const { deadlineAt } = record;
    const indexOffset = from ? Math.max(0, Math.min(from.stored.index, from.stored.chain.length - 1)) : 0;
    const hold = new CallerHold({
      // A taken-over transfer keeps the topology it started with: the caller is where that put them.
      mode: from?.stored.topology ?? options.topology,
      serverUrl: options.credentials.url,
      topology: {
        caller: { room: options.room, identity: options.callerIdentity, muteAgent },
        music: options.music,
        api: options.api,
        join: (name) => joinAsWorker(options.credentials, name),
        ...(options.fault ? { fault: options.fault } : {}),
      },
      ...(options.topologyMemory ? { memory: options.topologyMemory } : {}),
      writeAhead: (where) => record.writeAhead(where),
      speak: (text) => speech(options.models, text),
      onStopWaiting: () => transfers.stop(),
    });
    const transfers = new TransferChain<Destination | undefined>({
      chain,
      label: labelOf,
      hold,
      deadlineAt,
      tellCaller: (outcome) => {
        const message = callerMessage(outcome);
        if (message) withSession((session) => session.say(message));
      },
      progressNoteIntervalMs: settings.warmTransfer.progressNoteIntervalMs,
      resumed: from !== undefined,
      attempt: (destination, willRetry, chainIndex) => {
        const index = chainIndex + indexOffset;
        const resumeFrom = from && chainIndex === 0 ? from : undefined;
        const maxBridgedMs = options.maxBridgedMs ?? DEFAULT_MAX_BRIDGED_MS;
        const transfer = new WarmTransfer(
          {
            credentials: options.credentials,
            api: options.api,
            caller: { room: options.room, identity: options.callerIdentity },
            hold,
            authorise,
            sayToCaller: (text) => withSession((session) => session.say(text)),
            readyCaller: () => {
              if (!sessionStarted && options.room.remoteParticipants.has(options.callerIdentity)) void startCallerSession();
            },
            willRetry,
            models: options.models,
            ringingTimeoutMs: settings.warmTransfer.ringingTimeoutMs,
            decisionTimeoutMs: settings.warmTransfer.decisionTimeoutMs,
            deadlineAt,
            maxBridgedMs,
            ...(options.onTimeline ? { onTimeline: options.onTimeline } : {}),
            transferId: record.id,
            // Every transition goes to the record (where the caller is held, the hold writes itself).
            onRecord: (patch) => record.update({ ...patch, index }),
          },
          {
            destination,
            reason,
            transcript: transcriptOf(session.history),
            fromNumber: resumeFrom?.stored.request?.fromNumber ?? fromNumber(),
            brief,
            ...(known !== undefined ? { known } : {}),
            ...(resumeFrom
              ? {
                  resume: {
                    phase: resumeFrom.phase,
                    consultationRoom: resumeFrom.stored.consultationRoom ?? `wt-${randomUUID()}`,
                    renewedAt: resumeFrom.stored.renewedAt,
                    resumes: resumeFrom.stored.resumes,
                    ...(resumeFrom.stored.summary ? { summary: resumeFrom.stored.summary } : {}),
                    bridgedByServer: resumeFrom.stored.topology === 'move' && resumeFrom.phase.kind === 'bridged',
                    ...(resumeFrom.early ? { early: resumeFrom.early } : {}),
                  },
                }
              : {}),
          },
        );
        void record.update({ index, consultationRoom: transfer.consultationRoomName, phase: transfer.machine.phase });
        return transfer;
      },
    });
    const carried = options.carry?.(record.id);
    // A transfer carried on by this job (takeover) keeps its place among the organization's, whatever the count.
    if (from && options.limits && options.organizationId && options.limits.perOrganization !== undefined && !slots.has(record.id)) {
      const slot = await options.limits.takeForOrganization(options.organizationId, record.id, true).catch(() => undefined);
      if (slot) slots.set(record.id, slot);
    }
    const lease = { release: () => Promise.all([carried?.release(), freeSlot(record.id)]) };
    openTransfers += 1;
    let result;
    try {
      result = await transfers.run();
    } catch (error) {
      log().error({ ...errorFields(error, { stack: true }), transfer: record.id }, 'warm transfer failed');
      await Promise.all([lease?.release(), record.close('ended')]).finally(() => (openTransfers -= 1));
      throw error;
    }
    const { bridged } = result;
    if (bridged) {
      // The agent drops out: it no longer listens, speaks or calls tools. Closing waits for this tool to
      // return, so it is not awaited here. (A session never started is simply never started.)
      if (sessionStarted || starting) withSession((session) => session.close());
      void bridged.done.then(async () => {
        await hold.close().finally(() => Promise.all([lease?.release(), record.close('handed_off')])).finally(() => (openTransfers -= 1));
        options.onCallHandedOff();
      });
    } else {
      await Promise.all([lease?.release(), record.close('ended')]).finally(() => (openTransfers -= 1));
    }
    return { outcome: result.outcome, label: result.label };
  }

  function muteAgent(muted: boolean) {
    if (!sessionStarted) {
      wantMuted = muted; // applied once it starts; a session not started hears and says nothing anyway
      return;
    }
    const session = options.session();
    try {
      session.input.setAudioEnabled(!muted);
      session.output.setAudioEnabled(!muted);
    } catch (error) {
      // A taken-over transfer whose caller had already gone has no running session to mute.
      log().debug({ error }, 'the caller agent could not be muted');
    }
  }

  const warmTransfer = llm.tool({
    description:
      'Warm-transfer the caller to a person named in your Warm Transfer Rules: the caller is put on hold, the ' +
      'person is briefed privately and connected only if they accept. Use it only when a rule says so, with a ' +
      'destination exactly as the rule writes it. Never for destinations the rules do not name.',
    parameters: z.object({
      destination: z.string().describe('The destination as written in the rule, e.g. ext:1002 or +15125551234'),
      reason: z.string().describe('One or two sentences for the person: who is calling and what they need.'),
      caller_confirmed: z.boolean().describe('True only if the caller said yes to being transferred.'),
    }),
    execute: async ({ destination, reason, caller_confirmed }) => {
      const planned = planFor(settings.warmTransfer.plan, destination);
      if (!planned) {
        log().warn({ 'lk.pii.destination': destination }, 'refused a transfer to a destination the rules do not allow');
        throw new llm.ToolError(`I can't transfer calls to ${destination}. Only the destinations in my rules are possible.`);
      }
      if (planned.confirmFirst && !(caller_confirmed && callerAgreed(options.session().history))) {
        throw new llm.ToolError(
          'This rule asks you to confirm with the caller first. Ask them whether they want to be transferred, and call again with caller_confirmed true only after they say yes.',
        );
      }
      const opened = await begin(planned.chain, { reason, brief: true });
      if (!opened.ok) {
        log().info({ reason: opened.reason }, 'warm transfer request refused');
        throw new llm.ToolError(opened.reason === 'call_limit' ? callLimitForModel(options.limits!.perCall) : REFUSED[opened.reason]);
      }
      const { outcome, label } = await run(opened.record, planned.chain, reason, true);
      return toolResult(outcome, label);
    },
  });

  /**
   * A caller's key press with a keypad rule: an ordinary transfer (no briefing) or a screened one. Ignored
   * during a transfer and once the caller is connected to someone (their keys then go to that call).
   */
  async function keypadTransfer(digit: string): Promise<TransferOutcome | undefined> {
    const rule = settings.keypad.get(digit);
    if (!rule) return undefined;
    const warm = rule.warm && settings.organization.warmTransferAvailable;
    const opened = await begin(rule.destinations, { reason: `The caller pressed ${digit} on the menu.`, brief: warm });
    if (!opened.ok) {
      // No model to explain a limit: the agent says it.
      const { reason } = opened;
      if (reason === 'call_limit' || reason === 'organization_limit') withSession((session) => session.say(limitForCaller(reason)));
      return undefined;
    }
    // Keys pressed just as a taken-over transfer ended: the agent announces this transfer, so it must be up.
    if (!sessionStarted) await startCallerSession();
    try {
      // An organization without warm transfer still gets the rule's destinations, unscreened.
      if (rule.warm && settings.organization.warmTransferAvailable) return await screened(opened.record, digit, rule);
      if (settings.trunks.inboundAcceptsRefer && (await referred(rule.destinations[0]!, digit, opened.record.id))) {
        await Promise.all([opened.record.close('handed_off'), freeSlot(opened.record.id)]);
        options.onCallHandedOff();
        return 'accepted';
      }
      const { outcome } = await run(opened.record, rule.destinations, `The caller pressed ${digit} on the menu.`, false);
      return outcome;
    } catch (error) {
      // run() has taken the caller off hold; no model is there to explain, so the agent says it.
      log().error({ ...errorFields(error, { stack: true }), digit, transfer: opened.record.id }, 'keypad transfer failed');
      await Promise.all([opened.record.close('ended'), freeSlot(opened.record.id)]);
      void options.session().say(callerMessage('dial_failed'));
      return 'dial_failed';
    }
  }

  /**
   * A screened keypad transfer: the caller hears that the agent is checking, then holds while the destination
   * is briefed with what is known without a model (and the conversation's summary when there is a model).
   */
  async function screened(record: TransferRecordHandle, digit: string, rule: KeypadRule): Promise<TransferOutcome> {
    const session = options.session();
    // Heard in full before the music starts; bounded, so a stuck playout cannot keep the caller waiting.
    const said = session.say(keypadHoldMessage({ label: rule.label }), { allowInterruptions: false });
    await Promise.race([said.waitForPlayout(), new Promise((resolve) => setTimeout(resolve, ANNOUNCE_MAX_MS))]);
    // Nobody to transfer: the caller hung up during the announcement (no transfer watches them yet).
    if (!options.room.remoteParticipants.has(options.callerIdentity)) {
      await Promise.all([record.close('ended'), freeSlot(record.id)]);
      return 'caller_hung_up';
    }
    const known = keypadBriefing({
      digit,
      label: rule.label,
      callerNumber: settings.warmTransfer.passThroughCallerNumber ? options.callerNumber : undefined,
      shownNumber: settings.agentPhoneNumber,
      onLineMs: Date.now() - callStartedAtMs,
    });
    void record.update({ request: withFromNumber({ reason: known, brief: true, known }) });
    const { outcome } = await run(record, rule.destinations, known, true, known);
    return outcome;
  }

  /**
   * Hands the caller to the trunk by SIP REFER; true once the trunk has connected them. The agent is silent
   * meanwhile (the caller hears ringback); on any failure it is heard again and false lets the caller be
   * connected by dialling instead.
   */
  async function referred(destination: Destination, digit: string, transferId: string): Promise<boolean> {
    const timeline = new TransferTimeline({ transferId });
    if (options.onTimeline) timeline.on('event', options.onTimeline);
    const where = destinationFields(destination);
    timeline.record('started', { kind: 'keypad', key: digit, method: 'refer', ...where });
    // A REFER names a destination too: the same check as a dial, before the trunk is asked.
    const authorised = await authorise(destination);
    if (!authorised.ok) {
      const { refusal, why } = authorised;
      timeline.record('refused', { refusal, why, 'lk.pii.destination': storedDestination(destination), ...(authorised.address ? { 'lk.pii.address': authorised.address } : {}) });
      timeline.record('ended', { outcome: 'refer_failed', method: 'refer', next: 'dial' });
      return false;
    }
    muteAgent(true);
    timeline.record('referring', where);
    const result = await referCaller(options.refer ?? sipReferApi(options.credentials), {
      dial: authorised.dial,
      room: options.room.name!,
      callerIdentity: options.callerIdentity,
      pbxTrunkId: settings.trunks.pbxOutboundTrunkId,
      ringingTimeoutMs: settings.warmTransfer.ringingTimeoutMs,
    });
    if (result.ok) {
      timeline.record('referred', pii({ referTo: result.referTo }));
      timeline.record('ended', { outcome: 'accepted', method: 'refer' });
      // The trunk has the caller now and livekit-sip ends our leg: the agent's part is over.
      void options.session().close();
      return true;
    }
    const failure = sipFailureFields(result);
    timeline.record('refer_failed', { ...pii({ referTo: result.referTo }), ...failure });
    log().warn({ ...where, ...failure }, 'SIP REFER failed: connecting the caller by dialling instead');
    timeline.record('ended', { outcome: 'refer_failed', method: 'refer', next: 'dial' });
    muteAgent(false);
    return false;
  }

  return {
    warmTransfer, keypadTransfer, resume,
    /** Whether a transfer is running: it then deals with a caller who hangs up (tells the person, ends the bridge). */
    transferring: () => openTransfers > 0,
  };
}
