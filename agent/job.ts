// The job: runs once per call, in its own process. Joins the caller's room, greets the caller, and gives
// the conversation the tools this agent's settings allow: warm_transfer, take_message, keypad transfers.
// A job dispatched to carry on a transfer whose job died takes it over instead (takeover/resume.ts).
// Wiring only: each part lives in the folder named for its concern.
import { type JobContext, type JobProcess, defineAgent, log } from '@livekit/agents';
import { errorFields } from '../core/pii.ts';
import { agentIdFromMetadata } from './call-settings/files.ts';
import { type Prepared, prepareJobProcess, settingsForCall, settingsStoreOf, type SettingsForCall } from './call-settings/prepared.ts';
import { carry } from './capacity/carrying.ts';
import { measureLoopDelay } from './capacity/loop-delay.ts';
import { TransferLimits } from './capacity/transfer-limits.ts';
import { loadConfig } from './config.ts';
import { apologiseAndEnd } from './conversation/call-apology.ts';
import { callerAgent, callerSession, greet, startCallerSession, transfersOffered } from './conversation/caller-agent.ts';
import { endWhenCallerHangsUp } from './conversation/caller-hang-up.ts';
import { createModels } from './conversation/models.ts';
import { quietly, roomServiceApi } from './livekit/room-api.ts';
import { resumeOrderFromMetadata, Takeover } from './takeover/resume.ts';
import { joinAsWorker } from './livekit/join.ts';
import { jobMetrics } from './metrics/job.ts';
import { callTransfers } from './transfer/call-transfers.ts';
import { redisTopologyMemory } from './transfer/hold/choose-topology.ts';
import { TransferRecordStore } from './transfer/record/store.ts';
import type { TimelineEntry } from './transfer/timeline.ts';
import { listenForKeys } from './transfer/tools/keypad.ts';
import { continuedFromMetadata } from './takeover/continue.ts';

export default defineAgent({
  prewarm: async (proc: JobProcess) => {
    proc.userData.prepared = await prepareJobProcess(loadConfig());
  },
  entry: async (ctx: JobContext) => {
    measureLoopDelay((report) => ctx.addShutdownCallback(report));
    const prepared = ctx.proc.userData.prepared as Prepared;
    const { config, vad, briefingVad, redis } = prepared;
    const metrics = jobMetrics(config, redis);
    const models = { ...createModels(config, vad, briefingVad), ...(prepared.phrases ? { phrases: prepared.phrases } : {}) };
    const api = roomServiceApi(config.livekit);
    const metadata = ctx.job.metadata;
    let call: SettingsForCall;
    try {
      call = await settingsForCall(prepared, agentIdFromMetadata(metadata));
    } catch (error) {
      // A job sent to carry a transfer on fails instead: its watcher sends another when the handover lease runs
      // out, and ending the call here would drop the person being briefed too.
      if (resumeOrderFromMetadata(metadata)) throw error;
      log().error({ ...errorFields(error), agentId: agentIdFromMetadata(metadata) }, 'no settings for this call: the caller hears an apology');
      metrics?.send({ metric: 'call_refused', reason: 'no_settings' });
      await apologiseAndEnd(ctx, models, prepared.phrases, api);
      return;
    }
    const { settings, music } = call;
    const store = settingsStoreOf(prepared);
    const records = new TransferRecordStore({ redis });
    const takeover = await Takeover.begin(metadata, records, { join: (room) => joinAsWorker(config.livekit, room), tts: models.tts });
    if (takeover === 'over') {
      ctx.shutdown('nothing to resume');
      return;
    }
    await ctx.connect();
    await takeover?.bringCallerHome(api, ctx.room.name!);
    // A taken-over call's caller may have hung up while nobody attended: the transfer goes on for the destination.
    const caller = takeover ? await takeover.findCaller(ctx.room) : await ctx.waitForParticipant();
    const callerIdentity = caller?.identity ?? takeover!.stored.callerIdentity;
    const callerNumber = caller?.attributes['sip.phoneNumber'];
    const endCall = async (why: string) => {
      await quietly(api.deleteRoom(ctx.room.name!));
      ctx.shutdown(why);
    };
    const session = callerSession(models);
    const transfers = callTransfers({
      credentials: config.livekit,
      api,
      room: ctx.room,
      callerIdentity,
      callerNumber,
      session: () => session,
      // A taken-over job does not start the caller's agent before carrying the transfer on (that takes a second
      // or more on a busy machine): it is started when the caller is to hear the agent again.
      ...(takeover && caller ? { startSession: () => startCallerSession(session, agent, ctx.room, callerIdentity) } : {}),
      models,
      music,
      settings,
      topology: config.transfer.topology,
      topologyMemory: redisTopologyMemory(redis),
      sipHosts: config.sipHosts,
      ...(config.transfer.fault ? { fault: config.transfer.fault } : {}),
      deadlineMs: config.transfer.deadlineMs,
      // Each timeline entry goes to the agent's stream in the store (when settings come from it) and the metrics.
      onTimeline: (entry: TimelineEntry) => {
        store?.publishTimeline(settings.agentId, entry);
        metrics?.timeline(settings.agentId, entry);
      },
      maxBridgedMs: config.transfer.maxBridgedMs,
      records,
      owner: `${config.workerKey ?? 'worker'}/${process.pid}`,
      // Another job took this one's transfer over (it was taken for dead): stop at once, or both would act.
      onFenced: () => {
        log().error('transfer taken over by another job: this job stops');
        process.exit(0);
      },
      // Open transfers and bridged calls count toward the worker's load, read by its main process.
      ...(config.workerKey ? { carry: (id: string) => carry({ redis, workerKey: config.workerKey! }, id) } : {}),
      // Transfers per call; per organization when the settings come from the store (its organizations).
      limits: new TransferLimits({ redis, perCall: config.transfer.maxPerCall, perOrganization: store ? config.transfer.maxPerOrganization : undefined }),
      ...(call.organizationId ? { organizationId: call.organizationId } : {}),
      onCallHandedOff: () => void endCall('call handed off'),
      // The worker's keeper carries bridged calls on, so this process ends once its call is bridged.
      ...(config.transfer.keeperCarries.length > 0
        ? {
            keeper: {
              carries: (kind: 'bridge' | 'move') => config.transfer.keeperCarries.includes(kind),
              handedOver: () => ctx.shutdown('bridged call handed to the keeper'),
            },
          }
        : {}),
    });
    const agent = callerAgent({
      settings,
      models,
      warmTransfer: transfersOffered(settings, models) ? transfers.warmTransfer : undefined,
      messages: {
        // With the store, messages go to its stream only: a file named in a stored agent is a tenant's choice of
        // path on this machine, never written (files come from the operator's own settings and MESSAGES_FILE).
        file: store ? undefined : (settings.messagesFile ?? config.messagesFile),
        ...(store ? { publish: (message) => store.publishMessage(message) } : {}),
        agentId: settings.agentId,
        callerNumber,
        roomName: ctx.room.name,
      },
      takenOver: takeover !== undefined,
    });
    // The call is over for everyone once the caller has gone: the room goes with them, rather than idling on the
    // server for its departure timeout (20 s by default) with whatever is still in it.
    endWhenCallerHangsUp(ctx.room, callerIdentity, transfers.transferring, () => void endCall('caller hung up'));
    if (settings.keypad.size > 0) listenForKeys(ctx.room, callerIdentity, transfers.keypadTransfer);
    if (takeover) {
      await takeover.carryOn(transfers.resume, () => caller !== undefined && ctx.room.remoteParticipants.has(callerIdentity), endCall);
      return;
    }
    await startCallerSession(session, agent, ctx.room, callerIdentity);
    // A call continued from a worker that stopped (takeover/continue.ts) is under way: no greeting.
    if (!continuedFromMetadata(metadata)) greet(session, settings.greeting ?? config.greeting, models);
  },
});
