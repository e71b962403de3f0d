// The cast of a warm-transfer test on the local stack: a scripted model, the worker, a caller phone
// that dials in and asks for a person, and a destination phone behind the PSTN trunk (127.0.0.1:5080).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StackInfo } from '../../stack/stack-info.ts';
import type { TransferRecordStore } from '../../agent/transfer/record/store.ts';
import { AGENT_KIND, AGENT_NUMBER, callerNumber, roomService } from './calls.ts';
import { allOf, FakeOpenAI, type TranscriptionReply, hasToolResult, lastUserMessageIncludes, systemPromptIncludes, toolsInclude } from './fake-openai/index.ts';
import type { ChatRequest } from './fake-openai/matchers.ts';
import {
  encodeAlaw,
  makeAlawFile,
  sineSamples,
  startCallee,
  startCaller,
  type AudioSpec,
  type CalleeOptions,
  type CallerOptions,
  type Phone,
} from '../../phones/index.ts';
import { eventually } from './rooms.ts';
import { wavBytes } from '../../phones/wav.ts';
import { startWorker, type RunningWorker } from '../../stack/worker-process.ts';

export const HOLD_TONE_HZ = 440;
export const DESTINATION_TONE_HZ = 1000;
export const PSTN_PORT = 5080;
export const DESTINATION_NUMBER = '+15125551234';

/** A 2 s, 440 Hz WAV: hold music a test can recognise by its pitch. */
export function holdToneWav(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'hold-')), 'hold.wav');
  writeFileSync(file, wavBytes(sineSamples(HOLD_TONE_HZ, 2, 0.3), 8000));
  return file;
}

/** The model: transfers when the caller mentions billing, then carries on after the tool's answer. */
export const CALLER_REQUEST = 'I have a billing dispute, can I talk to a person?';

export function scriptedModel(transcripts: TranscriptionReply[] = Array.from({ length: 200 }, () => CALLER_REQUEST)): FakeOpenAI {
  const model = new FakeOpenAI({ defaultChatReply: { text: 'Okay.' } });
  model.onChat(systemPromptIncludes('Summarise this phone conversation'), { text: 'The caller has a billing dispute about a double charge.' });
  model.onChat(hasToolResult('warm_transfer'), { text: 'Is there anything else I can help you with?' });
  // Once per call: a conversation that already holds a tool result does not transfer again.
  const noTransferYet = (request: ChatRequest) => !request.messages.some((m) => m.role === 'tool');
  model.onChat(allOf(toolsInclude('warm_transfer'), lastUserMessageIncludes('billing'), noTransferYet), {
    toolCalls: [
      {
        name: 'warm_transfer',
        arguments: { destination: DESTINATION_NUMBER, reason: 'Caller has a billing dispute about a double charge.', caller_confirmed: true },
      },
    ],
  });
  // By default every utterance transcribes as the caller's request; the rule above transfers only once.
  model.onTranscription(...transcripts);
  return model;
}

export interface TransferCast {
  model: FakeOpenAI;
  worker: RunningWorker;
  close(): Promise<void>;
}

export async function startTransferWorker(stack: StackInfo, name: string, env: Record<string, string> = {}, model = scriptedModel()): Promise<TransferCast> {
  const server = await model.start();
  try {
    const worker = await startWorker(stack, name, {
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: server.baseURL,
      TTS_PROVIDER: 'espeak',
      WARM_TRANSFER_DESTINATION: DESTINATION_NUMBER,
      HOLD_MUSIC: holdToneWav(),
      RINGING_TIMEOUT_S: '15',
      DECISION_TIMEOUT_S: '20',
      AGENT_GREETING: 'Hello, how can I help?',
      ...env,
    });
    return {
      model,
      worker,
      close: async () => {
        await worker.stop();
        await server.close();
      },
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}

export interface TransferCall {
  caller: Phone;
  callee: Phone;
  from: string;
  close(): Promise<void>;
}

/** The caller dials in and asks about billing; the destination phone waits on the PSTN trunk's port. */
export async function placeTransferCall(
  stack: StackInfo,
  name: string,
  callee: CalleeOptions = {},
  callerOptions: Pick<CallerOptions, 'referReply' | 'notifyFrag'> = {},
): Promise<TransferCall> {
  const destination = await startCallee({ port: PSTN_PORT, ringMs: 500, audio: { tone: DESTINATION_TONE_HZ }, name: `${name}-destination`, ...callee });
  const from = callerNumber();
  let caller: Phone;
  try {
    caller = await startCaller({
      to: AGENT_NUMBER,
      from,
      audio: { speech: 'I have a billing dispute, can I talk to a person?', gapSeconds: 6 },
      name: `${name}-caller`,
      ...callerOptions,
    });
  } catch (error) {
    await destination.close();
    throw error;
  }
  return {
    caller,
    callee: destination,
    from,
    // End the call as a person would before killing the phones: a leg livekit-sip still holds would
    // otherwise send its BYE later, to the next test's phone on the same port.
    close: async () => {
      await caller.hangup().catch(() => undefined);
      const answered = destination.events.some((e) => e.type === 'answered');
      const over = () => destination.events.some((e) => ['exit', 'bye-sent', 'bye-received'].includes(e.type));
      if (answered && !over()) {
        await destination.waitForEvent(['bye-received', 'exit'], 10_000).catch(() => destination.hangup().catch(() => undefined));
      }
      await Promise.all([caller.close(), destination.close()]);
      // And wait until the call's job has left its room, so the next test's call meets an idle worker.
      const rooms = roomService(stack);
      const agentStillThere = async () => {
        for (const room of await rooms.listRooms()) {
          if (!room.name.startsWith(`call_${from}_`)) continue;
          if ((await rooms.listParticipants(room.name)).some((p) => p.kind === AGENT_KIND)) return true;
        }
        return false;
      };
      await eventually(async () => !(await agentStillThere()), 15_000, 'the agent to leave the call').catch(() => undefined);
      // The server takes a moment to see the worker as free again after a job ends.
      await new Promise((r) => setTimeout(r, 2000));
    },
  };
}

/** Waits for the first timeline entry of `type` (for the newest transfer) and returns it. */
export async function timelineEntry(worker: RunningWorker, type: string, ms: number, after = 0): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await eventually(
    () => {
      found = worker.timeline().find((e) => e.type === type && Date.parse(String(e.at)) >= after);
      return found !== undefined;
    },
    ms,
    `timeline entry ${type}`,
  );
  return found!;
}

export const at = (entry: Record<string, unknown>): number => Date.parse(String(entry.at));

/** Waits until the phone hears speech that is not the hold tone (the agent talking again). */
export async function waitForSpeech(phone: Phone, after: number, ms: number): Promise<number> {
  let heard = 0;
  await eventually(
    () => {
      for (let t = after; t + 500 <= Date.now(); t += 250) {
        if (phone.received.rms(t, t + 500) > 300 && phone.received.toneRatio(HOLD_TONE_HZ, t, t + 500) < 0.3) {
          heard = t;
          return true;
        }
      }
      return false;
    },
    ms,
    'speech (not hold music) at the phone',
  );
  return heard;
}

export const PBX_PORT = 5090;

/** Writes an agent settings file (with the stack's trunk IDs) into a temp folder and returns its path. */
export function settingsFile(stack: StackInfo, settings: Record<string, unknown>): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'agent-settings-'));
  const path = join(dir, 'agent.json');
  const document = {
    agentId: 'support',
    trunks: { pstnOutboundTrunkId: stack.pstnTrunkId, pbx: { outboundTrunkId: stack.pbxTrunkId } },
    messages: { file: join(dir, 'messages.jsonl') },
    ...settings,
  };
  writeFileSync(path, JSON.stringify(document, null, 2));
  return { path, dir };
}

/** Every timeline entry of `type` since `after`. */
export function timelineEntries(worker: RunningWorker, type: string, after: number): Array<Record<string, unknown>> {
  return worker.timeline().filter((e) => e.type === type && Date.parse(String(e.at)) >= after);
}

/**
 * Once a call is over: no transfer record is left, and no room of the call (`call_<from>_...`) or of its
 * consultations, with who is still in each for the failure message. The job that ends a transfer deletes its
 * rooms; a room a dead job left empty is closed by the server within the consultation room's empty timeout
 * (60 s) at the latest.
 */
export async function nothingLeftBehind(stack: StackInfo, records: TransferRecordStore, from: string, consultations: ReadonlySet<string>): Promise<void> {
  const rooms = roomService(stack);
  await eventually(async () => (await records.all()).length === 0, 15_000, 'no transfer record left');
  let left: string[] = [];
  await eventually(
    async () => {
      left = [];
      for (const room of await rooms.listRooms()) {
        if (!consultations.has(room.name) && !room.name.startsWith(`call_${from}_`)) continue;
        const participants = await rooms.listParticipants(room.name);
        left.push(`${room.name} [${participants.map((p) => p.identity).join(', ')}]`);
      }
      return left.length === 0;
    },
    75_000,
    'no consultation or call room left',
  ).catch((error: Error) => {
    throw new Error(`${error.message}: ${left.join('; ')}`);
  });
}

/**
 * The destination's audio: `words` once, `leadSeconds` after the answer, then `gapSeconds` of silence and the
 * destination phone's own tone (by which the caller tells it once bridged).
 */
export async function saysThenTone(words: string, leadSeconds: number, gapSeconds: number): Promise<AudioSpec> {
  const dir = mkdtempSync(join(tmpdir(), 'says-then-tone-'));
  const speech = readFileSync(await makeAlawFile({ speech: words, leadSeconds, gapSeconds }, dir, 'words'));
  const file = join(dir, 'words-tone.alaw');
  writeFileSync(file, Buffer.concat([speech, encodeAlaw(sineSamples(DESTINATION_TONE_HZ, 60, 0.3))]));
  return { file };
}
