// The reference: LiveKit's own `workflows.WarmTransferTask` (@livekit/agents, the version this project pins),
// run by a minimal agent of the bench's (not the worker's) whose warm_transfer tool hands the call to it. Same
// stack, same scripted model (OPENAI_BASE_URL), same espeak-ng voice, same destination phone on the PSTN trunk.
// Each step is printed as a JSON line ({"lkTask": ...}) so the bench can line it up with the phones.
//   tsx test/bench/livekit-task/agent.ts start
import { cli, defineAgent, llm, ServerOptions, voice, workflows, type JobContext, type JobProcess, type VAD } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import * as silero from '@livekit/agents-plugin-silero';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EspeakTTS } from '../../../agent/conversation/speech/espeak-tts.ts';

const say = (step: string, extra: Record<string, unknown> = {}) => console.log(JSON.stringify({ lkTask: step, at: new Date().toISOString(), ...extra }));

function models(vad: VAD) {
  const connection = { apiKey: process.env.OPENAI_API_KEY ?? 'test-key', ...(process.env.OPENAI_BASE_URL ? { baseURL: process.env.OPENAI_BASE_URL } : {}) };
  return {
    llm: new openai.LLM({ ...connection, model: 'gpt-4o-mini' }),
    stt: new openai.STT({ ...connection, model: 'whisper-1', useRealtime: false, vad }),
    tts: new EspeakTTS({ voice: 'en-us' }),
    vad,
  };
}

export default defineAgent({
  prewarm: async (proc: JobProcess) => {
    proc.userData.vad = await silero.VAD.load();
  },
  entry: async (ctx: JobContext) => {
    const vad = ctx.proc.userData.vad as VAD;
    await ctx.connect();
    const caller = await ctx.waitForParticipant();
    const session = new voice.AgentSession(models(vad));
    const warmTransfer = llm.tool({
      description: 'Warm transfer the caller to a person: puts them on hold, briefs the person, connects them.',
      parameters: z.object({ destination: z.string(), reason: z.string(), caller_confirmed: z.boolean() }),
      execute: async ({ destination }) => {
        say('started', { destination });
        try {
          const result = await new workflows.WarmTransferTask({
            sipCallTo: destination,
            sipTrunkId: process.env.SIP_OUTBOUND_TRUNK_ID ?? null,
            ringingTimeout: 15_000,
            ...(process.env.HOLD_MUSIC ? { holdAudio: process.env.HOLD_MUSIC } : {}),
            greetingSpeech: 'Hello, I have a caller on the line with a billing dispute. Would you like to take the call?',
            chatCtx: session.history,
            ...models(vad),
          }).run();
          say('merged', { identity: result.humanAgentIdentity });
          return 'The caller is connected to the person.';
        } catch (error) {
          say('error', { message: error instanceof Error ? error.message : String(error), name: error instanceof Error ? error.name : typeof error });
          throw error;
        }
      },
    });
    const agent = new voice.Agent({
      instructions: 'You are a friendly phone agent. If the caller has a billing dispute, call warm_transfer to +15125551234.',
      tools: { warm_transfer: warmTransfer },
    });
    await session.start({ agent, room: ctx.room, inputOptions: { participantIdentity: caller.identity } });
    session.say('Hello, how can I help?');
  },
});

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cli.runApp(
    new ServerOptions({
      agent: fileURLToPath(import.meta.url),
      agentName: process.env.AGENT_NAME ?? 'warm-transfer-agent',
      loadThreshold: 2,
      numIdleProcesses: 2,
      host: '127.0.0.1',
      port: 8082,
    }),
  );
}
