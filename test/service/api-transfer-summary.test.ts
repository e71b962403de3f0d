// GET /v1/agents/{agentId}/transfers/summary and the page /agents/{agentId}/transfers on transfers a job stored
// through its own writer: the counts per hour and outcome, time on hold, each destination's answers, masked
// destinations and no caller anywhere; and a stream longer than the read cap, which the answer and page admit.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { acmeAgent, ADMIN_TOKEN, startApi, type ApiCast } from '../support/settings-api.ts';
import { storeTransfers, type ScriptedTransfer } from '../support/transfer-history.ts';
import { READ_CAP } from '../../settings-service/transfers/summary.ts';

const HOUR = 3600_000;
const CALLER = '+15125550142';
let api: ApiCast;
let now: number;

const scripted = (transferId: string, minutesAgo: number, attempts: ScriptedTransfer['attempts']): ScriptedTransfer => ({
  transferId,
  startMs: now - minutesAgo * 60_000,
  caller: CALLER,
  attempts,
});

beforeAll(async () => {
  api = await startApi(inject('redisAddress'), 'transfer-summary');
  expect((await api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.support', payload: acmeAgent() })).statusCode).toBe(200);
  expect((await api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.busy', payload: acmeAgent() })).statusCode).toBe(200);
  now = Date.now();
  await storeTransfers(api.db, 'acme.support', [
    scripted('t-accepted', 10, [{ destination: '+15125551234', outcome: 'accepted', ringS: 4, briefS: 12 }]),
    scripted('t-chain', 70, [
      { destination: 'ext:1002', outcome: 'no_answer', ringS: 25 },
      { destination: '+15125551234', outcome: 'rejected', ringS: 3, briefS: 30 },
    ]),
    scripted('t-busy', 5 * 60, [{ destination: 'ext:1002', outcome: 'busy', ringS: 1 }]),
    scripted('t-yesterday', 26 * 60, [{ destination: '+15125551234', outcome: 'accepted', ringS: 4 }]),
  ]);
});
afterAll(async () => {
  await api?.close();
});

const summary = (token: string, agentId = 'acme.support') => api.call(token, { method: 'GET', url: `/v1/agents/${agentId}/transfers/summary` });

describe('the transfers summary', () => {
  it('counts the last 24 hours by outcome and hour, from the entries the worker wrote', async () => {
    const response = await summary(api.acmeToken);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.totals).toEqual({ transfers: 3, accepted: 1, declined: 1, unanswered: 1, caller_left: 0, failed: 0, open: 0 });
    expect(body.hours).toHaveLength(24);
    const hourOf = (minutesAgo: number) => new Date(Math.floor((now - minutesAgo * 60_000) / HOUR) * HOUR).toISOString();
    const hour = (iso: string) => body.hours.find((h: { start: string }) => h.start === iso);
    expect(hour(hourOf(10))).toMatchObject({ accepted: 1 });
    expect(hour(hourOf(70))).toMatchObject({ declined: 1 });
    expect(hour(hourOf(300))).toMatchObject({ unanswered: 1 });
    expect(body.read).toMatchObject({ cap: READ_CAP, capped: false });
  });

  it('measures time on hold and each destination', async () => {
    const body = (await summary(api.acmeToken)).json();
    // accepted: 0.5 + 4 + 12 + 0.1 s; the chain: 0.5 + 25, then 0.9 + 3 + 30 + 0.5 s; busy: 0.5 + 1 s.
    expect(body.hold).toMatchObject({ measured: 3, medianS: 16.6, longestS: 59.9 });
    expect(body.destinations).toEqual([
      { destination: '+1 ••• ••• ••34', destinationKind: 'phone', tried: 2, answered: 2, accepted: 1, outcomes: { accepted: 1, rejected: 1 } },
      { destination: 'ext:•••2', destinationKind: 'extension', tried: 2, answered: 0, accepted: 0, outcomes: { busy: 1, no_answer: 1 } },
    ]);
    expect(body.recent.map((t: { transferId: string }) => t.transferId)).toEqual(['t-accepted', 't-chain', 't-busy']);
    expect(body.recent[1].steps.map((s: { type: string }) => s.type)).toEqual(expect.arrayContaining(['returned', 'decision', 'ended']));
  });

  it('shows no caller and no more of a number than its last two digits, in the API or on the page', async () => {
    const json = (await summary(api.acmeToken)).body;
    const page = await api.call(api.acmeToken, { method: 'GET', url: '/agents/acme.support/transfers' });
    expect(page.statusCode).toBe(200);
    for (const text of [json, page.body]) {
      expect(text).not.toContain('5550142');
      expect(text).not.toContain('5551234');
      expect(text).not.toContain('1002');
    }
    expect(page.body).toContain('+1 ••• ••• ••34');
    // The raw stream holds none of it either: the worker's lk.pii fields were dropped where it was stored.
    const raw = JSON.stringify(await api.db.store.redis.xrange(api.db.store.keys.stream('acme.support', 'transfers'), '-', '+'));
    expect(raw).not.toContain('5550142');
  });

  it('the administrator reads it too', async () => {
    expect((await summary(ADMIN_TOKEN)).json().totals.transfers).toBe(3);
  });
});

describe('a stream longer than the read cap', () => {
  it('reads only the newest entries, and the answer and the page say so', async () => {
    // 150 transfers of 8 entries: more than the cap, and more than the stream keeps (about 1000).
    const many = Array.from({ length: 150 }, (_, i) => scripted(`many-${i}`, 600 - i * 3, [{ destination: 'ext:1002', outcome: 'rejected', ringS: 2 }]));
    await storeTransfers(api.db, 'acme.busy', many);
    const started = performance.now();
    const body = (await summary(api.acmeToken, 'acme.busy')).json();
    const tookMs = performance.now() - started;
    expect(body.read).toMatchObject({ entries: READ_CAP, cap: READ_CAP, capped: true });
    // The oldest transfers' starts were not read: they are left out, and only whole transfers are counted.
    expect(body.totals.transfers).toBeLessThan(150);
    expect(body.totals.transfers).toBeGreaterThanOrEqual(Math.floor(READ_CAP / 8) - 1);
    expect(body.totals.declined).toBe(body.totals.transfers);
    expect(body.recent[0].transferId).toBe('many-149');
    expect(tookMs).toBeLessThan(2000);
    const page = await api.call(api.acmeToken, { method: 'GET', url: '/agents/acme.busy/transfers' });
    expect(page.body).toMatch(/id="read-cap"[^>]*>Only the newest 1000 timeline entries were read/);
  });
});
