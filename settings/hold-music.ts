// Checks an uploaded hold music file by its content, not its name: a renamed text file or a WAV cut off
// mid-upload must be caught when settings load, not when a caller is put on hold. This is a structural
// check of the headers only; whether the audio actually decodes is checked separately (with ffmpeg).
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { id3End, MPEG1_KBPS, MPEG1_RATES, MPEG2_KBPS, wavCodec } from './music/audio-header.ts';

export const HOLD_MUSIC_MAX_BYTES = 4 * 1024 * 1024;

export type HoldMusicCheck = { ok: true; format: 'mp3' | 'wav'; bytes: number } | { ok: false; error: string };

const fail = (error: string): HoldMusicCheck => ({ ok: false, error });
const tooBig = (name: string, bytes: number) => fail(`hold music '${name}' is ${bytes} bytes; the limit is 4 MB (${HOLD_MUSIC_MAX_BYTES} bytes)`);

/** Reads and checks a file; the size is checked before reading, so an oversized file is never loaded. */
export async function checkHoldMusicFile(path: string, name: string = basename(path)): Promise<HoldMusicCheck> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return fail(`hold music '${name}' was not found at ${path}`);
  if (!info.isFile()) return fail(`hold music '${name}' is not a file`);
  if (info.size > HOLD_MUSIC_MAX_BYTES) return tooBig(name, info.size);
  return checkHoldMusic(await readFile(path), name);
}

/** Accepts MP3 (MPEG audio Layer III, with or without an ID3v2 tag) and WAV (RIFF/WAVE); `name` is for messages. */
export function checkHoldMusic(data: Uint8Array, name: string): HoldMusicCheck {
  if (data.length > HOLD_MUSIC_MAX_BYTES) return tooBig(name, data.length);
  if (data.length === 0) return fail(`hold music '${name}' is empty`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (ascii(data, 0, 4) === 'RIFF') return checkWav(data, view, name);
  if (ascii(data, 0, 3) === 'ID3' || data[0] === 0xff) return checkMp3(data, view, name);
  return fail(`hold music '${name}' is not an MP3 or WAV file (it starts with ${describeStart(data)})`);
}

function checkMp3(data: Uint8Array, view: DataView, name: string): HoldMusicCheck {
  const offset = id3End(data);
  if (offset === undefined) return fail(`hold music '${name}' has a damaged ID3 tag`);
  const where = offset > 0 ? `after its ID3 tag (byte ${offset})` : 'at its start';
  const first = mpegFrame(view, offset);
  if ('error' in first) return fail(`hold music '${name}' is not a valid MP3: ${where} ${first.error}`);
  // A second frame exactly where the first ends tells MPEG audio from a file that merely starts with 0xFF.
  const next = offset + first.length;
  if (next + 4 <= data.length) {
    const second = mpegFrame(view, next);
    if ('error' in second) return fail(`hold music '${name}' is not a valid MP3: the frame at byte ${offset} is not followed by another (${second.error})`);
  }
  return { ok: true, format: 'mp3', bytes: data.length };
}

/** Reads the 4-byte MPEG audio frame header at `at`; returns the frame's length in bytes or what is wrong. */
function mpegFrame(view: DataView, at: number): { length: number } | { error: string } {
  if (at + 4 > view.byteLength) return { error: 'there is no MPEG audio frame (the file ends)' };
  const header = view.getUint32(at);
  if (header >>> 21 !== 0x7ff) return { error: 'there is no MPEG audio frame sync' };
  const version = (header >>> 19) & 3; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5, 1 = reserved
  const layer = (header >>> 17) & 3; // 1 = Layer III; 2 and 3 are Layers II and I (not MP3); 0 reserved
  const bitrateIndex = (header >>> 12) & 15;
  const rateIndex = (header >>> 10) & 3;
  if (version === 1) return { error: 'the MPEG frame header has the reserved version' };
  if (layer === 0) return { error: 'the MPEG frame header has the reserved layer' };
  if (layer !== 1) return { error: `the MPEG frame is Layer ${layer === 2 ? 'II' : 'I'}, not Layer III (MP3)` };
  if (bitrateIndex === 0 || bitrateIndex === 15) return { error: `the MPEG frame header has bitrate index ${bitrateIndex}` };
  if (rateIndex === 3) return { error: 'the MPEG frame header has the reserved sample rate' };
  const mpeg1 = version === 3;
  const kbps = (mpeg1 ? MPEG1_KBPS : MPEG2_KBPS)[bitrateIndex] ?? 0;
  const sampleRate = (MPEG1_RATES[rateIndex] ?? 0) / (mpeg1 ? 1 : version === 2 ? 2 : 4);
  const padding = (header >>> 9) & 1;
  // A Layer III frame holds 1152 samples (576 for MPEG-2/2.5): bytes = samples/8 * bitrate / rate.
  return { length: Math.floor(((mpeg1 ? 144 : 72) * kbps * 1000) / sampleRate) + padding };
}

function checkWav(data: Uint8Array, view: DataView, name: string): HoldMusicCheck {
  const bad = (why: string) => fail(`hold music '${name}' ${why}`);
  if (data.length < 12 || ascii(data, 8, 4) !== 'WAVE') return bad('is a RIFF file but not WAVE audio');
  let offset = 12;
  let sawFormat = false;
  while (offset + 8 <= data.length) {
    const id = ascii(data, offset, 4);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    const available = data.length - body;
    if (size > available) {
      return bad(`is a truncated WAV: the ${printable(id)} chunk declares ${size} bytes but only ${available} follow`);
    }
    if (id === 'data') {
      if (!sawFormat) return bad('is not a valid WAV: its data chunk comes before its fmt chunk');
      if (size === 0) return bad('has no audio: its WAV data chunk is empty');
      return { ok: true, format: 'wav', bytes: data.length };
    }
    if (id === 'fmt ') {
      const problem = formatProblem(view, body, size);
      if (problem !== undefined) return bad(`is not a usable WAV: ${problem}`);
      sawFormat = true;
    }
    offset = body + size + (size % 2); // chunks are padded to an even length
  }
  return bad(`is not a valid WAV: it has no ${sawFormat ? 'data' : 'fmt'} chunk`);
}

/** Only codecs this project decodes (integer or float PCM, A-law, µ-law; extensible only with one of them). */
function formatProblem(view: DataView, at: number, size: number): string | undefined {
  const codec = wavCodec(view, at, size);
  return 'error' in codec ? codec.error : undefined;
}

function ascii(data: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...data.subarray(at, at + length));
}

/** Up to 8 leading characters when they are printable text, else the first bytes in hex. */
function describeStart(data: Uint8Array): string {
  const text = /^[\x20-\x7e]*/.exec(ascii(data, 0, 8))?.[0] ?? '';
  if (text.length > 0) return `'${text}'`;
  return `bytes ${[...data.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}

function printable(id: string): string {
  return `'${id.replace(/[^\x20-\x7e]/g, '?')}'`;
}
