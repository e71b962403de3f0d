// The transfer plan on a real call: what the rules forbid is never dialled, even when the model asks for
// it (the issue's own wording "Transfer to ... is strictly forbidden", which an older reader took for an
// instruction), and a busy first choice falls back only to the destination the fallback wording names; a
// number a rule forbids "after hours" is never dialled as a fallback. A model compile may only dial less.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { allOf, FakeOpenAI, hasToolResult, lastUserMessageIncludes, systemPromptIncludes, toolsInclude } from '../support/fake-openai/index.ts';
import type { ChatRequest } from '../support/fake-openai/matchers.ts';
import { startCallee, type Phone } from '../support/phone/index.ts';
import {
  at,
  CALLER_REQUEST,
  PBX_PORT,
  PSTN_PORT,
  placeTransferCall,
  settingsFile,
  startTransferWorker,
  timelineEntries,
  timelineEntry,
  waitForSpeech,
  type TransferCall,
  type TransferCast,
} from '../support/transfer-call.ts';

const stack = inject('stack');
const RULES = [
  'If the caller has a billing dispute, warm transfer to ext:1002, or if they are busy to +15125551234. Do not transfer to +15125550000 after hours.',
  'Never transfer calls to ext:1999.',
  'Transfer to +15125559999 is strictly forbidden.',
].join('\n\n');

const MODEL_RULES = 'If the caller has a billing dispute, warm transfer to ext:1002, or if they are busy to +15125551234.\n\nOur fax is 512-555-0177.';

/** The model asks for `destination` once, when the caller mentions billing, then carries on. */
function modelAsking(destination: string, plan?: object): FakeOpenAI {
  const model = new FakeOpenAI({ defaultChatReply: { text: 'Okay.' } });
  if (plan) model.onChat(systemPromptIncludes('compile the Warm Transfer Rules'), { text: JSON.stringify(plan) });
  const noTransferYet = (request: ChatRequest) => !request.messages.some((m) => m.role === 'tool');
  model.onChat(systemPromptIncludes('Summarise this phone conversation'), { text: 'The caller has a billing dispute.' });
  model.onChat(hasToolResult('warm_transfer'), { text: 'I am sorry, I cannot put you through there. Can I take a message?' });
  model.onChat(allOf(toolsInclude('warm_transfer'), lastUserMessageIncludes('billing'), noTransferYet), {
    toolCalls: [{ name: 'warm_transfer', arguments: { destination, reason: 'Billing dispute.', caller_confirmed: true } }],
  });
  model.onTranscription(...Array.from({ length: 200 }, () => CALLER_REQUEST));
  return model;
}

/** A phone on the PSTN trunk's port that answers anything: it must never ring. */
async function sentinel(name: string): Promise<Phone> {
  return startCallee({ port: PSTN_PORT, name, behaviour: 'answer' });
}

let call: TransferCall | undefined;
const phones: Phone[] = [];
afterEach(async () => {
  await call?.close();
  await Promise.all(phones.splice(0).map((p) => p.close()));
  call = undefined;
});

describe('a destination the rules forbid', () => {
  let cast: TransferCast;
  beforeAll(async () => {
    const settings = settingsFile(stack, { warmTransfer: { enabled: true, rules: RULES, ringingTimeoutSeconds: 10 } });
    cast = await startTransferWorker(stack, 'plan-forbidden', { AGENT_SETTINGS: settings.path }, modelAsking('+1 (512) 555-9999'));
  });
  afterAll(async () => {
    await cast?.close();
  });

  it('is refused when the model asks for it: nothing is dialled and the caller hears the agent', async () => {
    const started = Date.now();
    call = await placeTransferCall(stack, 'plan-forbidden');
    await call.caller.waitAnswered(20_000);
    let refusedAt = 0;
    const deadline = Date.now() + 60_000;
    while (refusedAt === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      if (cast.model.chats.some((c) => c.messages.some((m) => m.role === 'tool' && JSON.stringify(m.content).includes("can't transfer calls to"))))
        refusedAt = Date.now();
    }
    expect(refusedAt).toBeGreaterThan(0);
    // The agent speaks to the caller again, and for a while after that nothing rings anywhere.
    await waitForSpeech(call.caller, refusedAt, 20_000);
    await new Promise((r) => setTimeout(r, 5000));
    expect(call.callee.events.filter((e) => e.type === 'invite-received')).toEqual([]);
    expect(timelineEntries(cast.worker, 'started', started)).toEqual([]);
    expect(cast.worker.log()).toContain('refused a transfer to a destination the rules do not allow');
  });
});

describe('a busy first choice', () => {
  let cast: TransferCast;
  beforeAll(async () => {
    const settings = settingsFile(stack, { warmTransfer: { enabled: true, rules: RULES, ringingTimeoutSeconds: 10 } });
    cast = await startTransferWorker(stack, 'plan-fallback', { AGENT_SETTINGS: settings.path }, modelAsking('ext:1002'));
  });
  afterAll(async () => {
    await cast?.close();
  });

  it('falls back only to the destination its fallback wording names, never to the number the rule forbids', async () => {
    const started = Date.now();
    const pbx = await startCallee({ port: PBX_PORT, behaviour: 'busy', name: 'plan-ext-1002' });
    phones.push(pbx);
    call = await placeTransferCall(stack, 'plan-fallback', { behaviour: 'busy' });
    expect((await pbx.waitForEvent('rejected', 60_000)).status).toBe(486);
    expect((await call.callee.waitForEvent('rejected', 45_000)).status).toBe(486);
    await call.callee.waitForEvent('exit', 10_000).catch(() => undefined);
    // The chain is over: a phone that would answer any number on the PSTN trunk is not dialled.
    const after = await sentinel('plan-sentinel');
    phones.push(after);
    const lastEnded = await timelineEntry(cast.worker, 'returned', 20_000, started);
    await waitForSpeech(call.caller, at(lastEnded), 20_000);
    await new Promise((r) => setTimeout(r, 6000));
    expect(after.events.filter((e) => e.type === 'invite-received')).toEqual([]);
    expect(timelineEntries(cast.worker, 'dialing', started).map((e) => e['lk.pii.destination'])).toEqual(['ext:1002', '+15125551234']);
  });
});

describe('a plan proposed by the model (RULES_COMPILER=model)', () => {
  let cast: TransferCast;
  beforeAll(async () => {
    const settings = settingsFile(stack, { warmTransfer: { enabled: true, rules: MODEL_RULES, ringingTimeoutSeconds: 10 } });
    // The model drops rule 1's fallback (dialling less: accepted) and makes the fax number of rule 2 a
    // destination (dialling more: refused, the parser's reading of rule 2 stands).
    const proposal = {
      rules: [
        { index: 1, label: 'billing dispute', chains: [['ext:1002']], confirmFirst: false, forbids: [] },
        { index: 2, label: 'fax', chains: [['+15125550177']], confirmFirst: false, forbids: [] },
      ],
    };
    cast = await startTransferWorker(stack, 'plan-model', { AGENT_SETTINGS: settings.path, RULES_COMPILER: 'model' }, modelAsking('ext:1002', proposal));
  });
  afterAll(async () => {
    await cast?.close();
  });

  it('is read back at start-up and obeyed by the call: it may take a fallback away, never add a destination', async () => {
    expect(cast.worker.log()).toContain('transfer plan (proposed by the model, checked by the parser)');
    expect(cast.worker.log()).toContain('billing dispute → ext:1002 (confirm first: no)');
    expect(cast.worker.log()).toContain("rule 2: refused the model's reading (+15125550177 is not a destination the rule's text makes dialable)");
    const started = Date.now();
    const pbx = await startCallee({ port: PBX_PORT, behaviour: 'busy', name: 'plan-model-ext-1002' });
    phones.push(pbx);
    call = await placeTransferCall(stack, 'plan-model');
    expect((await pbx.waitForEvent('rejected', 60_000)).status).toBe(486);
    const returned = await timelineEntry(cast.worker, 'returned', 30_000, started);
    await waitForSpeech(call.caller, at(returned), 20_000);
    // The fallback the model took away is not dialled: the PSTN phone never rings.
    await new Promise((r) => setTimeout(r, 3000));
    expect(call.callee.events.filter((e) => e.type === 'invite-received')).toEqual([]);
    expect(timelineEntries(cast.worker, 'dialing', started)).toHaveLength(1);
  });
});
