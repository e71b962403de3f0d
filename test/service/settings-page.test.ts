// The settings page in real headless Chromium: sign in, change the rules and see the plan read back,
// upload hold music and see it accepted, upload 5 MB and see the error, switch pass-through off, reload
// and find everything kept, all under the page's Content-Security-Policy; then sign out. Saves a screenshot
// for the README (.stack/screenshots/settings-page.png).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../stack/local-stack.ts';
import { launchChromium } from '../support/browser.ts';
import { acmeAgent, ADMIN_TOKEN, startApi, type ApiCast } from '../support/settings-api.ts';
import { toneWav } from '../support/settings-store.ts';

export const SCREENSHOT = join(repoRoot, '.stack', 'screenshots', 'settings-page.png');
let api: ApiCast;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let base: string;
const files = mkdtempSync(join(tmpdir(), 'page-uploads-'));

beforeAll(async () => {
  api = await startApi(inject('redisAddress'), 'page');
  // Ids outside an organization's own namespace ('acme.*') are the administrator's to create.
  expect((await api.call(ADMIN_TOKEN, { method: 'PUT', url: '/v1/agents/support', payload: acmeAgent() })).statusCode).toBe(200);
  const desk = { organizationId: 'globex', warmTransfer: { enabled: false } };
  expect((await api.call(ADMIN_TOKEN, { method: 'PUT', url: '/v1/agents/desk', payload: desk })).statusCode).toBe(200);
  await api.db.store.appendEvent('support', 'transfer.timeline', { transferId: 'a1b2c3d4-transfer', type: 'started' });
  await api.db.store.appendEvent('support', 'transfer.timeline', { transferId: 'a1b2c3d4-transfer', type: 'ended', outcome: 'bridged' });
  await api.db.store.appendEvent('support', 'message.taken', {
    name: 'Dana Caller',
    callbackNumber: '+15125550142',
    message: 'Please call me about the double charge.',
  });
  base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  writeFileSync(join(files, 'tone.wav'), toneWav(660));
  writeFileSync(join(files, 'big.wav'), Buffer.concat([toneWav(440).subarray(0, 44), Buffer.alloc(5 * 1024 * 1024)]));
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

async function signIn(page: Page, agentId: string, token: string) {
  await page.context().clearCookies();
  await page.goto(`${base}/agents/${agentId}`);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(`${base}/agents/${agentId}`), page.click('#sign-in')]);
}

describe('the settings page', () => {
  it('edits the Warm Transfer section, uploads hold music, and keeps it all across a reload', async () => {
    const page = await browser.context.newPage();
    // The page runs under its Content-Security-Policy: anything it blocked would be reported here.
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) blocked.push(message.text());
    });
    await signIn(page, 'support', api.acmeToken);
    await expect.poll(() => page.textContent('#plan')).toContain('billing dispute → ext:1002, then +15125551234 (confirm first: no)');

    // The plan is read back as the rules are typed, before anything is saved.
    await page.fill(
      '#rules',
      'If the caller asks for sales, warm transfer to ext:2001.\n\nIf the caller asks for Eric, warm transfer to +1 512 555 1234. First confirm with the caller.',
    );
    await expect.poll(() => page.textContent('#plan'), { timeout: 5000 }).toContain('sales → ext:2001 (confirm first: no)');
    expect(await page.textContent('#plan')).toContain('Eric → +15125551234 (confirm first: yes)');
    await page.click('#save');
    await expect.poll(() => page.textContent('#save-status')).toBe('Saved.');
    expect((await api.db.store.agent('support'))?.document.warmTransfer).toMatchObject({ rules: expect.stringContaining('ext:2001') });

    // What the rules name but never dial shows under its own heading, the sentence quoted, as it is typed.
    await page.fill('#rules', 'If the caller asks for sales, warm transfer to ext:2001.\n\nTransfer to ext:1999 only with manager approval.');
    await expect
      .poll(() => page.textContent('#plan'), { timeout: 5000 })
      .toContain('not dialled (named in the rules, but no sentence tells the agent to transfer there):');
    expect(await page.textContent('#plan .heading')).toBe('not dialled (named in the rules, but no sentence tells the agent to transfer there):');
    expect(await page.textContent('#plan .not-dialled')).toContain("ext:1999 (rule 2): the sentence restricts it ('only')");
    expect(await page.textContent('#plan .not-dialled')).toContain("'Transfer to ext:1999 only with manager approval.'");

    // Bad rules: not saved, every problem shown.
    await page.fill('#rules', 'If they want flowers, warm transfer to 1-800-FLOWERS.');
    await expect.poll(() => page.textContent('#plan')).toContain("'1-800-FLOWERS' is not a phone number");
    await page.click('#save');
    await expect.poll(() => page.textContent('#save-problems')).toContain('rule 1');
    expect((await api.db.store.agent('support'))?.document.warmTransfer).toMatchObject({ rules: expect.stringContaining('ext:2001') });

    await page.setInputFiles('#hold-music-file', join(files, 'tone.wav'));
    await page.click('#upload');
    await expect.poll(() => page.textContent('#upload-status'), { timeout: 10_000 }).toMatch(/^Accepted: tone\.wav \(WAV, 2 s\)\.$/);
    expect((await api.db.store.agent('support'))?.holdMusic).toMatchObject({ name: 'tone.wav', format: 'wav' });

    await page.setInputFiles('#hold-music-file', join(files, 'big.wav'));
    await page.click('#upload');
    await expect.poll(() => page.textContent('#upload-status'), { timeout: 10_000 }).toBe('Not accepted: the upload is larger than 4 MB (4194304 bytes)');
    expect((await api.db.store.agent('support'))?.holdMusic).toMatchObject({ name: 'tone.wav' });

    expect(await page.isChecked('#pass-through')).toBe(true);
    await page.uncheck('#pass-through');
    await page.fill('#rules', 'If the caller asks for sales, warm transfer to ext:2001.');
    await page.click('#save');
    await expect.poll(() => page.textContent('#save-status')).toBe('Saved.');

    await page.reload();
    expect(await page.isChecked('#pass-through')).toBe(false);
    expect(await page.isChecked('#enabled')).toBe(true);
    expect(await page.inputValue('#rules')).toBe('If the caller asks for sales, warm transfer to ext:2001.');
    expect(await page.textContent('#plan')).toContain('sales → ext:2001 (confirm first: no)');
    expect(await page.textContent('#hold-music-name')).toContain('tone.wav');
    expect(await page.textContent('#transfers')).toContain('bridged');
    expect(await page.textContent('#messages')).toContain('Dana Caller');
    // The player plays the stored file back.
    // (A string, not a function: the tests are compiled without the DOM's types.)
    const played = await page.evaluate(`fetch(document.getElementById('player').src)
      .then((response) => ({ status: response.status, type: response.headers.get('content-type') }))`);
    expect(played).toEqual({ status: 200, type: 'audio/wav' });

    mkdirSync(join(repoRoot, '.stack', 'screenshots'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(blocked).toEqual([]);
    await page.close();
  });

  it('signs out: the session ends, and the page asks for a token again', async () => {
    const page = await browser.context.newPage();
    await signIn(page, 'support', api.acmeToken);
    expect(await page.$('#rules')).not.toBeNull();
    await Promise.all([page.waitForURL(`${base}/agents/support`), page.click('#sign-out')]);
    expect(await page.$('#token')).not.toBeNull();
    await page.reload();
    expect(await page.$('#token')).not.toBeNull();
    expect(await page.$('#rules')).toBeNull();
    await page.close();
  });

  it('tells an organization without warm transfer to contact its administrator', async () => {
    const page = await browser.context.newPage();
    await signIn(page, 'desk', api.globexToken);
    expect(await page.textContent('#unavailable')).toContain('Contact your administrator');
    expect(await page.$('#rules')).toBeNull();
    await page.close();
  });

  it("does not show another organization's agent, nor any agent without a valid token", async () => {
    const page = await browser.context.newPage();
    await signIn(page, 'support', api.globexToken);
    expect(await page.textContent('body')).toContain('This token belongs to another organization.');
    expect(await page.$('#rules')).toBeNull();
    await page.goto(`${base}/agents/support`);
    await page.fill('#token', 'wto_guess');
    await page.click('#sign-in');
    expect(await page.textContent('body')).toContain('That token is not valid.');
    await page.close();
  });
});
