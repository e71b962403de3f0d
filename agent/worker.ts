// The job: runs once per call, in its own process. Joins the caller's room, greets the caller, and gives
// the conversation the tools this agent's settings allow: warm_transfer, take_message, keypad transfers.
import { type JobContext, type JobProcess, defineAgent, log, voice, type VAD } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { type RemoteParticipant, RoomEvent } from '@livekit/rtc-node';
import { callerInstructions } from '../prompts/caller.ts';
import { agentIdFromMetadata, resolveSettings } from './agent-settings.ts';
import { loadConfig } from './config.ts';
import { takeMessageTool } from './messages.ts';
import { createModels } from './models.ts';
import { carry, WORKER_KEY_ENV } from './carrying.ts';
import { connectRedis } from './redis.ts';
import type { Redis } from 'ioredis';
import { warmTransferEnabled, type SettingsSet } from './settings/settings.ts';
import { HoldMusic } from './transfer/hold-music.ts';
import { quietly, roomServiceApi } from './transfer/room-api.ts';
import { TransferRecordStore } from './transfer/record-store.ts';
import { transferTools } from './transfer/tool.ts';

interface Prepared {
  settings: SettingsSet;
  /** This process's Redis client (REDIS_URL), shared by the calls it runs. */
  redis: Redis;
  /** Hold music by file ('' for the built-in), decoded once per process. */
  music: Map<string, HoldMusic>;
  vad: VAD;
}

export default defineAgent({
  prewarm: async (proc: JobProcess) => {
    const config = loadConfig();
    const settings = await resolveSettings(config);
    const music = new Map<string, HoldMusic>();
    for (const agent of settings.agents.values()) {
      const file = agent.warmTransfer.holdMusic ?? '';
      if (!music.has(file)) music.set(file, await HoldMusic.load(file || undefined));
    }
    const prepared: Prepared = { settings, redis: connectRedis(config.redisUrl), music, vad: await silero.VAD.load() };
    proc.userData.prepared = prepared;
  },
  entry: async (ctx: JobContext) => {
    const config = loadConfig();
    const { settings: settingsSet, redis, music, vad } = ctx.proc.userData.prepared as Prepared;
    const workerKey = process.env[WORKER_KEY_ENV];
    const settings = settingsSet.forAgent(agentIdFromMetadata(ctx.job.metadata));
    const models = createModels(config, vad);
    await ctx.connect();
    const caller = await ctx.waitForParticipant();
    const callerNumber = caller.attributes['sip.phoneNumber'];
    const session = new voice.AgentSession({
      vad: models.vad,
      tts: models.tts,
      ...(models.stt ? { stt: models.stt } : {}),
      ...(models.llm ? { llm: models.llm } : {}),
    });

    const transfersOffered = warmTransferEnabled(settings) && models.llm !== undefined;
    if (!settings.organization.warmTransferAvailable) log().info({ agentId: settings.agentId }, 'warm transfer is not available to this organization');
    else if (settings.warmTransfer.enabled && !models.llm) log().warn('warm transfer needs a language model (OPENAI_API_KEY): not offered');
    const api = roomServiceApi(config.livekit);
    const transfers = transferTools({
      credentials: config.livekit,
      api,
      room: ctx.room,
      callerIdentity: caller.identity,
      callerNumber,
      session: () => session,
      models,
      music: music.get(settings.warmTransfer.holdMusic ?? '')!,
      settings,
      topology: config.transfer.topology,
      deadlineMs: config.transfer.deadlineMs,
      maxBridgedMs: config.transfer.maxBridgedMs,
      // Open transfers and bridged calls count toward the worker's load, read by its main process.
      records: new TransferRecordStore({ redis }),
      ...(workerKey ? { carry: (id: string) => carry({ redis, workerKey }, id) } : {}),
      onCallHandedOff: () => void quietly(api.deleteRoom(ctx.room.name!)).then(() => ctx.shutdown('call handed off')),
    });
    const messagesFile = settings.messagesFile ?? config.messagesFile;
    const agent = new voice.Agent({
      instructions: callerInstructions({
        instructions: settings.instructions,
        rules: transfersOffered ? settings.warmTransfer.rulesText : undefined,
        canTakeMessage: models.llm !== undefined,
      }),
      tools: {
        ...(transfersOffered ? { warm_transfer: transfers.warmTransfer } : {}),
        ...(models.llm
          ? { take_message: takeMessageTool({ file: messagesFile, agentId: settings.agentId, callerNumber, roomName: ctx.room.name }) }
          : {}),
      },
    });

    // Keypad rules: "press 1 for sales" starts an ordinary transfer; other keys are ignored.
    if (settings.keypad.size > 0) {
      ctx.room.on(RoomEvent.DtmfReceived, (_code: number, digit: string, participant: RemoteParticipant) => {
        if (participant.identity !== caller.identity) return;
        // A failed transfer has already taken the caller off hold; it must not take the job down with it.
        transfers.keypadTransfer(digit).catch((error: unknown) => log().error({ error }, 'keypad transfer failed'));
      });
    }
    await session.start({ agent, room: ctx.room, inputOptions: { participantIdentity: caller.identity } });
    session.say(settings.greeting ?? config.greeting);
  },
});
