// The job: runs once per call, in its own process. Joins the caller's room, greets the caller, and
// gives the conversation a warm_transfer tool when this agent may transfer.
import { type JobContext, type JobProcess, defineAgent, log, voice, type VAD } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { callerInstructions } from '../prompts/caller.ts';
import { loadConfig, type WorkerConfig } from './config.ts';
import { createModels, type Models } from './models.ts';
import type { DialTarget } from './transfer/dial.ts';
import { HoldMusic } from './transfer/hold-music.ts';
import { quietly, roomServiceApi } from './transfer/room-api.ts';
import { warmTransferTool } from './transfer/tool.ts';
import { probeTopology } from './transfer/topology.ts';

export default defineAgent({
  prewarm: async (proc: JobProcess) => {
    const config = loadConfig();
    proc.userData.vad = await silero.VAD.load();
    // Decoded ahead so that "please hold" is music within a few hundred milliseconds.
    proc.userData.holdMusic = await HoldMusic.load(config.transfer.holdMusic);
    if (config.transfer.topology === 'auto') await probeTopology(config.livekit.url, roomServiceApi(config.livekit));
  },
  entry: async (ctx: JobContext) => {
    const config = loadConfig();
    const models = createModels(config, ctx.proc.userData.vad as VAD);
    await ctx.connect();
    const caller = await ctx.waitForParticipant();
    const session = new voice.AgentSession({
      vad: models.vad,
      tts: models.tts,
      ...(models.stt ? { stt: models.stt } : {}),
      ...(models.llm ? { llm: models.llm } : {}),
    });
    const transfer = transferToolFor(ctx, config, models, caller.identity, caller.attributes['sip.phoneNumber'], () => session);
    const agent = new voice.Agent({
      instructions: callerInstructions({ instructions: config.instructions, canTransfer: transfer !== undefined }),
      ...(transfer ? { tools: { warm_transfer: transfer.tool } } : {}),
    });
    await session.start({ agent, room: ctx.room, inputOptions: { participantIdentity: caller.identity } });
    session.say(config.greeting);
  },
});

function transferToolFor(
  ctx: JobContext,
  config: WorkerConfig,
  models: Models,
  callerIdentity: string,
  callerNumber: string | undefined,
  session: () => voice.AgentSession,
) {
  const { transfer } = config;
  if (!transfer.enabled || !transfer.destination) return undefined;
  if (!models.llm) {
    log().warn('warm transfer is configured but no language model is (set OPENAI_API_KEY): the agent cannot decide to transfer');
    return undefined;
  }
  const api = roomServiceApi(config.livekit);
  return warmTransferTool({
    credentials: config.livekit,
    api,
    room: ctx.room,
    callerIdentity,
    callerNumber,
    session,
    models,
    music: ctx.proc.userData.holdMusic as HoldMusic,
    destination: { target: dialTarget(transfer.destination, transfer.outboundTrunkId), label: transfer.destination },
    passThroughCallerNumber: transfer.passThroughCallerNumber,
    agentPhoneNumber: transfer.agentPhoneNumber,
    topology: transfer.topology,
    ringingTimeoutMs: transfer.ringingTimeoutMs,
    decisionTimeoutMs: transfer.decisionTimeoutMs,
    deadlineMs: transfer.deadlineMs,
    onBridgeEnded: () => {
      void quietly(api.deleteRoom(ctx.room.name!)).then(() => ctx.shutdown('warm transfer completed'));
    },
  });
}

function dialTarget(destination: string, trunkId: string | undefined): DialTarget {
  const sip = /^sips?:([^@\s]+)@([^;\s]+)$/i.exec(destination);
  if (sip?.[1] && sip[2]) return { via: 'sip', user: sip[1], hostname: sip[2], transport: 'udp' };
  return { via: 'trunk', trunkId: trunkId!, number: destination.replace(/^(ext|pbx):/i, '') };
}
