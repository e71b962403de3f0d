// The job: runs once per call, in its own process. Joins the caller's room, greets the caller, and gives
// the conversation the tools this agent's settings allow: warm_transfer, take_message, keypad transfers.
import { type JobContext, type JobProcess, defineAgent, log, voice, type VAD } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { type RemoteParticipant, RoomEvent } from '@livekit/rtc-node';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { callerInstructions } from '../prompts/caller.ts';
import { agentIdFromMetadata, resolveSettings } from './call-settings/files.ts';
import { loadConfig, type WorkerConfig } from './config.ts';
import { briefingIntro } from '../prompts/briefing.ts';
import { Phrases } from './conversation/speech/phrases.ts';
import { proposalsFromEnv, withProposals } from '../settings/rules/model-compile.ts';
import { takeMessageTool } from './conversation/messages.ts';
import { createModels, SESSION_INPUT_RATE } from './conversation/models.ts';
import { errorFields } from '../core/pii.ts';
import type { Redis } from 'ioredis';
import { apologiseAndEnd } from './conversation/call-apology.ts';
import { carry, WORKER_KEY_ENV } from './capacity/carrying.ts';
import { connectRedis } from './redis.ts';
import { warmTransferEnabled, type AgentSettings, type SettingsSet } from '../settings/settings.ts';
import { StoreSettingsSource } from './call-settings/store.ts';
import { type HoldMusic, loadHoldMusicShared } from './transfer/hold/music.ts';
import { TransferLimits } from './capacity/transfer-limits.ts';
import { TransferRecordStore } from './transfer/record/store.ts';
import { quietly, roomServiceApi } from './livekit/room-api.ts';
import { bounded } from '../core/bounded.ts';
import { RECORD_WRITE_TIMEOUT_MS } from './transfer/record/handle.ts';
import { bringCallerHome } from './takeover/bring-home.ts';
import { redisTopologyMemory } from './transfer/hold/choose-topology.ts';
import { rejoinEarly } from './takeover/early-rejoin.ts';
import { DESTINATION_IDENTITY, joinAsWorker } from './transfer/attempt.ts';
import type { TimelineEntry } from './transfer/timeline.ts';
import { transferTools } from './transfer/tools/tool.ts';
import { resumeOrderFromMetadata } from './takeover/watcher.ts';

/** How long a taken-over call's job looks for the caller in their room before carrying on without them. */
const CALLER_LOOKUP_MS = 1500;

/** `identity` in `room`, if they are there or join within `ms`. */
async function participantWithin(room: JobContext['room'], identity: string, ms: number): Promise<RemoteParticipant | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const found = room.remoteParticipants.get(identity);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return room.remoteParticipants.get(identity);
}

/**
 * The greetings and the briefing's introduction, synthesised while the process waits for a call. Only for the
 * embedded voice: an OpenAI voice would cost a request for every process started, used or not.
 */
async function preparePhrases(config: WorkerConfig, vad: VAD, greetings: Iterable<string | undefined>): Promise<Phrases | undefined> {
  if (config.tts !== 'espeak') return undefined;
  const phrases = new Phrases(createModels(config, vad).tts);
  await phrases.prepare([config.greeting, ...[...greetings].filter((g): g is string => g !== undefined), briefingIntro()]);
  return phrases;
}

type Prepared = (
  | {
      settings: SettingsSet;
      /** Hold music by file ('' for the built-in), decoded once per file (loadHoldMusicShared). */
      music: Map<string, HoldMusic>;
      vad: VAD;
    }
  | { store: StoreSettingsSource; vad: VAD }
) & {
  /** This process's Redis client (REDIS_URL), shared by the calls it runs. */
  redis: Redis;
  phrases: Phrases | undefined;
};

/** This call's settings and music: from the files read at start-up, or from the store as they are now. */
async function callSettings(
  prepared: Prepared, agentId: string | undefined, fallbackId: string,
): Promise<{ settings: AgentSettings; music: HoldMusic; organizationId?: string }> {
  if ('store' in prepared) return prepared.store.forCall(agentId ?? fallbackId);
  const settings = prepared.settings.forAgent(agentId);
  return { settings, music: prepared.music.get(settings.warmTransfer.holdMusic ?? '')! };
}

export default defineAgent({
  prewarm: async (proc: JobProcess) => {
    const config = loadConfig();
    if (config.settingsStore) {
      // A call with the store reads its agent when it starts; nothing is decoded ahead but the built-in music.
      const redis = connectRedis(config.redisUrl);
      const store = await StoreSettingsSource.open(config.settingsStore.url, config.settingsStore.prefix, loadHoldMusicShared(redis));
      const vad = await silero.VAD.load();
      proc.userData.prepared = { store, redis, vad, phrases: await preparePhrases(config, vad, []) } satisfies Prepared;
      return;
    }
    // The plans the main process accepted from the model, checked again here; else the parser's.
    const settings = withProposals(await resolveSettings(config), proposalsFromEnv());
    const redis = connectRedis(config.redisUrl);
    const music = new Map<string, HoldMusic>();
    for (const agent of settings.agents.values()) {
      const file = agent.warmTransfer.holdMusic ?? '';
      if (!music.has(file)) music.set(file, await loadHoldMusicShared(redis, file || undefined));
    }
    const vad = await silero.VAD.load();
    const phrases = await preparePhrases(config, vad, [...settings.agents.values()].map((agent) => agent.greeting));
    const prepared: Prepared = { settings, redis, music, vad, phrases };
    proc.userData.prepared = prepared;
  },
  entry: async (ctx: JobContext) => {
    // How late this process's event loop ran during the call (the audio, the sessions and the relay all wait
    // on it), logged once at the end for operators and the benchmark.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const jobStarted = Date.now();
    ctx.addShutdownCallback(async () => {
      loopDelay.disable();
      const ms = (ns: number) => Math.round(ns / 1e5) / 10;
      console.log(JSON.stringify({
        event: 'event_loop_delay', pid: process.pid, seconds: Math.round((Date.now() - jobStarted) / 1000),
        p50Ms: ms(loopDelay.percentile(50)), p99Ms: ms(loopDelay.percentile(99)), maxMs: ms(loopDelay.max),
      }));
    });
    const config = loadConfig();
    const prepared = ctx.proc.userData.prepared as Prepared;
    const { vad, redis } = prepared;
    const models = { ...createModels(config, vad), ...(prepared.phrases ? { phrases: prepared.phrases } : {}) };
    const api = roomServiceApi(config.livekit);
    // A snapshot: a change made during this call applies from the next one. (The store's reads are bounded.)
    let call: Awaited<ReturnType<typeof callSettings>>;
    try {
      call = await callSettings(prepared, agentIdFromMetadata(ctx.job.metadata), config.agentName);
    } catch (error) {
      // A job sent to carry a transfer on fails instead: its watcher sends another when the handover lease runs
      // out, and ending the call here would drop the person being briefed too.
      if (resumeOrderFromMetadata(ctx.job.metadata)) throw error;
      log().error({ ...errorFields(error), agentId: agentIdFromMetadata(ctx.job.metadata) }, 'no settings for this call: the caller hears an apology');
      await apologiseAndEnd(ctx, models, prepared.phrases, api);
      return;
    }
    const { settings, music } = call;
    const store = 'store' in prepared ? prepared.store : undefined;
    const workerKey = process.env[WORKER_KEY_ENV];
    const records = new TransferRecordStore({ redis });
    // Takeover: this job was dispatched to carry on a transfer whose job died (takeover.ts).
    const order = resumeOrderFromMetadata(ctx.job.metadata);
    const stored = order ? await bounded(records.read(order.id), RECORD_WRITE_TIMEOUT_MS, 'reading the transfer record').catch(() => undefined) : undefined;
    if (order && stored?.fence !== order.fence) {
      log().info({ transfer: order.id }, 'takeover: the transfer has ended or was claimed again; nothing to carry on');
      ctx.shutdown('nothing to resume');
      return;
    }
    // Someone left mid-briefing by the dead job hears an apology before this job has even connected to the
    // caller's room (that, finding the caller and starting sessions takes seconds on a busy machine).
    const early = order?.mode === 'resume' && stored?.phase.kind === 'briefing' && stored.consultationRoom && stored.request?.brief !== false
      ? rejoinEarly({ join: () => joinAsWorker(config.livekit, stored.consultationRoom!), personIdentity: DESTINATION_IDENTITY, tts: models.tts })
      : undefined;
    await ctx.connect();
    // The record alone says where the caller may be: a hold room is written before the caller is moved into it.
    if (stored?.holdRoom) {
      const where = await bringCallerHome(
        api, { holdRoom: stored.holdRoom, callerIdentity: stored.callerIdentity, bridged: stored.phase.kind === 'bridged' }, ctx.room.name!,
      );
      if (where === 'stuck') {
        // Still in the old hold room, whose music died with its job: ending their leg (deleting that room) is
        // better than leaving them in silence. The resumed transfer then finds no caller, tells the destination
        // and lets them go.
        log().error({ transfer: order!.id, holdRoom: stored.holdRoom }, 'takeover: the caller could not be moved back from the hold room; ending their call');
        await quietly(api.deleteRoom(stored.holdRoom!));
      }
    }
    // A taken-over call's caller may have hung up while nobody attended: the transfer goes on for the destination.
    const caller = stored ? await participantWithin(ctx.room, stored.callerIdentity, CALLER_LOOKUP_MS) : await ctx.waitForParticipant();
    const callerIdentity = caller?.identity ?? stored!.callerIdentity;
    const callerNumber = caller?.attributes['sip.phoneNumber'];
    const session = new voice.AgentSession({
      vad: models.vad,
      tts: models.tts,
      ...(models.stt ? { stt: models.stt } : {}),
      ...(models.llm ? { llm: models.llm } : {}),
    });

    // A taken-over job does not start the caller's agent before carrying the transfer on (that takes a second
    // or more on a busy machine): transferTools starts it when the caller is to hear the agent again.
    const startSession = () => session.start({ agent, room: ctx.room, inputOptions: { participantIdentity: callerIdentity, audioSampleRate: SESSION_INPUT_RATE } });

    const transfersOffered = warmTransferEnabled(settings) && models.llm !== undefined;
    if (!settings.organization.warmTransferAvailable) log().info({ agentId: settings.agentId }, 'warm transfer is not available to this organization');
    else if (settings.warmTransfer.enabled && !models.llm) log().warn('warm transfer needs a language model (OPENAI_API_KEY): not offered');
    const transfers = transferTools({
      credentials: config.livekit,
      api,
      room: ctx.room,
      callerIdentity,
      callerNumber,
      session: () => session,
      ...(order && caller ? { startSession } : {}),
      models,
      music,
      settings,
      topology: config.transfer.topology,
      topologyMemory: redisTopologyMemory(redis),
      sipHosts: config.sipHosts,
      ...(config.transfer.fault ? { fault: config.transfer.fault } : {}),
      deadlineMs: config.transfer.deadlineMs,
      ...(store ? { onTimeline: (entry: TimelineEntry) => store.publishTimeline(settings.agentId, entry) } : {}),
      maxBridgedMs: config.transfer.maxBridgedMs,
      // Open transfers and bridged calls count toward the worker's load, read by its main process.
      records,
      // Another job took this one's transfer over (it was taken for dead): stop at once, or both would act.
      onFenced: () => {
        log().error('transfer taken over by another job: this job stops');
        process.exit(0);
      },
      ...(workerKey ? { carry: (id: string) => carry({ redis, workerKey }, id) } : {}),
      // Transfers per call; per organization when the settings come from the store (its organizations).
      limits: new TransferLimits({ redis, perCall: config.transfer.maxPerCall, perOrganization: store ? config.transfer.maxPerOrganization : undefined }),
      ...(call.organizationId ? { organizationId: call.organizationId } : {}),
      onCallHandedOff: () => void quietly(api.deleteRoom(ctx.room.name!)).then(() => ctx.shutdown('call handed off')),
    });
    // With the store, messages go to its stream only: a file named in a stored agent is a tenant's choice of
    // path on this machine, never written (files come from the operator's own settings and MESSAGES_FILE).
    const messagesFile = store ? undefined : (settings.messagesFile ?? config.messagesFile);
    const agent = new voice.Agent({
      instructions: callerInstructions({
        instructions: stored
          ? `${settings.instructions ?? ''}\nEarlier in this call you put the caller on hold for a warm transfer; the connection dropped and another assistant carried the transfer on. Do not greet the caller again.`.trim()
          : settings.instructions,
        rules: transfersOffered ? settings.warmTransfer.rulesText : undefined,
        canTakeMessage: models.llm !== undefined,
      }),
      tools: {
        ...(transfersOffered ? { warm_transfer: transfers.warmTransfer } : {}),
        ...(models.llm
          ? { take_message: takeMessageTool({
              file: messagesFile,
              ...(store ? { publish: (message) => store.publishMessage(message) } : {}),
              agentId: settings.agentId,
              callerNumber,
              roomName: ctx.room.name,
            }) }
          : {}),
      },
    });

    // A caller who hangs up ends this job at once, so the worker's place for the call is free again
    // (admission.ts) rather than when the server closes the empty room, about 20 s later. A running transfer
    // deals with the hang-up itself (it tells the person, or ends the bridged call) and ends the job when done;
    // a caller only moved out of this room by one (Cloud) is back here, or bridged elsewhere, when it ends.
    ctx.room.on(RoomEvent.ParticipantDisconnected, (participant: RemoteParticipant) => {
      if (participant.identity !== callerIdentity) return;
      void (async () => {
        while (transfers.transferring()) await new Promise((resolve) => setTimeout(resolve, 250));
        if (!ctx.room.remoteParticipants.has(callerIdentity)) ctx.shutdown('caller hung up');
      })();
    });

    // Keypad rules: "press 1 for sales" starts an ordinary transfer; other keys are ignored.
    if (settings.keypad.size > 0) {
      ctx.room.on(RoomEvent.DtmfReceived, (_code: number, digit: string, participant: RemoteParticipant) => {
        if (participant.identity !== callerIdentity) return;
        // A failed transfer has already taken the caller off hold; it must not take the job down with it.
        transfers.keypadTransfer(digit).catch((error: unknown) => log().error(errorFields(error, { stack: true }), 'keypad transfer failed'));
      });
    }
    if (order) {
      const outcome = await transfers.resume(order, early).catch((error: unknown) => {
        log().error({ ...errorFields(error, { stack: true }), transfer: order.id }, 'takeover: carrying the transfer on failed');
        return undefined;
      });
      await early?.release();
      // Without a caller there is nobody left to talk to once the destination has been let go.
      // The room goes too: the dead job's participant would otherwise keep it open until the server drops it.
      if ((!caller || !ctx.room.remoteParticipants.has(callerIdentity)) && outcome !== 'accepted') {
        await quietly(api.deleteRoom(ctx.room.name!));
        ctx.shutdown('caller gone');
      }
      return;
    }
    await session.start({ agent, room: ctx.room, inputOptions: { participantIdentity: callerIdentity, audioSampleRate: SESSION_INPUT_RATE } });
    // Without a model nobody answers what the caller says, so their voice must not cut the greeting (and
    // its "press 1 for ...") short.
    const greeting = settings.greeting ?? config.greeting;
    session.say(greeting, { allowInterruptions: models.llm !== undefined, ...models.phrases?.audioFor(greeting) });
  },
});
