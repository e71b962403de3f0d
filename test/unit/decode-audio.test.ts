// The bounded decoder and the header reader behind hold music uploads, against the real ffmpeg and lame:
// durations read from headers match what decodes, the cap holds on what ffmpeg actually produces (not
// only on what headers say), the kill timer fires, the container and decoder are ours, not the file's,
// and the header reader never throws, whatever the bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readAudioHeader } from '../../settings/music/audio-header.ts';
import { checkHoldMusic } from '../../settings/hold-music.ts';
import { decodeAudio, DecodeError, type DecodeOptions } from '../../settings/music/decode.ts';
import { toneMp3, toneWav } from '../support/settings-store.ts';

const RATE = 24_000;
const wavOptions: DecodeOptions = { container: 'wav', decoder: 'pcm_s16le', sampleRate: RATE, maxDurationMs: 600_000, timeoutMs: 20_000 };

async function failure(promise: Promise<unknown>): Promise<DecodeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DecodeError);
  return error as DecodeError;
}

describe('durations from the headers', () => {
  it('an MP3 at 8 kbit/s: the frames add up to its length', () => {
    const header = readAudioHeader(toneMp3(440, 30, 8), 'mp3');
    expect(header).toMatchObject({ format: 'mp3', decoder: 'mp3' });
    expect('durationMs' in header && header.durationMs).toBeGreaterThan(29_900);
    expect('durationMs' in header && header.durationMs).toBeLessThan(30_300);
  });

  it('an MP3 whose Xing header declares more frames than it has counts what it declares', () => {
    const mp3 = Buffer.from(toneMp3(440, 2, 8));
    // lame's 8 kbit/s mono frames are MPEG-2.5 (8 kHz, 576 samples): a Xing tag follows 9 bytes of side info.
    expect(mp3.readUInt32BE(0) >>> 19).toBe((0x7ff << 2) | 0b00); // sync, version 00 = MPEG-2.5
    expect((mp3.readUInt32BE(0) >>> 6) & 3).toBe(3);
    mp3.write('Xing', 4 + 9, 'latin1');
    mp3.writeUInt32BE(1, 4 + 9 + 4); // flags: the frame count is present
    mp3.writeUInt32BE(1_000_000, 4 + 9 + 8); // a million frames at 8 kHz: 72,000 s
    const header = readAudioHeader(mp3, 'mp3');
    expect('durationMs' in header && header.durationMs).toBe(72_000_000);
  });

  it('a WAV: its data size over its block size and rate', () => {
    expect(readAudioHeader(toneWav(440, 3), 'wav')).toEqual({ format: 'wav', decoder: 'pcm_s16le', durationMs: 3000 });
  });

  it('never throws, whatever follows a WAV or MP3 start', () => {
    const starts = [Buffer.from('RIFF\0\0\0\0WAVE'), Buffer.from([0xff, 0xe3, 0x18, 0xc4]), Buffer.from('ID3\x04\0\0\0\0\0\x10')];
    fc.assert(
      fc.property(fc.constantFrom(...starts.keys()), fc.uint8Array({ maxLength: 2000 }), (which, rest) => {
        const data = Buffer.concat([starts[which]!, rest]);
        const header = readAudioHeader(data, which === 0 ? 'wav' : 'mp3');
        if ('durationMs' in header) {
          expect(Number.isFinite(header.durationMs)).toBe(true);
          expect(header.durationMs).toBeGreaterThanOrEqual(0);
        } else {
          expect(header.error.length).toBeGreaterThan(0);
        }
        checkHoldMusic(data, 'fuzz');
      }),
      { numRuns: 500 },
    );
  });
});

describe('WAV codecs', () => {
  const fmt = (tag: number, bits = 16, blockAlign = bits / 8) => {
    const data = Buffer.from(toneWav(440, 1));
    data.writeUInt16LE(tag, 20);
    data.writeUInt16LE(blockAlign, 32);
    data.writeUInt16LE(bits, 34);
    return data;
  };

  /** toneWav with a 40-byte WAVE_FORMAT_EXTENSIBLE fmt chunk whose sub-format is `guid`. */
  const extensible = (guid: number[]) => {
    const plain = toneWav(440, 1);
    const ext = Buffer.alloc(24);
    ext.writeUInt16LE(22, 0); // cbSize
    ext.writeUInt16LE(16, 2); // valid bits
    ext.writeUInt32LE(4, 4); // channel mask
    Buffer.from(guid).copy(ext, 8);
    const data = Buffer.concat([plain.subarray(0, 36), ext, plain.subarray(36)]);
    data.writeUInt32LE(data.length - 8, 4);
    data.writeUInt32LE(40, 16);
    data.writeUInt16LE(0xfffe, 20);
    return data;
  };
  const KS_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
  // ffmpeg's GUID for AC-3 in a WAV: ffmpeg would pick its AC-3 decoder from it.
  const AC3_GUID = [0x2c, 0x80, 0x6d, 0xe0, 0x46, 0xdb, 0xcf, 0x11, 0xb4, 0xd1, 0x00, 0x80, 0x5f, 0x6c, 0xbb, 0xea];

  it('WAVE_FORMAT_EXTENSIBLE with the PCM sub-format is accepted, and decoded as PCM', () => {
    const data = extensible([0x01, 0x00, ...KS_TAIL]);
    expect(checkHoldMusic(data, 'x.wav')).toEqual({ ok: true, format: 'wav', bytes: data.length });
    expect(readAudioHeader(data, 'wav')).toEqual({ format: 'wav', decoder: 'pcm_s16le', durationMs: 1000 });
  });

  it.each([
    ['WAVE_FORMAT_EXTENSIBLE with an AC-3 GUID', extensible(AC3_GUID), 'its WAVE_FORMAT_EXTENSIBLE sub-format GUID is not PCM, float, A-law or µ-law'],
    [
      'WAVE_FORMAT_EXTENSIBLE with the ADPCM sub-format',
      extensible([0x02, 0x00, ...KS_TAIL]),
      'its WAVE_FORMAT_EXTENSIBLE sub-format is audio format 2 (MS ADPCM), not PCM, float, A-law or µ-law',
    ],
    ['MS ADPCM (format tag 2)', fmt(2), 'audio format 2 is not PCM, float, A-law or µ-law'],
    ['MP3 (format tag 0x55)', fmt(0x55), 'audio format 85 is not PCM, float, A-law or µ-law'],
    ['12-bit PCM', fmt(1, 12, 2), 'audio format 1 with 12-bit samples is not one this service decodes'],
    ['a block size that is not the sample size', fmt(1, 16, 4), 'its block size (4 bytes) does not match 1 channel(s) of 16-bit samples'],
  ])('%s is refused', (_, data, why) => {
    expect(checkHoldMusic(data, 'x.wav')).toEqual({ ok: false, error: `hold music 'x.wav' is not a usable WAV: ${why}` });
  });
});

describe('decodeAudio', () => {
  it('decodes a WAV to mono samples at the rate asked', async () => {
    const pcm = await decodeAudio(toneWav(440, 2), wavOptions);
    expect(pcm.length).toBe(2 * RATE);
  });

  it('stops at the cap on what it decodes, whatever the headers said', async () => {
    const error = await failure(decodeAudio(toneWav(440, 3), { ...wavOptions, maxDurationMs: 1000 }));
    expect(error.kind).toBe('too-long');
    expect(error.message).toBe('it plays longer than 1 s, the limit');
  });

  it('kills a decode that outlasts its timer', async () => {
    const error = await failure(decodeAudio(toneWav(440, 30), { ...wavOptions, timeoutMs: 1 }));
    expect(error.kind).toBe('timeout');
  });

  it('uses the container it is told, not the one the bytes are: an MP3 given as WAV does not decode', async () => {
    const error = await failure(decodeAudio(toneMp3(440), wavOptions));
    expect(error.kind).toBe('failed');
  });

  it('says so when ffmpeg is not there', async () => {
    const saved = process.env.FFMPEG_PATH;
    process.env.FFMPEG_PATH = '/nonexistent/ffmpeg';
    try {
      const error = await failure(decodeAudio(toneWav(440), wavOptions));
      expect(error.kind).toBe('unavailable');
    } finally {
      if (saved === undefined) delete process.env.FFMPEG_PATH;
      else process.env.FFMPEG_PATH = saved;
    }
  });
});
