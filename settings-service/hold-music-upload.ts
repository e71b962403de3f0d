// An uploaded hold music file, checked by what it is, not by its name or Content-Type: too big (413), not
// MP3 or WAV at all (415), or MP3/WAV that is damaged, uses a codec this service does not decode, plays
// longer than the cap, or does not decode (422). The same header checks as settings files
// (settings/hold-music.ts); then the duration the headers give is checked against the cap before
// anything decodes, and one bounded decode (settings/music/decode.ts) makes the samples workers play,
// so a worker never decodes an upload and never meets one that fails.
import { createHash } from 'node:crypto';
import { readAudioHeader } from '../settings/music/audio-header.ts';
import { checkHoldMusic, HOLD_MUSIC_MAX_BYTES } from '../settings/hold-music.ts';
import { decodeAudio, DecodeError } from '../settings/music/decode.ts';
import { HOLD_SAMPLE_RATE } from '../settings/music/hold-audio.ts';
import { DecodeSlots } from './decode-slots.ts';
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits } from './upload-limits.ts';

export type UploadCheck =
  { ok: true; format: 'mp3' | 'wav'; sha256: string; pcm: Int16Array; durationMs: number } | { ok: false; status: 413 | 415 | 422 | 429 | 503; error: string };

/** Two decodes at once per process (a core each), four more waiting their turn. */
const slots = new DecodeSlots(2, 4);

/** What the first bytes claim to be; anything else is not hold music at all. */
function sniff(data: Uint8Array): 'mp3' | 'wav' | undefined {
  const text = (at: number, length: number) => String.fromCharCode(...data.subarray(at, at + length));
  if (text(0, 4) === 'RIFF' && text(8, 4) === 'WAVE') return 'wav';
  if (text(0, 3) === 'ID3') return 'mp3';
  // An MPEG audio frame sync: 11 set bits.
  if (data[0] === 0xff && ((data[1] ?? 0) & 0xe0) === 0xe0) return 'mp3';
  return undefined;
}

const FILE_NAME_MAX = 100;

/**
 * A file name from the client (the x-file-name header, a multipart filename) made fit for messages and the
 * page: its last path segment only, without control or formatting characters (line breaks, bidi overrides),
 * at most 100 characters; 'upload' when nothing is left. It is only ever shown, never used as a path.
 */
export function cleanFileName(raw: unknown): string {
  const text = typeof raw === 'string' ? raw : Array.isArray(raw) && typeof raw[0] === 'string' ? raw[0] : '';
  const last = text.split(/[\\/]/).pop() ?? '';
  const clean = [...last.replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu, '').trim()].slice(0, FILE_NAME_MAX).join('').trim();
  return clean === '' || clean === '.' || clean === '..' ? 'upload' : clean;
}

const minutes = (ms: number) => `${Math.round(ms / 1000)} s (${(ms / 60_000).toFixed(1)} min)`;

/**
 * `room`, when given, is asked before the decode whether the music fits (its file and the samples its headers
 * promise, in bytes); a problem it names refuses the upload (422) without decoding it.
 */
export async function checkUpload(
  data: Buffer,
  name: string,
  limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
  room?: (neededBytes: number) => Promise<string | undefined>,
): Promise<UploadCheck> {
  if (data.length > HOLD_MUSIC_MAX_BYTES)
    return { ok: false, status: 413, error: `hold music '${name}' is ${data.length} bytes; the limit is 4 MB (${HOLD_MUSIC_MAX_BYTES} bytes)` };
  if (data.length === 0) return { ok: false, status: 422, error: `hold music '${name}' is empty (0 bytes)` };
  const claimed = sniff(data);
  const check = checkHoldMusic(data, name);
  if (!claimed) return { ok: false, status: 415, error: check.ok ? `hold music '${name}' is not an MP3 or WAV file` : check.error };
  if (!check.ok) return { ok: false, status: 422, error: check.error };
  const header = readAudioHeader(data, check.format);
  if ('error' in header) return { ok: false, status: 422, error: `hold music '${name}' ${header.error}` };
  const cap = `the limit is ${minutes(limits.maxDurationMs)}`;
  if (header.durationMs > limits.maxDurationMs) {
    return { ok: false, status: 422, error: `hold music '${name}' plays ${minutes(header.durationMs)} by its headers; ${cap}` };
  }
  const noRoom = await room?.(data.length + Math.round((header.durationMs / 1000) * HOLD_SAMPLE_RATE) * 2);
  if (noRoom) return { ok: false, status: 422, error: noRoom };
  try {
    const decoded = await slots.run(() =>
      decodeAudio(data, {
        container: check.format,
        decoder: header.decoder,
        sampleRate: HOLD_SAMPLE_RATE,
        maxDurationMs: limits.maxDurationMs,
        timeoutMs: limits.decodeTimeoutMs,
      }),
    );
    if (!decoded) return { ok: false, status: 429, error: 'the service is decoding other uploads; try again in a few seconds' };
    const pcm = decoded.value;
    const durationMs = (pcm.length / HOLD_SAMPLE_RATE) * 1000;
    // 20 ms: the smallest piece the worker plays.
    if (durationMs < 20) return { ok: false, status: 422, error: `hold music '${name}' decodes to no audio` };
    return { ok: true, format: check.format, sha256: createHash('sha256').update(data).digest('hex'), pcm, durationMs };
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    if (error.kind === 'too-long') {
      return {
        ok: false,
        status: 422,
        error: `hold music '${name}' plays longer than its headers say (${minutes(header.durationMs)}): decoding stopped at ${cap}`,
      };
    }
    if (error.kind === 'unavailable') return { ok: false, status: 503, error: `hold music cannot be decoded right now: ${error.message}` };
    return { ok: false, status: 422, error: `hold music '${name}' does not decode as ${check.format.toUpperCase()} audio: ${error.message}` };
  }
}
