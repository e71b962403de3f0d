// A model may propose the transfer plan, but it is obeyed only where the checks accept it: it may only take
// dialability away (destinations and fallbacks the parser's reading of the same rule allows), nothing
// forbidden allowed, the denylist only ever growing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalDestination } from '../../settings/destination.ts';
import { compilePlan, type TransferPlan } from '../../settings/rules/plan.ts';
import { acceptProposal, proposePlan, type PlanProposal } from '../../settings/rules/plan-model.ts';
import { FakeOpenAI, systemPromptIncludes, type FakeOpenAIHandle } from '../support/fake-openai/index.ts';

const RULES = [
  'If the caller needs sales, transfer to ext:2001; should they be out to lunch, ext:2002 takes over.',
  'Never transfer calls to ext:1999.',
  'If the caller asks for Eric, warm transfer to +15125551234.',
].join('\n\n');

function parserPlan(text = RULES): TransferPlan {
  const compiled = compilePlan(text);
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
  return compiled.plan;
}

const faithful: PlanProposal = {
  rules: [
    { index: 1, label: 'sales', chains: [['ext:2001', 'ext:2002']], confirmFirst: false, forbids: [] },
    { index: 2, label: null, chains: [], confirmFirst: false, forbids: ['ext:1999'] },
    { index: 3, label: 'Eric', chains: [['(512) 555-1234']], confirmFirst: false, forbids: [] },
  ],
};

const chains = (plan: TransferPlan) => plan.rules.map((r) => r.chains.map((c) => c.map(canonicalDestination).join(' > ')));
const never = (plan: TransferPlan) => plan.forbidden.map(canonicalDestination);
const withRule = (index: number, rule: Partial<PlanProposal['rules'][number]>): PlanProposal => ({
  rules: faithful.rules.map((r) => (r.index === index ? { ...r, ...rule } : r)),
});

describe('accepting a proposed plan', () => {
  it('never makes dialable what the parser did not: a destination written in the rule but not as an instruction', () => {
    const parser = parserPlan();
    expect(chains(parser)).toEqual([['ext:2001'], [], ['+15125551234']]);
    expect(parser.notDialled?.map((n) => canonicalDestination(n.destination))).toEqual(['ext:2002']);
    const { plan, differences } = acceptProposal(parser, faithful);
    expect(chains(plan)).toEqual(chains(parser));
    expect(differences).toContain(
      "rule 1: refused the model's reading (ext:2002 is not a destination the rule's text makes dialable); the parser's reading stands",
    );
  });

  it('never turns an alternative into a fallback that would be dialled without being asked for', () => {
    const parser = parserPlan('If the caller needs sales, transfer to ext:2001 or ext:2002.');
    const { plan, differences } = acceptProposal(parser, {
      rules: [{ index: 1, label: 'sales', chains: [['ext:2001', 'ext:2002']], confirmFirst: false, forbids: [] }],
    });
    expect(chains(plan)).toEqual([['ext:2001', 'ext:2002']]);
    expect(differences).toContain(
      "rule 1: refused the model's reading (it makes ext:2002 a fallback of ext:2001, which the rule's text does not); the parser's reading stands",
    );
  });

  it('takes a reading that dials less: a destination left out, a fallback dropped', () => {
    const parser = parserPlan(
      'If the caller needs sales, transfer to ext:2001, or if they are busy to ext:2002.\n\nIf the caller asks for Eric, warm transfer to +15125551234 or ext:1003.',
    );
    expect(chains(parser)).toEqual([['ext:2001 > ext:2002'], ['+15125551234', 'ext:1003']]);
    const { plan } = acceptProposal(parser, {
      rules: [
        { index: 1, label: 'sales', chains: [['ext:2001']], confirmFirst: false, forbids: [] },
        { index: 2, label: 'Eric', chains: [['+15125551234']], confirmFirst: false, forbids: ['ext:1003'] },
      ],
    });
    expect(plan.source).toBe('model');
    expect(chains(plan)).toEqual([['ext:2001'], ['+15125551234']]);
    expect(never(plan)).toEqual(['ext:1003']);
  });

  it('refuses a rule that names a destination its text does not write', () => {
    const { plan, differences } = acceptProposal(parserPlan(), withRule(3, { chains: [['+15125551234', 'ext:2003']] }));
    expect(chains(plan)[2]).toEqual(['+15125551234']);
    expect(differences).toContain(
      "rule 3: refused the model's reading (ext:2003 is not a destination the rule's text makes dialable); the parser's reading stands",
    );
  });

  it('refuses a rule that allows what another rule forbids', () => {
    const text = RULES.replace('ext:2002 takes over', 'ext:1999 takes over');
    const { plan, differences } = acceptProposal(parserPlan(text), withRule(1, { chains: [['ext:2001', 'ext:1999']] }));
    expect(chains(plan)[0]).toEqual(['ext:2001']);
    expect(never(plan)).toEqual(['ext:1999']);
    expect(differences).toContain(
      "rule 1: refused the model's reading (ext:1999 is not a destination the rule's text makes dialable); the parser's reading stands",
    );
  });

  it('keeps the denylist when the model leaves a forbid out', () => {
    const { plan } = acceptProposal(parserPlan(), withRule(2, { forbids: [] }));
    expect(never(plan)).toEqual(['ext:1999']);
  });

  it('refuses the whole plan when a forbid it adds hits a destination another rule allows', () => {
    // The parser reads ext:2001 in rule 3 as part of a condition; the model reads it as forbidden.
    // ("Should ...", not "If ...": a sentence starting with "If" would be a rule of its own.)
    const text = `${RULES} Should the caller mention ext:2001, explain that it is for sales.`;
    const parser = parserPlan(text);
    const { plan, differences } = acceptProposal(parser, withRule(3, { forbids: ['ext:2001'] }));
    expect(plan).toBe(parser);
    expect(differences.at(-1)).toBe(
      "refused the model's plan as a whole (ext:2001 is a destination of rule 1 and forbidden by rule 3; say one or the other); the parser's plan stands",
    );
  });

  it('asks the caller first when either reading says so', () => {
    const { plan } = acceptProposal(parserPlan(), withRule(3, { confirmFirst: true }));
    expect(plan.rules[2]?.confirmFirst).toBe(true);
  });
});

describe('asking the model', () => {
  let server: FakeOpenAI;
  let handle: FakeOpenAIHandle;
  beforeEach(async () => {
    server = new FakeOpenAI({ defaultChatReply: { text: 'Okay.' } });
    handle = await server.start();
  });
  afterEach(() => handle.close());

  it('gets a proposal as structured output, with the numbered rules', async () => {
    server.onChat(systemPromptIncludes('compile the Warm Transfer Rules'), { text: JSON.stringify(faithful) });
    const answer = await proposePlan({ baseURL: handle.baseURL, apiKey: 'test', model: 'gpt-4.1-mini' }, parserPlan());
    expect(answer).toEqual({ proposal: faithful });
    const request = server.chats.at(-1);
    expect(request?.body['response_format']).toMatchObject({ type: 'json_schema', json_schema: { name: 'transfer_plan', strict: true } });
    expect(JSON.stringify(request?.messages)).toContain('Rule 2: Never transfer calls to ext:1999.');
  });

  it('gives no proposal when the model answers something else', async () => {
    const answer = await proposePlan({ baseURL: handle.baseURL, apiKey: 'test', model: 'gpt-4.1-mini' }, parserPlan());
    expect('error' in answer && answer.error).toMatch(/^the model gave no plan/);
  });
});

describe('proposals handed to the job processes', () => {
  it('are read back from the variable, and anything malformed in it is ignored', async () => {
    const { PROPOSALS_VARIABLE, proposalsFromEnv } = await import('../../settings/rules/model-compile.ts');
    const good = { support: { rulesText: RULES, proposal: faithful } };
    expect(proposalsFromEnv({ [PROPOSALS_VARIABLE]: JSON.stringify(good) })).toEqual(good);
    expect(proposalsFromEnv({ [PROPOSALS_VARIABLE]: '{not json' })).toBeUndefined();
    expect(proposalsFromEnv({ [PROPOSALS_VARIABLE]: JSON.stringify({ support: { rulesText: RULES, proposal: { rules: 'all' } } }) })).toEqual({});
    expect(proposalsFromEnv({})).toBeUndefined();
  });
});
