// The transfers page in real headless Chromium, on transfers a job stored through its own writer: signed in from
// the page itself, linked from the settings page and back, its chart bars, hold times and tables holding the
// right numbers, destinations masked and no caller anywhere, all under the page's Content-Security-Policy.
// Saves a screenshot for the README (.stack/screenshots/transfers-page.png).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../stack/local-stack.ts';
import { launchChromium } from '../support/browser.ts';
import { acmeAgent, startApi, type ApiCast } from '../support/settings-api.ts';
import { storeTransfers, type ScriptedTransfer } from '../support/transfer-history.ts';

export const SCREENSHOT = join(repoRoot, '.stack', 'screenshots', 'transfers-page.png');
const CALLER = '+15125550142';
let api: ApiCast;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let base: string;

// A day of one agent: accepted, declined, not answered, a caller who left, spread over the hours.
function day(now: number): ScriptedTransfer[] {
  const at = (hoursAgo: number) => now - hoursAgo * 3600_000;
  const sales = '+15125551234';
  const desk = 'ext:1002';
  const pbx = 'sip:alice@pbx.example.com';
  const plan: Array<[number, ScriptedTransfer['attempts']]> = [
    [0.1, [{ destination: sales, outcome: 'accepted', ringS: 4, briefS: 12 }]],
    [
      0.6,
      [
        { destination: desk, outcome: 'no_answer', ringS: 25 },
        { destination: sales, outcome: 'accepted', ringS: 3, briefS: 18 },
      ],
    ],
    [1.4, [{ destination: sales, outcome: 'rejected', ringS: 6, briefS: 20 }]],
    [2.2, [{ destination: desk, outcome: 'busy', ringS: 1 }]],
    [3.5, [{ destination: sales, outcome: 'accepted', ringS: 9, briefS: 40 }]],
    [5.1, [{ destination: desk, outcome: 'no_answer', ringS: 30 }]],
    [7.3, [{ destination: pbx, outcome: 'accepted', ringS: 2, briefS: 9 }]],
    [9.8, [{ destination: sales, outcome: 'caller_hung_up', ringS: 14 }]],
    [13.2, [{ destination: pbx, outcome: 'accepted', ringS: 5, briefS: 70 }]],
    [
      18.6,
      [
        { destination: desk, outcome: 'no_answer', ringS: 30 },
        { destination: pbx, outcome: 'rejected', ringS: 4, briefS: 25 },
      ],
    ],
    [22.9, [{ destination: sales, outcome: 'accepted', ringS: 7, briefS: 150 }]],
  ];
  return plan.map(([hoursAgo, attempts], i) => ({ transferId: `transfer-${i}`, startMs: at(hoursAgo), caller: CALLER, attempts }));
}

beforeAll(async () => {
  api = await startApi(inject('redisAddress'), 'transfers-page');
  expect((await api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.support', payload: acmeAgent() })).statusCode).toBe(200);
  await storeTransfers(api.db, 'acme.support', day(Date.now()));
  base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

describe('the transfers page', () => {
  it('draws the last day from the stored transfers, masked, and links to the settings page and back', async () => {
    const page = await browser.context.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) blocked.push(message.text());
    });
    // Signing in on the transfers page leads back to it.
    await page.goto(`${base}/agents/acme.support/transfers`);
    await page.fill('#token', api.acmeToken);
    await Promise.all([page.waitForURL(`${base}/agents/acme.support/transfers`), page.click('#sign-in')]);

    expect(await page.textContent('#transfer-count')).toBe('11');
    const totals = await page.$$eval('#totals li', (items) => items.map((li) => [li.getAttribute('data-group'), li.querySelector('b')?.textContent]));
    expect(Object.fromEntries(totals)).toEqual({ accepted: '6', declined: '2', unanswered: '2', caller_left: '1', failed: '0', open: '0' });

    // The chart's bars add up to the same counts, each in its own colour group.
    const bars = await page.$$eval('#outcome-chart rect[data-group]', (rects) =>
      rects.map((r) => [r.getAttribute('data-group'), Number(r.getAttribute('data-count'))] as const),
    );
    const drawn: Record<string, number> = {};
    for (const [group, count] of bars) drawn[group!] = (drawn[group!] ?? 0) + count;
    expect(drawn).toEqual({ accepted: 6, declined: 2, unanswered: 2, caller_left: 1 });
    const heights = await page.$$eval('#outcome-chart rect[data-group]', (rects) => rects.map((r) => r.getBoundingClientRect().height));
    expect(heights.every((h) => h > 0)).toBe(true);

    // Time on hold: every transfer here ended after a hold.
    const hold = await page.$$eval('#hold-chart rect[data-bucket]', (rects) =>
      rects.map((r) => [r.getAttribute('data-bucket'), Number(r.getAttribute('data-count'))]),
    );
    expect(Object.fromEntries(hold)).toEqual({ 'under 10 s': 1, '10–20 s': 3, '20–30 s': 1, '30–60 s': 3, '1–2 min': 2, '2–5 min': 1, '5 min or more': 0 });
    expect(await page.textContent('#hold-median')).toBe('31 s');
    expect(await page.textContent('#hold-longest')).toBe('2 min 38 s');

    // Destinations, masked; the one that never answered stands out.
    const rows = await page.$$eval('#destinations tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows).toEqual([
      ['+1 ••• ••• ••34', '6', '5', '4', 'rejected 1, caller_hung_up 1'],
      ['ext:•••2 never answered', '4', '0', '0', 'no_answer 3, busy 1'],
      ['sip:•••@pbx.example.com', '3', '3', '2', 'rejected 1'],
    ]);
    expect(await page.getAttribute('#destinations tbody tr:nth-child(2)', 'class')).toBe('never');

    // Recent transfers, newest first, each with its timeline.
    const recent = await page.$$eval('#recent tbody tr[data-transfer]', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent)),
    );
    expect(recent).toHaveLength(11);
    expect(recent[0]).toEqual(['+1 ••• ••• ••34', 'Accepted', '17 s']);
    expect(recent[1]).toEqual(['ext:•••2 → +1 ••• ••• ••34', 'Accepted', '48 s']);
    expect(recent[2]).toEqual(['+1 ••• ••• ••34', 'Declined (rejected)', '27 s']);
    expect(await page.textContent('#recent tr.timeline')).toMatch(/^started 0\.0 s · hold_started 0\.4 s · dialing 0\.6 s · ringing 0\.9 s · answered 4\.9 s/);

    // No caller, and no destination beyond its last two digits, anywhere on the page.
    const text = await page.content();
    for (const secret of ['5550142', '5551234', '1002', 'alice']) expect(text).not.toContain(secret);
    expect(await page.$('#read-cap')).toBeNull();

    mkdirSync(join(repoRoot, '.stack', 'screenshots'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // To the settings page and back.
    await Promise.all([page.waitForURL(`${base}/agents/acme.support`), page.click('#settings-page')]);
    expect(await page.$('#rules')).not.toBeNull();
    await Promise.all([page.waitForURL(`${base}/agents/acme.support/transfers`), page.click('#transfers-page')]);
    expect(await page.textContent('#transfer-count')).toBe('11');
    expect(blocked).toEqual([]);
    await page.close();
  });
});
