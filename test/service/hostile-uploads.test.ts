// Attacks on Upload Hold Music by an organization's token (issue 18): a small file that plays for an hour and
// decodes to hundreds of MB, a WAV that smuggles another codec past the header check, more music than the
// organization may keep, and file names that are not names. Each is refused with the problem named, and
// a refused upload changes nothing.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HOLD_SAMPLE_RATE } from '../../settings/music/hold-audio.ts';
import { acmeAgent, ADMIN_TOKEN, startApi, type ApiCast } from '../support/settings-api.ts';
import { toneMp3, toneWav } from '../support/settings-store.ts';

const ELEVEN_MINUTES_S = 660;

function chunk(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body, Buffer.alloc(body.length % 2)]);
}

function riff(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE'), ...chunks]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.from('RIFF'), size, body]);
}

const KS_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

/** A WAVE_FORMAT_EXTENSIBLE fmt chunk with sub-format `guid` (16 bytes). */
function extensibleFmt(guid: number[], { sampleRate = 8000, blockAlign = 1, bits = 16 } = {}): Buffer {
  const body = Buffer.alloc(40);
  body.writeUInt16LE(0xfffe, 0);
  body.writeUInt16LE(1, 2);
  body.writeUInt32LE(sampleRate, 4);
  body.writeUInt32LE(sampleRate * blockAlign, 8);
  body.writeUInt16LE(blockAlign, 12);
  body.writeUInt16LE(bits, 14);
  body.writeUInt16LE(22, 16); // cbSize
  body.writeUInt16LE(bits, 18); // valid bits
  body.writeUInt32LE(4, 20); // front centre
  Buffer.from(guid).copy(body, 24);
  return chunk('fmt ', body);
}

/** 8-bit unsigned PCM, mono, at `sampleRate`: the fewest bytes per second a WAV can declare. */
function lowRateWav(seconds: number, sampleRate = 1000): Buffer {
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(1, 0);
  fmt.writeUInt16LE(1, 2);
  fmt.writeUInt32LE(sampleRate, 4);
  fmt.writeUInt32LE(sampleRate, 8);
  fmt.writeUInt16LE(1, 12);
  fmt.writeUInt16LE(8, 14);
  const samples = Buffer.alloc(seconds * sampleRate);
  for (let i = 0; i < samples.length; i++) samples[i] = 128 + Math.round(60 * Math.sin((2 * Math.PI * 100 * i) / sampleRate));
  return riff(chunk('fmt ', fmt), chunk('data', samples));
}

let api: ApiCast;

const upload = (agentId: string, data: Buffer, type: string, name = 'music') =>
  api.call(api.acmeToken, { method: 'POST', url: `/v1/agents/${agentId}/hold-music`, headers: { 'content-type': type, 'x-file-name': name }, payload: data });

/** What a refused upload must leave as it was: the agent's version, its music, and the stored file. */
async function snapshot(agentId: string) {
  return {
    version: await api.db.store.agentVersion(agentId),
    music: (await api.db.store.agent(agentId))?.holdMusic ?? null,
    file: await api.db.store.holdMusicFile(agentId),
  };
}

/** The administrator creates acme's agents (an organization creates only 'acme.*' ids); acme uploads. */
async function putAgent(agentId: string) {
  const response = await api.call(ADMIN_TOKEN, { method: 'PUT', url: `/v1/agents/${agentId}`, payload: acmeAgent() });
  expect(response.statusCode).toBe(200);
}

// Three 2-second WAVs (32 KB each, 96 KB of samples at 24 kHz) fit; a fourth does not.
const TONE_STORED_BYTES = toneWav(440).length + 2 * 2 * HOLD_SAMPLE_RATE;
const QUOTA = Math.round(TONE_STORED_BYTES * 3.5);

beforeAll(async () => {
  api = await startApi(inject('redisAddress'), 'hostile-uploads', {
    uploads: { maxDurationMs: 600_000, decodeTimeoutMs: 20_000, organizationMusicBytes: QUOTA },
  });
  for (const agentId of ['support', 'a1', 'a2', 'a3', 'a4', 'm1', 'm2', 'm3', 'm4', 'c1', 'c2', 'c3', 'c4', 'c5', 'names']) await putAgent(agentId);
});
afterAll(async () => {
  await api?.close();
});

describe('a small file that plays past the cap', () => {
  it('an MP3 of 11 minutes at 8 kbit/s (660 KB) is refused quickly by its frame headers, and nothing is stored', async () => {
    const mp3 = toneMp3(440, ELEVEN_MINUTES_S, 8);
    expect(mp3.length).toBeLessThan(700_000);
    const before = await snapshot('support');
    const started = Date.now();
    const response = await upload('support', mp3, 'audio/mpeg', 'long.mp3');
    const elapsedMs = Date.now() - started;
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatch(/^hold music 'long\.mp3' plays 66\d s \(11\.0 min\) by its headers; the limit is 600 s \(10\.0 min\)$/);
    // Generous: refusing by the headers takes milliseconds; decoding 11 minutes took seconds.
    expect(elapsedMs).toBeLessThan(5000);
    expect(await snapshot('support')).toEqual(before);
  });

  it('a WAV of 11 minutes at 1 kHz, 8 bits (660 KB) is refused by its data size, and nothing is stored', async () => {
    const before = await snapshot('support');
    const response = await upload('support', lowRateWav(ELEVEN_MINUTES_S), 'audio/wav', 'long.wav');
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toBe("hold music 'long.wav' plays 660 s (11.0 min) by its headers; the limit is 600 s (10.0 min)");
    expect(await snapshot('support')).toEqual(before);
  });
});

describe('codecs other than PCM, float, A-law and µ-law inside a WAV', () => {
  it('WAVE_FORMAT_EXTENSIBLE whose sub-format GUID is MP3 (carrying real MP3 frames) is refused, and nothing is stored', async () => {
    const wav = riff(extensibleFmt([0x55, 0x00, ...KS_TAIL]), chunk('data', toneMp3(440, 2)));
    const before = await snapshot('support');
    const response = await upload('support', wav, 'audio/wav', 'smuggled.wav');
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toBe(
      "hold music 'smuggled.wav' is not a usable WAV: its WAVE_FORMAT_EXTENSIBLE sub-format is audio format 85 (MP3), not PCM, float, A-law or µ-law",
    );
    expect(await snapshot('support')).toEqual(before);
  });
});

describe('a decode that runs too long', () => {
  it('is killed at the timer and answered 422 with the reason, and nothing is stored', async () => {
    // A service whose kill timer is 1 ms: any decode outlasts it, as a pathological file would the 20 s one.
    const impatient = await startApi(inject('redisAddress'), 'hostile-uploads-timer', {
      uploads: { maxDurationMs: 600_000, decodeTimeoutMs: 1, organizationMusicBytes: 256 * 1024 * 1024 },
    });
    try {
      expect((await impatient.call(ADMIN_TOKEN, { method: 'PUT', url: '/v1/agents/support', payload: acmeAgent() })).statusCode).toBe(200);
      const response = await impatient.call(impatient.acmeToken, {
        method: 'POST',
        url: '/v1/agents/support/hold-music',
        headers: { 'content-type': 'audio/wav', 'x-file-name': 'slow.wav' },
        payload: toneWav(440, 30),
      });
      expect(response.statusCode).toBe(422);
      expect(response.json().error).toBe("hold music 'slow.wav' does not decode as WAV audio: decoding took longer than 1 ms and was stopped");
      expect((await impatient.db.store.agent('support'))?.holdMusic).toBeUndefined();
      expect(await impatient.db.store.holdMusicFile('support')).toBeUndefined();
    } finally {
      await impatient.close();
    }
  });
});

describe('file names are untrusted text', () => {
  it('a multipart filename with a path, control characters, a bidi override and 5000 characters is stored as a short, clean last segment', async () => {
    const hostile = `../../etc/passwd/\u0007\u001b[31m\u202eevil\r\n${'x'.repeat(5000)}.wav`;
    const boundary = '----hostile-names';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${hostile.replaceAll('\r\n', '')}"\r\nContent-Type: audio/wav\r\n\r\n`;
    const payload = Buffer.concat([Buffer.from(head), toneWav(440), Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const response = await api.call(api.acmeToken, {
      method: 'POST',
      url: '/v1/agents/names/hold-music',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    });
    expect(response.statusCode).toBe(201);
    const name: string = response.json().name;
    expect((await api.db.store.agent('names'))?.holdMusic?.name).toBe(name);
    expect(name.length).toBeLessThanOrEqual(100);
    // eslint-disable-next-line no-control-regex -- the name must hold no control characters: that is what is checked
    expect(name).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069/\\]/);
    expect(name).toMatch(/evilx+$/);
  });

  it('an x-file-name header of 10000 characters with a path is cut to its last segment, 100 characters at most, also in error messages', async () => {
    const refused = await upload('names', Buffer.from('not music at all'), 'audio/wav', `C:\\Windows\\${'y'.repeat(10_000)}`);
    expect(refused.statusCode).toBe(415);
    expect(refused.json().error).toBe(`hold music '${'y'.repeat(100)}' is not an MP3 or WAV file (it starts with 'not musi')`);
  });
});

describe("the organization's hold music quota", () => {
  const tone = (freqHz: number) => toneWav(freqHz);
  beforeAll(async () => {
    // Earlier tests may have stored music for this organization: start from none.
    for (const agentId of await api.db.store.agentIds()) await api.db.store.clearHoldMusic(agentId);
  });

  it('is refused past the quota, naming the quota and the usage; replacing music needs room for the new file only; cleared and deleted music frees room', async () => {
    for (const agentId of ['a1', 'a2', 'a3']) expect((await upload(agentId, tone(440), 'audio/wav')).statusCode).toBe(201);
    const before = await snapshot('a4');
    const refused = await upload('a4', tone(550), 'audio/wav');
    expect(refused.statusCode).toBe(422);
    const used = 3 * TONE_STORED_BYTES;
    expect(refused.json().error).toBe(
      `organization acme's hold music quota is ${(QUOTA / 1048576).toFixed(1)} MB (${QUOTA} bytes): its other agents' music uses ${(used / 1048576).toFixed(1)} MB (${used} bytes) and this music needs ${(TONE_STORED_BYTES / 1048576).toFixed(1)} MB (${TONE_STORED_BYTES} bytes) (the file and its decoded samples); delete or shorten some music first`,
    );
    expect(await snapshot('a4')).toEqual(before);

    // a1 at the quota's edge replaces its own music: only the new file counts.
    expect((await upload('a1', tone(660), 'audio/wav')).statusCode).toBe(201);
    // Clearing a2's music makes room for a4; deleting a3 (with its music) makes room for one more.
    expect((await api.call(api.acmeToken, { method: 'DELETE', url: '/v1/agents/a2/hold-music' })).statusCode).toBe(200);
    expect((await upload('a4', tone(550), 'audio/wav')).statusCode).toBe(201);
    expect((await upload('support', tone(550), 'audio/wav')).statusCode).toBe(422);
    await api.db.store.deleteAgent('a3');
    expect((await upload('support', tone(550), 'audio/wav')).statusCode).toBe(201);
  });

  it('an agent moved to another organization takes its music along: its old organization has room again', async () => {
    for (const agentId of await api.db.store.agentIds()) await api.db.store.clearHoldMusic(agentId);
    for (const agentId of ['m1', 'm2', 'm3']) expect((await upload(agentId, tone(440), 'audio/wav')).statusCode).toBe(201);
    expect((await upload('m4', tone(550), 'audio/wav')).statusCode).toBe(422);
    const moved = await api.call(ADMIN_TOKEN, {
      method: 'PUT',
      url: '/v1/agents/m1',
      payload: acmeAgent({ organizationId: 'globex', warmTransfer: { enabled: false } }),
    });
    expect(moved.statusCode).toBe(200);
    expect((await api.db.store.agent('m1'))?.holdMusic).toBeDefined();
    expect((await upload('m4', tone(550), 'audio/wav')).statusCode).toBe(201);
    // globex now keeps m1's music: its agents have room for two more, not three.
    for (const agentId of ['g1', 'g2', 'g3']) {
      expect(
        (
          await api.call(ADMIN_TOKEN, {
            method: 'PUT',
            url: `/v1/agents/${agentId}`,
            payload: acmeAgent({ organizationId: 'globex', warmTransfer: { enabled: false } }),
          })
        ).statusCode,
      ).toBe(200);
    }
    const globexUpload = (agentId: string) =>
      api.call(api.globexToken, { method: 'POST', url: `/v1/agents/${agentId}/hold-music`, headers: { 'content-type': 'audio/wav' }, payload: tone(440) });
    expect((await globexUpload('g1')).statusCode).toBe(201);
    expect((await globexUpload('g2')).statusCode).toBe(201);
    expect((await globexUpload('g3')).statusCode).toBe(422);
  });

  it('uploads at once to five agents of an organization with room for three: exactly three are stored', async () => {
    for (const agentId of await api.db.store.agentIds()) await api.db.store.clearHoldMusic(agentId);
    const agents = ['c1', 'c2', 'c3', 'c4', 'c5'];
    const answers = await Promise.all(agents.map((agentId, i) => upload(agentId, tone(400 + 50 * i), 'audio/wav')));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 201, 201, 422, 422]);
    const stored = await Promise.all(agents.map(async (agentId) => (await api.db.store.agent(agentId))?.holdMusic));
    expect(stored.filter(Boolean)).toHaveLength(3);
  });
});
