// What a worker reads from the settings store per call: the agent as it is when the call starts (a
// change applies from the next call, a call keeps its snapshot), hold music decoded by the service, and
// events it writes back to the agent's streams.
import { initializeLogger } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { allowedDestinations } from '../../settings/rules/plan.ts';
import { warmTransferEnabled } from '../../settings/settings.ts';
import { StoreSettingsSource } from '../../agent/call-settings/store.ts';
import { HOLD_SAMPLE_RATE } from '../../settings/music/hold-audio.ts';
import type { TimelineEntry } from '../../agent/transfer/timeline.ts';
import { writeAgent } from '../../settings-service/agents.ts';
import { checkUpload } from '../../settings-service/hold-music-upload.ts';
import { eventually } from '../support/rooms.ts';
import { acmeAgent } from '../support/settings-api.ts';
import { testStore, toneWav, type TestStore } from '../support/settings-store.ts';

let db: TestStore;
let source: StoreSettingsSource;

async function upload(freqHz: number) {
  const data = toneWav(freqHz);
  const check = await checkUpload(data, `tone-${freqHz}.wav`);
  if (!check.ok) throw new Error(check.error);
  const info = {
    sha256: check.sha256,
    format: check.format,
    bytes: data.length,
    name: `tone-${freqHz}.wav`,
    durationMs: check.durationMs,
    uploadedAt: new Date().toISOString(),
  };
  await db.store.putHoldMusic('support', info, data, Buffer.from(check.pcm.buffer, check.pcm.byteOffset, check.pcm.byteLength));
  return check.pcm;
}

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'warn' });
  db = testStore(inject('redisAddress'), 'source');
  await db.store.putOrganization({ id: 'acme', warmTransferAvailable: true });
  expect((await writeAgent(db.store, 'support', acmeAgent())).ok).toBe(true);
  source = await StoreSettingsSource.open(db.url, db.prefix);
});
afterAll(async () => {
  await source?.store.close();
  await db?.close();
});

describe('settings for a call from the store', () => {
  it('reads the agent, with the built-in music until one is uploaded', async () => {
    const call = await source.forCall('support');
    expect(allowedDestinations(call.settings.warmTransfer.plan).map((d) => d.kind)).toEqual(['extension', 'phone']);
    expect(call.music.source).toContain('hold_music.ogg');
  });

  it("an agent whose webhookUrl the service's allow list let in is read by a worker without that setting", async () => {
    // The service allows a loopback receiver; the worker, which never sends webhooks, has no such setting.
    process.env.SETTINGS_WEBHOOK_ALLOWED_HOSTS = '127.0.0.1';
    try {
      expect((await writeAgent(db.store, 'hooked', acmeAgent({ webhookUrl: 'http://127.0.0.1:9/hooks' }))).ok).toBe(true);
    } finally {
      delete process.env.SETTINGS_WEBHOOK_ALLOWED_HOSTS;
    }
    const call = await source.forCall('hooked');
    expect(allowedDestinations(call.settings.warmTransfer.plan).map((d) => d.kind)).toEqual(['extension', 'phone']);
  });

  it('a change applies to the next call; the call in progress keeps its snapshot', async () => {
    const first = await source.forCall('support');
    expect(await source.forCall('support')).toBe(first); // unchanged version: the cached copy
    const written = await writeAgent(
      db.store,
      'support',
      acmeAgent({ warmTransfer: { enabled: true, rules: 'If they ask for sales, warm transfer to ext:2001.', ringingTimeoutSeconds: 12 } }),
    );
    expect(written.ok).toBe(true);
    const pcm = await upload(660);
    const next = await source.forCall('support');
    expect(next.version).toBeGreaterThan(first.version);
    expect(next.settings.warmTransfer.rulesText).toBe('If they ask for sales, warm transfer to ext:2001.');
    expect(next.settings.warmTransfer.ringingTimeoutMs).toBe(12_000);
    expect(next.music.samples).toEqual(pcm);
    expect(next.music.durationMs).toBeCloseTo((pcm.length / HOLD_SAMPLE_RATE) * 1000);
    // The first call's settings object was not touched.
    expect(first.settings.warmTransfer.rulesText).toContain('billing dispute');
    expect(first.music.source).toContain('hold_music.ogg');
  });

  it('an organization switched off removes warm transfer from the next call', async () => {
    await db.store.putOrganization({ id: 'acme', warmTransferAvailable: false });
    // The agent still answers calls; only the transfer tool is gone.
    const call = await source.forCall('support');
    expect(call.settings.warmTransfer.enabled).toBe(true);
    expect(warmTransferEnabled(call.settings)).toBe(false);
    await db.store.putOrganization({ id: 'acme', warmTransferAvailable: true });
  });

  it('an unknown agent is an error, not a guess', async () => {
    await expect(source.forCall('nobody')).rejects.toThrow("the settings store has no agent 'nobody'");
  });

  it('timeline entries and messages go to the streams without their lk.pii fields; a message keeps what the caller left', async () => {
    const entry = {
      transferId: 't-9',
      type: 'dialing',
      at: new Date().toISOString(),
      elapsedMs: 5,
      destinationKind: 'extension',
      'lk.pii.destination': 'ext:2001',
      'lk.pii.phone_number': '+15125550142',
    } as TimelineEntry;
    source.publishTimeline('support', entry);
    await source.publishMessage({
      at: entry.at,
      agentId: 'support',
      name: 'Dana',
      callbackNumber: '+15125550100',
      message: 'Hi',
      'lk.pii.caller_number': '+15125550142',
      'lk.pii.room_name': 'call_+15125550142_x',
    });
    await eventually(async () => (await db.store.recentEvents('support', 'transfers', 1)).length === 1, 5000, 'the timeline entry stored');
    const raw = await Promise.all(
      ['transfers', 'messages'].map((kind) => db.store.redis.xrange(db.store.keys.stream('support', kind as 'transfers' | 'messages'), '-', '+')),
    );
    expect(JSON.stringify(raw)).not.toContain('lk.pii');
    const [timeline] = await db.store.recentEvents('support', 'transfers', 1);
    expect(timeline?.data).toEqual({ transferId: 't-9', type: 'dialing', at: entry.at, elapsedMs: 5, destinationKind: 'extension' });
    const [message] = await db.store.recentEvents('support', 'messages', 1);
    expect(message?.data).toEqual({ at: entry.at, name: 'Dana', callbackNumber: '+15125550100', message: 'Hi' });
  });
});
