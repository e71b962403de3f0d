import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHoldMusic, checkHoldMusicFile, HOLD_MUSIC_MAX_BYTES } from '../../settings/hold-music.ts';

// MPEG-1 Layer III, no CRC, 128 kbit/s, 44.1 kHz, no padding: 144 * 128000 / 44100 = 417 bytes a frame.
const FRAME_HEADER = [0xff, 0xfb, 0x90, 0x00];
const FRAME_BYTES = 417;

function mp3Frames(count: number, header = FRAME_HEADER): Buffer {
  const frame = Buffer.alloc(FRAME_BYTES);
  Buffer.from(header).copy(frame);
  return Buffer.concat(Array.from({ length: count }, () => frame));
}

function id3Tag(bodyBytes: number): Buffer {
  const size = [21, 14, 7, 0].map((shift) => (bodyBytes >> shift) & 0x7f); // syncsafe: 7 bits a byte
  return Buffer.concat([Buffer.from('ID3'), Buffer.from([4, 0, 0, ...size]), Buffer.alloc(bodyBytes)]);
}

function chunk(id: string, body: Buffer, declared = body.length): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 'latin1');
  header.writeUInt32LE(declared, 4);
  return Buffer.concat([header, body, Buffer.alloc(body.length % 2)]);
}

function fmt(format = 1, channels = 1, sampleRate = 8000, bits = 16): Buffer {
  const body = Buffer.alloc(16);
  body.writeUInt16LE(format, 0);
  body.writeUInt16LE(channels, 2);
  body.writeUInt32LE(sampleRate, 4);
  body.writeUInt32LE((sampleRate * channels * bits) / 8, 8);
  body.writeUInt16LE((channels * bits) / 8, 12);
  body.writeUInt16LE(bits, 14);
  return chunk('fmt ', body);
}

function wav(...chunks: Buffer[]): Buffer {
  const riff = Buffer.concat([Buffer.from('WAVE'), ...chunks]);
  return Buffer.concat([Buffer.from('RIFF'), Buffer.from(new Uint32Array([riff.length]).buffer), riff]);
}

const PCM = chunk('data', Buffer.alloc(1600)); // 100 ms of 8 kHz 16-bit silence

describe('checkHoldMusic accepts', () => {
  it.each([
    ['MP3 frames', mp3Frames(3)],
    ['a single MP3 frame', mp3Frames(1)],
    ['MP3 frames after an ID3 tag', Buffer.concat([id3Tag(100), mp3Frames(3)])],
    ['MP3 frames after an ID3 tag and zero padding', Buffer.concat([id3Tag(100), Buffer.alloc(32), mp3Frames(2)])],
    [
      'MPEG-2 Layer III (22.05 kHz, 64 kbit/s: 208-byte frames)',
      Buffer.concat([0, 1].map(() => Buffer.concat([Buffer.from([0xff, 0xf3, 0x80, 0x00]), Buffer.alloc(204)]))),
    ],
  ])('%s as mp3', (_, data) => {
    expect(checkHoldMusic(data, 'music.mp3')).toEqual({ ok: true, format: 'mp3', bytes: data.length });
  });

  it.each([
    ['16-bit PCM', wav(fmt(), PCM)],
    ['float', wav(fmt(3, 2, 48000, 32), PCM)],
    ['µ-law', wav(fmt(7, 1, 8000, 8), PCM)],
    ['a LIST chunk before the audio', wav(fmt(), chunk('LIST', Buffer.from('INFOtest!')), PCM)],
  ])('%s WAV', (_, data) => {
    expect(checkHoldMusic(data, 'music.wav')).toEqual({ ok: true, format: 'wav', bytes: data.length });
  });

  it('the format by content whatever the name says', () => {
    expect(checkHoldMusic(wav(fmt(), PCM), 'music.mp3')).toMatchObject({ ok: true, format: 'wav' });
  });

  it('exactly 4 MB', () => {
    const data = wav(fmt(), chunk('data', Buffer.alloc(HOLD_MUSIC_MAX_BYTES - 44)));
    expect(data.length).toBe(HOLD_MUSIC_MAX_BYTES);
    expect(checkHoldMusic(data, 'big.wav')).toMatchObject({ ok: true, format: 'wav' });
  });
});

describe('checkHoldMusic refuses', () => {
  const truncated = wav(fmt(), chunk('data', Buffer.alloc(1000), 1600));
  const layer2 = mp3Frames(2, [0xff, 0xfd, 0x90, 0x00]);

  it.each([
    ['a text file named .mp3', 'x.mp3', Buffer.from('Hello, this is not audio'), "hold music 'x.mp3' is not an MP3 or WAV file (it starts with 'Hello, t')"],
    ['binary that is neither', 'x.mp3', Buffer.from([0, 1, 2, 3, 4]), "hold music 'x.mp3' is not an MP3 or WAV file (it starts with bytes 00 01 02 03)"],
    ['an empty file', 'x.wav', Buffer.alloc(0), "hold music 'x.wav' is empty"],
    ['a truncated WAV', 'y.wav', truncated, "hold music 'y.wav' is a truncated WAV: the 'data' chunk declares 1600 bytes but only 1000 follow"],
    [
      'a WAV whose fmt chunk is cut off',
      'y.wav',
      wav(chunk('fmt ', Buffer.alloc(8), 16)),
      "hold music 'y.wav' is a truncated WAV: the 'fmt ' chunk declares 16 bytes but only 8 follow",
    ],
    ['a WAV without a data chunk', 'y.wav', wav(fmt()), "hold music 'y.wav' is not a valid WAV: it has no data chunk"],
    ['a WAV without a fmt chunk', 'y.wav', wav(PCM), "hold music 'y.wav' is not a valid WAV: its data chunk comes before its fmt chunk"],
    ['a WAV with an empty data chunk', 'y.wav', wav(fmt(), chunk('data', Buffer.alloc(0))), "hold music 'y.wav' has no audio: its WAV data chunk is empty"],
    ['a compressed WAV', 'y.wav', wav(fmt(0x55), PCM), "hold music 'y.wav' is not a usable WAV: audio format 85 is not PCM, float, A-law or µ-law"],
    ['a WAV with no channels', 'y.wav', wav(fmt(1, 0), PCM), "hold music 'y.wav' is not a usable WAV: it declares 0 channels"],
    ['a RIFF that is not WAVE', 'y.wav', Buffer.from('RIFF\x04\x00\x00\x00AVI '), "hold music 'y.wav' is a RIFF file but not WAVE audio"],
    [
      'an MPEG frame with the reserved version',
      'x.mp3',
      mp3Frames(2, [0xff, 0xeb, 0x90, 0x00]),
      "hold music 'x.mp3' is not a valid MP3: at its start the MPEG frame header has the reserved version",
    ],
    [
      'the reserved MPEG layer',
      'x.mp3',
      mp3Frames(2, [0xff, 0xf9, 0x90, 0x00]),
      "hold music 'x.mp3' is not a valid MP3: at its start the MPEG frame header has the reserved layer",
    ],
    ['MPEG Layer II', 'x.mp3', layer2, "hold music 'x.mp3' is not a valid MP3: at its start the MPEG frame is Layer II, not Layer III (MP3)"],
    [
      'free-format bitrate',
      'x.mp3',
      mp3Frames(2, [0xff, 0xfb, 0x00, 0x00]),
      "hold music 'x.mp3' is not a valid MP3: at its start the MPEG frame header has bitrate index 0",
    ],
    [
      'bad bitrate',
      'x.mp3',
      mp3Frames(2, [0xff, 0xfb, 0xf0, 0x00]),
      "hold music 'x.mp3' is not a valid MP3: at its start the MPEG frame header has bitrate index 15",
    ],
    [
      'the reserved sample rate',
      'x.mp3',
      mp3Frames(2, [0xff, 0xfb, 0x9c, 0x00]),
      "hold music 'x.mp3' is not a valid MP3: at its start the MPEG frame header has the reserved sample rate",
    ],
    [
      '0xFF followed by no frame sync',
      'x.mp3',
      Buffer.from([0xff, 0x00, 0x00, 0x00, 0x00]),
      "hold music 'x.mp3' is not a valid MP3: at its start there is no MPEG audio frame sync",
    ],
    [
      'one frame header followed by junk',
      'x.mp3',
      Buffer.concat([mp3Frames(1), Buffer.from('junk junk')]),
      "hold music 'x.mp3' is not a valid MP3: the frame at byte 0 is not followed by another (there is no MPEG audio frame sync)",
    ],
    [
      'an ID3 tag with nothing after it',
      'x.mp3',
      id3Tag(50),
      "hold music 'x.mp3' is not a valid MP3: after its ID3 tag (byte 60) there is no MPEG audio frame (the file ends)",
    ],
    [
      'an ID3 tag with text after it',
      'x.mp3',
      Buffer.concat([id3Tag(10), Buffer.from('Hello')]),
      "hold music 'x.mp3' is not a valid MP3: after its ID3 tag (byte 20) there is no MPEG audio frame sync",
    ],
    ['a damaged ID3 size', 'x.mp3', Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0x80, 0, 0, 0]), "hold music 'x.mp3' has a damaged ID3 tag"],
  ])('%s', (_, name, data, error) => {
    expect(checkHoldMusic(data, name)).toEqual({ ok: false, error });
  });

  it('4 MB + 1 byte, even if it is valid audio', () => {
    const data = Buffer.concat([wav(fmt(), chunk('data', Buffer.alloc(HOLD_MUSIC_MAX_BYTES - 44))), Buffer.alloc(1)]);
    expect(checkHoldMusic(data, 'big.wav')).toEqual({
      ok: false,
      error: "hold music 'big.wav' is 4194305 bytes; the limit is 4 MB (4194304 bytes)",
    });
  });
});

describe('checkHoldMusicFile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hold-music-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('checks a file by its content', async () => {
    await writeFile(join(dir, 'music.mp3'), mp3Frames(4));
    expect(await checkHoldMusicFile(join(dir, 'music.mp3'))).toEqual({ ok: true, format: 'mp3', bytes: 4 * FRAME_BYTES });
  });

  it('refuses an oversized file by its size', async () => {
    await writeFile(join(dir, 'big.mp3'), Buffer.alloc(HOLD_MUSIC_MAX_BYTES + 1));
    expect(await checkHoldMusicFile(join(dir, 'big.mp3'))).toEqual({
      ok: false,
      error: "hold music 'big.mp3' is 4194305 bytes; the limit is 4 MB (4194304 bytes)",
    });
  });

  it('names a missing file and a folder', async () => {
    expect(await checkHoldMusicFile(join(dir, 'gone.mp3'), 'gone.mp3')).toEqual({
      ok: false,
      error: `hold music 'gone.mp3' was not found at ${join(dir, 'gone.mp3')}`,
    });
    expect(await checkHoldMusicFile(dir, 'music')).toEqual({ ok: false, error: "hold music 'music' is not a file" });
  });
});
