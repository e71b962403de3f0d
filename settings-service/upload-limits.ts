// The bounds on hold music uploads, read once at start-up: how long an upload may play, how long its decode
// may run, and how many bytes of hold music (files and their decoded samples) one organization may keep.
import { DECODE_TIMEOUT_MS } from '../settings/music/decode.ts';
import { HOLD_MUSIC_MAX_DURATION_MS } from '../settings/music/hold-audio.ts';

export interface UploadLimits {
  /** Hold music playing longer than this is refused (422). */
  maxDurationMs: number;
  /** A decode still running after this is killed (422). */
  decodeTimeoutMs: number;
  /** Hold music bytes stored per organization, the files and their decoded samples together. */
  organizationMusicBytes: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  /** The worker's own cap on music files: 10 minutes. */
  maxDurationMs: HOLD_MUSIC_MAX_DURATION_MS,
  decodeTimeoutMs: DECODE_TIMEOUT_MS,
  organizationMusicBytes: 256 * MIB,
};

/** SETTINGS_HOLD_MUSIC_MAX_S and SETTINGS_MUSIC_QUOTA_MB, with every problem at once. */
export function uploadLimitsFromEnv(env: NodeJS.ProcessEnv): { ok: true; limits: UploadLimits } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const whole = (name: string, min: number, max: number, fallback: number): number => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, not '${text}'`);
      return fallback;
    }
    return value;
  };
  const maxSeconds = whole('SETTINGS_HOLD_MUSIC_MAX_S', 10, 3600, DEFAULT_UPLOAD_LIMITS.maxDurationMs / 1000);
  const quotaMib = whole('SETTINGS_MUSIC_QUOTA_MB', 1, 1_048_576, DEFAULT_UPLOAD_LIMITS.organizationMusicBytes / MIB);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, limits: { ...DEFAULT_UPLOAD_LIMITS, maxDurationMs: maxSeconds * 1000, organizationMusicBytes: quotaMib * MIB } };
}

/** A byte count for messages: '12.3 MB (12897484 bytes)'. */
export function megabytes(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MB (${bytes} bytes)`;
}
