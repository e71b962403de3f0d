// Decodes audio with ffmpeg under rules the file cannot change: the container and the decoder are named by
// us (ffmpeg never probes for another demuxer or picks a codec from the file), the bytes go in through stdin
// (no file or network protocol is reachable), the output stops at a duration cap (`-t`, and a count of the
// bytes that come back), and a kill timer ends a decode that takes too long. Used for hold music uploads
// and for the worker's own music files, so neither ever runs an unbounded decode.
import { spawn } from 'node:child_process';

export type DecodeFailure = 'too-long' | 'timeout' | 'failed' | 'unavailable';

export class DecodeError extends Error {
  constructor(
    readonly kind: DecodeFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface DecodeOptions {
  /** The container, given to ffmpeg with `-f`: 'mp3' or 'wav' (uploads), 'ogg' (the built-in music). */
  container: 'mp3' | 'wav' | 'ogg';
  /** The one decoder allowed, given with `-codec:a` and as the codec whitelist. */
  decoder: string;
  /** Output sample rate (mono, 16-bit). */
  sampleRate: number;
  /** Audio longer than this is refused (DecodeError 'too-long'), whatever the headers said. */
  maxDurationMs: number;
  /** SIGKILL after this long (DecodeError 'timeout'). */
  timeoutMs: number;
}

/** How long an unattended decode may run: a 10-minute file decodes in about a second. */
export const DECODE_TIMEOUT_MS = 20_000;
const STDERR_KEPT = 2000;

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

/** Decodes `data` to mono 16-bit samples at `sampleRate`; throws DecodeError. */
export function decodeAudio(data: Uint8Array, options: DecodeOptions): Promise<Int16Array> {
  const { container, decoder, sampleRate, maxDurationMs, timeoutMs } = options;
  const maxBytes = Math.ceil((maxDurationMs / 1000) * sampleRate) * 2;
  // Slightly past the cap, so that audio at the cap passes and anything longer shows up as too long.
  const stopAfterS = (maxDurationMs + 1000) / 1000;
  const args = [
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'error',
    '-threads',
    '1',
    '-protocol_whitelist',
    'pipe',
    '-format_whitelist',
    container,
    '-codec_whitelist',
    decoder,
    '-f',
    container,
    '-codec:a',
    decoder,
    '-i',
    'pipe:0',
    '-t',
    String(stopAfterS),
    '-map',
    '0:a:0',
    '-vn',
    '-sn',
    '-dn',
    '-ac',
    '1',
    '-ar',
    String(sampleRate),
    '-f',
    's16le',
    '-codec:a',
    'pcm_s16le',
    'pipe:1',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.FFMPEG_PATH || 'ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let settled = false;
    const finish = (outcome: Int16Array | DecodeError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (outcome instanceof DecodeError) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(() => finish(new DecodeError('timeout', `decoding took longer than ${seconds(timeoutMs)} and was stopped`)), timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish(
        new DecodeError(
          error.code === 'ENOENT' ? 'unavailable' : 'failed',
          error.code === 'ENOENT' ? 'ffmpeg is not installed on this server' : `ffmpeg could not run: ${error.message}`,
        ),
      ),
    );
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        finish(new DecodeError('too-long', `it plays longer than ${seconds(maxDurationMs)}, the limit`));
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_KEPT) stderr += chunk.toString('utf8');
    });
    child.on('close', (code) => {
      if (code !== 0) {
        const why = stderr.trim().split('\n').slice(-3).join('; ').slice(0, 300);
        finish(new DecodeError('failed', why || `ffmpeg exited with ${code}`));
        return;
      }
      // Copied into an aligned buffer: an Int16Array needs an even byte offset.
      const pcm = new Int16Array(bytes >> 1);
      const out = Buffer.from(pcm.buffer);
      let offset = 0;
      for (const chunk of chunks) {
        const part = chunk.subarray(0, Math.min(chunk.length, out.length - offset));
        out.set(part, offset);
        offset += part.length;
      }
      finish(pcm);
    });
    // ffmpeg may stop reading early (a damaged file, the cap): what it did not read is of no interest.
    child.stdin.on('error', () => undefined);
    child.stdin.end(data);
  });
}
