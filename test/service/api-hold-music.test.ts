// Upload Hold Music: at most 4 MB, checked by content (413 too big, 415 not MP3/WAV whatever its name,
// 422 damaged or empty), as the raw body or the multipart field `file`; decoded once, stored, played
// back, and a refused upload keeps the music there was.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HOLD_SAMPLE_RATE } from '../../settings/music/hold-audio.ts';
import { goertzelPower } from '../../phones/audio.ts';
import { acmeAgent, ADMIN_TOKEN, startApi, type ApiCast } from '../support/settings-api.ts';
import { toneMp3, toneWav } from '../support/settings-store.ts';

const LIMIT = 4 * 1024 * 1024;
let api: ApiCast;

function multipart(filename: string, data: Buffer, type = 'application/octet-stream', field = 'file') {
  const boundary = `----wt${Math.random().toString(16).slice(2)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`;
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat([Buffer.from(head), data, Buffer.from(`\r\n--${boundary}--\r\n`)]),
  };
}

const upload = (options: { headers: Record<string, string>; payload: Buffer }) =>
  api.call(api.acmeToken, { method: 'POST', url: '/v1/agents/support/hold-music', ...options });
const raw = (type: string, data: Buffer, name?: string) =>
  upload({ headers: { 'content-type': type, ...(name ? { 'x-file-name': name } : {}) }, payload: data });
const current = async () => (await api.call(api.acmeToken, { method: 'GET', url: '/v1/agents/support/warm-transfer' })).json().holdMusic;

/** Which of two frequencies dominates stored samples (at HOLD_SAMPLE_RATE). */
function louder(samples: Int16Array, a: number, b: number): number {
  // goertzelPower assumes 8 kHz; scaling the frequencies by the rate ratio measures the same bins.
  const scale = 8000 / HOLD_SAMPLE_RATE;
  const window = samples.subarray(0, HOLD_SAMPLE_RATE / 2);
  return goertzelPower(window, a * scale) > goertzelPower(window, b * scale) ? a : b;
}

beforeAll(async () => {
  api = await startApi(inject('redisAddress'), 'music');
  // The administrator creates 'support' for acme (an organization creates only 'acme.*' ids itself).
  expect((await api.call(ADMIN_TOKEN, { method: 'PUT', url: '/v1/agents/support', payload: acmeAgent() })).statusCode).toBe(200);
});
afterAll(async () => {
  await api?.close();
});

describe('valid uploads', () => {
  it('a WAV as the raw body is stored, decoded to the samples workers play, and played back as it was sent', async () => {
    const wav = toneWav(660);
    const response = await raw('audio/wav', wav, 'tone-660.wav');
    expect(response.statusCode).toBe(201);
    const info = response.json();
    expect(info).toMatchObject({ format: 'wav', bytes: wav.length, name: 'tone-660.wav' });
    expect(info.durationMs).toBeGreaterThan(1800);
    const back = await api.call(api.acmeToken, { method: 'GET', url: '/v1/agents/support/hold-music' });
    expect(back.statusCode).toBe(200);
    expect(back.headers['content-type']).toBe('audio/wav');
    expect(Buffer.compare(back.rawPayload, wav)).toBe(0);
    const samples = await api.db.store.holdMusicSamples('support', info.sha256);
    expect(samples && louder(samples, 660, 440)).toBe(660);
  });

  it('an MP3 as multipart field `file` is stored and played back as audio/mpeg', async () => {
    const mp3 = toneMp3(880);
    const versionBefore = await api.db.store.agentVersion('support');
    const response = await upload(multipart('tone-880.mp3', mp3, 'audio/mpeg'));
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ format: 'mp3', bytes: mp3.length, name: 'tone-880.mp3' });
    expect(await api.db.store.agentVersion('support')).toBe((versionBefore ?? 0) + 1);
    const back = await api.call(api.acmeToken, { method: 'GET', url: '/v1/agents/support/hold-music' });
    expect(back.headers['content-type']).toBe('audio/mpeg');
    expect(back.rawPayload.length).toBe(mp3.length);
    const samples = await api.db.store.holdMusicSamples('support', response.json().sha256);
    expect(samples && louder(samples, 880, 660)).toBe(880);
  });
});

describe('refused uploads keep the music there was', () => {
  let before: unknown;
  beforeAll(async () => {
    before = await current();
    expect(before).toMatchObject({ format: 'mp3' });
  });

  it('4 MB + 1 byte as the raw body: 413', async () => {
    const response = await raw('audio/mpeg', Buffer.alloc(LIMIT + 1, 0xff));
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toContain('larger than 4 MB');
    expect(await current()).toEqual(before);
  });

  it('4 MB + 1 byte as multipart: 413', async () => {
    const response = await upload(multipart('big.wav', Buffer.concat([toneWav(440).subarray(0, 44), Buffer.alloc(LIMIT + 1 - 44)]), 'audio/wav'));
    expect(response.statusCode).toBe(413);
    expect(await current()).toEqual(before);
  });

  it('a text file named .mp3: 415, whatever the name and type say', async () => {
    const text = Buffer.from('This is not music, just a text file someone renamed.\n');
    const multi = await upload(multipart('song.mp3', text, 'audio/mpeg'));
    expect(multi.statusCode).toBe(415);
    expect(multi.json().error).toBe("hold music 'song.mp3' is not an MP3 or WAV file (it starts with 'This is ')");
    expect((await raw('audio/mpeg', text, 'song.mp3')).statusCode).toBe(415);
    expect(await current()).toEqual(before);
  });

  it('a truncated WAV: 422', async () => {
    const cut = toneWav(440).subarray(0, 3000);
    const response = await upload(multipart('cut.wav', Buffer.from(cut), 'audio/wav'));
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toBe("hold music 'cut.wav' is a truncated WAV: the 'data' chunk declares 32000 bytes but only 2956 follow");
    expect(await current()).toEqual(before);
  });

  it('a truncated MP3 (its first frame cut short): 422', async () => {
    const response = await raw('audio/mpeg', toneMp3(440).subarray(0, 100), 'cut.mp3');
    expect(response.statusCode).toBe(422);
    expect(await current()).toEqual(before);
  });

  it('a zero-byte file: 422, raw or multipart', async () => {
    const rawEmpty = await raw('audio/wav', Buffer.alloc(0), 'empty.wav');
    expect(rawEmpty.statusCode).toBe(422);
    expect(rawEmpty.json().error).toBe("hold music 'empty.wav' is empty (0 bytes)");
    expect((await upload(multipart('empty.mp3', Buffer.alloc(0)))).statusCode).toBe(422);
    expect(await current()).toEqual(before);
  });

  it('a body that is not audio or multipart: 415; multipart without a file field: 422', async () => {
    expect((await raw('text/plain', Buffer.from('hello'))).statusCode).toBe(415);
    expect((await upload(multipart('a.wav', toneWav(440), 'audio/wav', 'music'))).statusCode).toBe(422);
    expect(await current()).toEqual(before);
  });
});

describe('DELETE', () => {
  it('returns to the built-in music, which GET then plays', async () => {
    const response = await api.call(api.acmeToken, { method: 'DELETE', url: '/v1/agents/support/hold-music' });
    expect(response.json()).toEqual({ holdMusic: null });
    expect(await current()).toBeNull();
    const back = await api.call(api.acmeToken, { method: 'GET', url: '/v1/agents/support/hold-music' });
    expect(back.statusCode).toBe(200);
    expect(back.headers['content-type']).toBe('audio/ogg');
    expect(back.rawPayload.subarray(0, 4).toString()).toBe('OggS');
    expect(await api.db.store.holdMusicFile('support')).toBeUndefined();
  });
});
