// What an MP3 or WAV says about itself before anything decodes it: which ffmpeg decoder it needs (only the
// few this project allows) and how long it plays. A 4 MB MP3 at 8 kbit/s plays 70 minutes and decodes to
// 200 MB of samples, so the duration is read from the headers first (MP3 frame headers, Xing/VBRI; WAV data
// sizes and block size), in milliseconds of work, and a file over the cap is refused before any decoding.
// The decoder enforces the same cap again on what it actually produces (settings/music/decode.ts).

export type AudioFormat = 'mp3' | 'wav';

export interface AudioHeader {
  format: AudioFormat;
  /** The ffmpeg decoder to force (never chosen by ffmpeg from the file). */
  decoder: string;
  /** The longer of what the frames or data chunks add up to and what a Xing/VBRI header declares. */
  durationMs: number;
}

// Layer III bitrates in kbit/s by the header's 4-bit index (0 = free format and 15 = invalid are refused).
export const MPEG1_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
export const MPEG2_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
export const MPEG1_RATES = [44100, 48000, 32000];

/** Where the MPEG audio starts: after an ID3v2 tag (and the zeros some encoders pad it with), or at 0. */
export function id3End(data: Uint8Array): number | undefined {
  if (String.fromCharCode(...data.subarray(0, 3)) !== 'ID3') return 0;
  // ID3v2: 10-byte header whose last four bytes are a "syncsafe" size (7 bits per byte), plus a
  // 10-byte footer when flag 0x10 is set.
  const size = [6, 7, 8, 9].map((i) => data[i] ?? 0x80);
  if (data.length < 10 || size.some((b) => b >= 0x80)) return undefined;
  let offset = 10 + size.reduce((total, b) => (total << 7) | b, 0) + ((data[5] ?? 0) & 0x10 ? 10 : 0);
  while (data[offset] === 0) offset++;
  return offset;
}

interface MpegFrame {
  length: number;
  samples: number;
  sampleRate: number;
  mpeg1: boolean;
  mono: boolean;
}

/** The Layer III frame whose header is at `at`, or undefined when there is none. */
function frameAt(view: DataView, at: number): MpegFrame | undefined {
  if (at + 4 > view.byteLength) return undefined;
  const header = view.getUint32(at);
  if (header >>> 21 !== 0x7ff) return undefined;
  const version = (header >>> 19) & 3; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5, 1 = reserved
  const layer = (header >>> 17) & 3;
  const bitrateIndex = (header >>> 12) & 15;
  const rateIndex = (header >>> 10) & 3;
  if (version === 1 || layer !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const mpeg1 = version === 3;
  const kbps = (mpeg1 ? MPEG1_KBPS : MPEG2_KBPS)[bitrateIndex] ?? 0;
  const sampleRate = (MPEG1_RATES[rateIndex] ?? 0) / (mpeg1 ? 1 : version === 2 ? 2 : 4);
  const length = Math.floor(((mpeg1 ? 144 : 72) * kbps * 1000) / sampleRate) + ((header >>> 9) & 1);
  return { length, samples: mpeg1 ? 1152 : 576, sampleRate, mpeg1, mono: ((header >>> 6) & 3) === 3 };
}

/** The frame count a Xing/Info or VBRI header in the first frame declares, if any. */
function declaredFrames(view: DataView, at: number, frame: MpegFrame): number | undefined {
  const text = (offset: number) => (offset + 4 <= view.byteLength ? String.fromCharCode(...new Uint8Array(view.buffer, view.byteOffset + offset, 4)) : '');
  const xing = at + 4 + (frame.mpeg1 ? (frame.mono ? 17 : 32) : frame.mono ? 9 : 17);
  if ((text(xing) === 'Xing' || text(xing) === 'Info') && xing + 12 <= view.byteLength && view.getUint32(xing + 4) & 1) return view.getUint32(xing + 8);
  const vbri = at + 4 + 32;
  if (text(vbri) === 'VBRI' && vbri + 18 <= view.byteLength) return view.getUint32(vbri + 14);
  return undefined;
}

/**
 * Adds up every Layer III frame, as a decoder finds them: from one frame to the next, and past anything else
 * (tags, junk) byte by byte. At most 1 ms of audio per byte (8 kbit/s), so a 4 MB file reads in milliseconds.
 */
function mp3Header(data: Uint8Array, view: DataView): AudioHeader | { error: string } {
  const start = id3End(data);
  if (start === undefined) return { error: 'has a damaged ID3 tag' };
  const first = frameAt(view, start);
  if (!first) return { error: 'has no MPEG Layer III frame where its audio starts' };
  let seconds = 0;
  for (let at = start; at + 4 <= data.length;) {
    const frame = frameAt(view, at);
    if (!frame) {
      at++;
      continue;
    }
    seconds += frame.samples / frame.sampleRate;
    at += frame.length;
  }
  const declared = declaredFrames(view, start, first);
  const declaredSeconds = declared === undefined ? 0 : (declared * first.samples) / first.sampleRate;
  return { format: 'mp3', decoder: 'mp3', durationMs: Math.max(seconds, declaredSeconds) * 1000 };
}

// The sub-format GUID of WAVE_FORMAT_EXTENSIBLE is a format tag in its first two bytes followed by this
// fixed tail (KSDATAFORMAT_SUBTYPE_*); any other GUID names a codec this project does not decode.
const KS_SUBTYPE_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
const TAG_NAMES: Record<number, string> = { 2: 'MS ADPCM', 0x11: 'IMA ADPCM', 0x31: 'GSM 6.10', 0x50: 'MPEG audio', 0x55: 'MP3', 0xff: 'AAC' };

export interface WavCodec {
  decoder: string;
  /** Bytes per sample frame (all channels), as the decoder reads them. */
  blockAlign: number;
  sampleRate: number;
}

/** The decoder for a WAV fmt chunk at `at` of `size` bytes: integer or float PCM, A-law or µ-law, or why not. */
export function wavCodec(view: DataView, at: number, size: number): WavCodec | { error: string } {
  if (size < 16) return { error: `its fmt chunk is ${size} bytes; it needs at least 16` };
  let tag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bits = view.getUint16(at + 14, true);
  if (tag === 0xfffe) {
    if (size < 40 || view.getUint16(at + 16, true) < 22) return { error: 'its fmt chunk says WAVE_FORMAT_EXTENSIBLE but is too short to name a sub-format' };
    const tail = new Uint8Array(view.buffer, view.byteOffset + at + 26, 14);
    const subTag = view.getUint16(at + 24, true);
    if (!KS_SUBTYPE_TAIL.every((b, i) => tail[i] === b)) return { error: 'its WAVE_FORMAT_EXTENSIBLE sub-format GUID is not PCM, float, A-law or µ-law' };
    if (![1, 3, 6, 7].includes(subTag))
      return {
        error: `its WAVE_FORMAT_EXTENSIBLE sub-format is audio format ${subTag}${TAG_NAMES[subTag] ? ` (${TAG_NAMES[subTag]})` : ''}, not PCM, float, A-law or µ-law`,
      };
    tag = subTag;
  }
  const decoder = (
    {
      1: { 8: 'pcm_u8', 16: 'pcm_s16le', 24: 'pcm_s24le', 32: 'pcm_s32le' },
      3: { 32: 'pcm_f32le', 64: 'pcm_f64le' },
      6: { 8: 'pcm_alaw' },
      7: { 8: 'pcm_mulaw' },
    } as Record<number, Record<number, string>>
  )[tag];
  if (!decoder) return { error: `audio format ${tag} is not PCM, float, A-law or µ-law` };
  if (channels < 1 || channels > 8) return { error: `it declares ${channels} channels` };
  if (sampleRate < 1000 || sampleRate > 384_000) return { error: `it declares a sample rate of ${sampleRate} Hz` };
  if (blockAlign === 0 || bits === 0) return { error: 'its fmt chunk declares zero-sized samples' };
  const name = decoder[bits];
  if (!name) return { error: `audio format ${tag} with ${bits}-bit samples is not one this service decodes` };
  if (blockAlign !== (channels * bits) / 8)
    return { error: `its block size (${blockAlign} bytes) does not match ${channels} channel(s) of ${bits}-bit samples` };
  return { decoder: name, blockAlign, sampleRate };
}

/** Walks every chunk: the codec from fmt, the duration from every data chunk (a decoder plays them all). */
function wavHeader(data: Uint8Array, view: DataView): AudioHeader | { error: string } {
  let codec: WavCodec | undefined;
  let dataBytes = 0;
  for (let at = 12; at + 8 <= data.length;) {
    const id = String.fromCharCode(...data.subarray(at, at + 4));
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ' && !codec) {
      const found = wavCodec(view, body, Math.min(size, data.length - body));
      if ('error' in found) return found;
      codec = found;
    }
    // A chunk cut short by the end of the file still counts for what is there.
    if (id === 'data') dataBytes += Math.min(size, data.length - body);
    at = body + size + (size % 2);
  }
  if (!codec) return { error: 'has no fmt chunk' };
  return { format: 'wav', decoder: codec.decoder, durationMs: (dataBytes / codec.blockAlign / codec.sampleRate) * 1000 };
}

/** The decoder and duration of an MP3 or WAV that already passed the structural check (checkHoldMusic). */
export function readAudioHeader(data: Uint8Array, format: AudioFormat): AudioHeader | { error: string } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return format === 'mp3' ? mp3Header(data, view) : wavHeader(data, view);
}
