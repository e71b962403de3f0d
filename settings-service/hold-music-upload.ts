// An uploaded hold music file, checked by what it is, not by its name or Content-Type: too big (413), not
// MP3 or WAV at all (415), or MP3/WAV that is damaged or does not decode (422). The same header checks as
// settings files (agent/settings/hold-music.ts), then one real decode to the samples workers play, so a
// worker never decodes an upload and never meets one that fails.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initializeLogger } from '@livekit/agents';
import { checkHoldMusic, HOLD_MUSIC_MAX_BYTES } from '../agent/settings/hold-music.ts';
import { HoldMusic } from '../agent/transfer/hold-music.ts';

export type UploadCheck =
  | { ok: true; format: 'mp3' | 'wav'; sha256: string; pcm: Int16Array; durationMs: number }
  | { ok: false; status: 413 | 415 | 422; error: string };

/** What the first bytes claim to be; anything else is not hold music at all. */
function sniff(data: Uint8Array): 'mp3' | 'wav' | undefined {
  const text = (at: number, length: number) => String.fromCharCode(...data.subarray(at, at + length));
  if (text(0, 4) === 'RIFF' && text(8, 4) === 'WAVE') return 'wav';
  if (text(0, 3) === 'ID3') return 'mp3';
  // An MPEG audio frame sync: 11 set bits.
  if (data[0] === 0xff && ((data[1] ?? 0) & 0xe0) === 0xe0) return 'mp3';
  return undefined;
}

let loggerReady = false;

export async function checkUpload(data: Buffer, name: string): Promise<UploadCheck> {
  if (data.length > HOLD_MUSIC_MAX_BYTES) return { ok: false, status: 413, error: `hold music '${name}' is ${data.length} bytes; the limit is 4 MB (${HOLD_MUSIC_MAX_BYTES} bytes)` };
  if (data.length === 0) return { ok: false, status: 422, error: `hold music '${name}' is empty (0 bytes)` };
  const claimed = sniff(data);
  const check = checkHoldMusic(data, name);
  if (!claimed) return { ok: false, status: 415, error: check.ok ? `hold music '${name}' is not an MP3 or WAV file` : check.error };
  if (!check.ok) return { ok: false, status: 422, error: check.error };

  // The decoder reads files; the copy lives only for the decode.
  if (!loggerReady) {
    // A file that does not decode is answered to whoever uploaded it; the decoder's own log would only repeat it.
    initializeLogger({ pretty: false, level: 'fatal' });
    loggerReady = true;
  }
  const folder = await mkdtemp(join(tmpdir(), 'hold-upload-'));
  try {
    const file = join(folder, `upload.${check.format}`);
    await writeFile(file, data);
    const music = await HoldMusic.load(file);
    return { ok: true, format: check.format, sha256: createHash('sha256').update(data).digest('hex'), pcm: music.samples, durationMs: music.durationMs };
  } catch (error) {
    const why = error instanceof Error ? error.message.replace(join(folder, ''), '') : String(error);
    return { ok: false, status: 422, error: `hold music '${name}' does not decode as ${check.format.toUpperCase()} audio: ${why}` };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
