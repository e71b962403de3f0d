// Bridged calls for the `bridged` scenario, made the whole way: a SIPp caller asks for a person, the model's
// warm_transfer (scripted model on loopback) names a desk, the caller holds with music, the desk's SIPp phone
// answers, is briefed and presses 1, and the two are bridged. The keypad rules of transfers.ts offer one key
// per destination (at most 11), too few for 32 calls at once; the model instead hands each request a desk no
// call has reached yet, and each desk's phone tells its caller by the caller ID it is shown (the worker passes
// the caller's number through). Not every reply the model gives becomes a dial (the framework may discard a
// reply it asked for ahead, a second request may be refused): a desk handed out stays reserved for 20 s, and
// each row starts a few spare desks.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { makeAlawFile, startCallee, startCaller, type Phone } from '../../phones/index.ts';
import { FORWARDER_PPROF_ADDR } from './forwarder-profile.ts';
import type { StackInfo } from '../../stack/stack-info.ts';
import { startWorker, type RunningWorker } from '../../stack/worker-process.ts';
import { AGENT_NUMBER, callerNumber } from '../support/calls.ts';
import { allOf, FakeOpenAI, hasToolResult, lastUserMessageIncludes, systemPromptIncludes, toolsInclude } from '../support/fake-openai/index.ts';
import type { ChatRequest } from '../support/fake-openai/matchers.ts';
import { CALLER_REQUEST, holdToneWav, settingsFile } from '../support/transfer-call.ts';
import { burstCycleFile, hears, hearsCycle, hearsTone, requestThenTone } from './listen.ts';
import { sleep, within } from './stats.ts';
import { CALLER_TONE_HZ } from './transfers.ts';

/** Desk phones listen on 5100 + desk (5101...); the rules name one desk per line. */
export const MAX_DESKS = 64;
const deskPort = (desk: number) => 5100 + desk;
const DESK_RESERVED_MS = 20_000;
/** Desks started beyond the row's calls, for the replies that never became a dial. */
export const SPARE_DESKS = 4;
const deskAddress = (desk: number) => `sip:desk${desk}@127.0.0.1:${deskPort(desk)}`;

/** How the worker carries a bridged call (issue 21): the job's relay, or the keeper's wt-forwarder. */
export type Carrier = 'relay' | 'forwarder';

export interface BridgedCast {
  worker: RunningWorker;
  model: FakeOpenAI;
  /** The row's desk phones, which the model hands out (desk i is desks[i - 1]). */
  useDesks(desks: Phone[]): void;
  close(): Promise<void>;
}

/** The model: a request for a person gets warm_transfer to the desk `next` picks; after the tool's result, something short. */
function deskModel(next: () => number): FakeOpenAI {
  const model = new FakeOpenAI({ defaultChatReply: { text: 'Okay.' } });
  model.onChat(systemPromptIncludes('Summarise this phone conversation'), { text: 'The caller has a billing dispute about a double charge.' });
  model.onChat(hasToolResult('warm_transfer'), { text: 'Is there anything else I can help you with?' });
  // Once per call: not after a tool result, nor while an earlier warm_transfer call of the call still runs.
  const noTransferYet = (request: ChatRequest) =>
    !request.messages.some((m) => m.role === 'tool' || m.tool_calls?.some((c) => c.function.name === 'warm_transfer'));
  model.onChat(allOf(toolsInclude('warm_transfer'), lastUserMessageIncludes('billing'), noTransferYet), () => ({
    toolCalls: [{ name: 'warm_transfer', arguments: { destination: deskAddress(next()), reason: 'Caller has a billing dispute.', caller_confirmed: true } }],
  }));
  // Every utterance is the request (the caller says it twice, in case the session missed the first).
  model.onTranscription(...Array.from({ length: 5000 }, () => CALLER_REQUEST));
  return model;
}

/** The worker for bridged calls: BRIDGE_CARRIER=`carrier`, room for `maxCalls` calls, a warm pool of `idle`. */
export async function bridgedWorker(stack: StackInfo, carrier: Carrier, idle: number, maxCalls: number): Promise<BridgedCast> {
  let desks: Phone[] = [];
  const reserved = new Map<number, number>();
  // The lowest desk no INVITE has reached and not handed out in the last 20 s (else the lowest not reached).
  const next = () => {
    const free = (i: number) => !desks[i]!.events.some((e) => e.type === 'invite-received');
    const all = desks.map((_, i) => i).filter(free);
    const i = all.find((j) => Date.now() - (reserved.get(j) ?? 0) > DESK_RESERVED_MS) ?? all[0] ?? desks.length;
    reserved.set(i, Date.now());
    return Math.min(i + 1, MAX_DESKS);
  };
  const model = deskModel(next);
  const server = await model.start();
  const rules = Array.from({ length: MAX_DESKS }, (_, i) => `If the caller asks for desk ${i + 1}, warm transfer to ${deskAddress(i + 1)}.`).join('\n');
  const file = settingsFile(stack, {
    warmTransfer: { enabled: true, rules, holdMusic: holdToneWav(), ringingTimeoutSeconds: 15, decisionTimeoutSeconds: 20 },
  });
  try {
    const worker = await startWorker(stack, `bench-bridged-${carrier}`, {
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: server.baseURL,
      TTS_PROVIDER: 'espeak',
      AGENT_SETTINGS: file.path,
      AGENT_GREETING: 'Hello, how can I help?',
      TRANSFER_TOPOLOGY: 'bridge',
      BRIDGE_CARRIER: carrier,
      WORKER_IDLE_PROCESSES: String(idle),
      WORKER_MAX_CALLS: String(maxCalls),
      WORKER_MAX_TRANSFERS: String(maxCalls),
      ...(carrier === 'forwarder' ? { FORWARDER_PPROF: FORWARDER_PPROF_ADDR } : {}),
      // An experiment's knob: the Go runtime's threads for the worker's wt-forwarder alone (the stack's servers keep theirs).
      ...(process.env.BENCH_FORWARDER_GOMAXPROCS ? { GOMAXPROCS: process.env.BENCH_FORWARDER_GOMAXPROCS } : {}),
    });
    return {
      worker,
      model,
      useDesks: (row) => {
        desks = row;
        reserved.clear();
      },
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

/** The desks' phones for a row: desk 1..n (n: the calls and the spares), each sending tone bursts of cycling pitch (the delay is measured on them). */
export async function startDesks(n: number, lifetimeMs: number): Promise<Phone[]> {
  const desks: Phone[] = [];
  const audio = { file: burstCycleFile() };
  try {
    for (let desk = 1; desk <= n; desk++)
      desks.push(await startCallee({ port: deskPort(desk), ringMs: 300, audio, name: `bench-desk${desk}`, maxLifetimeMs: lifetimeMs }));
  } catch (error) {
    await Promise.all(desks.map((d) => d.close()));
    throw error;
  }
  return desks;
}

const callerFiles = new Map<number, string>();
const silence = (seconds: number) => Buffer.alloc(seconds * 8000, 0xd5); // A-law silence

/**
 * The caller is silent for `leadS` s (past the greeting; in the mix, the conversation before the request),
 * asks, asks again 10 s later (a session that started late misses the first; on hold the agent hears
 * neither), then holds its tone past any talk, so the file never loops back to the request.
 */
async function callerFile(leadS: number): Promise<string> {
  let file = callerFiles.get(leadS);
  if (!file) {
    const request = readFileSync(await makeAlawFile({ speech: CALLER_REQUEST, gapSeconds: 1 }, tmpdir(), `bench-bridged-${process.pid}`));
    file = requestThenTone(Buffer.concat([silence(leadS), request, silence(10), request]), CALLER_TONE_HZ, 900);
    callerFiles.set(leadS, file);
  }
  return file;
}

export interface BridgedCall {
  /** Absent when the caller's phone could not start. */
  caller?: Phone;
  from: string;
  desk?: Phone;
  /** The desk's stream start (its ACK): the clock of its bursts. */
  deskStreamStart?: number;
  dialledAt: number;
  /** Both phones hear each other (keypad 1 → each hears the other's tone). */
  bridgedAt?: number;
  failedAt?: string;
}

/** The desk whose phone was shown this caller's number, once it has answered. */
async function deskOf(desks: Phone[], from: string, withinMs: number): Promise<Phone | undefined> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    const desk = desks.find((d) => d.events.some((e) => e.type === 'answered') && d.callerId() === from);
    if (desk) return desk;
    await sleep(200);
  }
  return undefined;
}

/** One caller, from dialling in to bridged with its desk (or the step it failed at). */
export async function bridgeOne(desks: Phone[], name: string, lifetimeMs: number, leadS = 3): Promise<BridgedCall> {
  const from = callerNumber();
  const call: BridgedCall = { from, dialledAt: Date.now() };
  const fail = (step: string) => ({ ...call, failedAt: step });
  try {
    const caller = await startCaller({ to: AGENT_NUMBER, from, audio: { file: await callerFile(leadS) }, name, maxLifetimeMs: lifetimeMs });
    call.caller = caller;
    if (!(await within(30_000, () => caller.waitAnswered(30_000)))) return fail('answer');
    const desk = await deskOf(desks, from, 60_000 + leadS * 1000);
    if (!desk) return fail('desk never answered');
    call.desk = desk;
    const picked = desk.events.find((e) => e.type === 'answered')!.at;
    const confirmed = await within(5000, () => desk.waitForEvent('confirmed', 5000));
    if (confirmed) call.deskStreamStart = confirmed.at;
    if ((await hears(desk, picked, 15_000)) === undefined) return fail('briefing');
    await sleep(500);
    const pressed = Date.now();
    await desk.press('1');
    const [deskHears, callerHears] = await Promise.all([
      // The caller's tone follows its second request, which may still be under way.
      hearsTone(desk, CALLER_TONE_HZ, pressed, 25_000),
      hearsCycle(caller, pressed, 15_000),
    ]);
    if (deskHears === undefined || callerHears === undefined)
      return fail(
        `bridge: ${[deskHears === undefined ? 'the desk heard no caller' : '', callerHears === undefined ? 'the caller heard no desk' : ''].filter(Boolean).join(', ')}`,
      );
    call.bridgedAt = Math.max(deskHears, callerHears);
    return call;
  } catch (error) {
    return fail(`error: ${String(error).slice(0, 200)}`);
  }
}

/** Hangs up every call and closes every phone (the desks' legs end when the worker sees the caller leave). */
export async function endCalls(calls: BridgedCall[], desks: Phone[]): Promise<void> {
  await Promise.all(calls.map((c) => c.caller?.hangup().catch(() => undefined)));
  await Promise.all(
    desks.map(async (d) => {
      if (d.events.some((e) => e.type === 'answered')) await d.waitForEvent(['bye-received', 'exit'], 8000).catch(() => d.hangup().catch(() => undefined));
    }),
  );
  await Promise.all([...calls.map((c) => c.caller?.close()), ...desks.map((d) => d.close())]);
}
