// What hold audio is, for both sides: the worker plays it and the settings service checks and decodes
// uploads to it. Kept here, below both, so the HTTP service never loads the worker's player (and rtc-node
// with it) to learn a sample rate or a path.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Telephone audio is 8 kHz; 24 kHz keeps music clean for WebRTC listeners at a quarter of 48 kHz's memory. */
export const HOLD_SAMPLE_RATE = 24_000;

/** Music longer than this is refused: 10 minutes are 29 MB of samples in every job process. */
export const HOLD_MUSIC_MAX_DURATION_MS = 600_000;

/**
 * The hold music that ships with @livekit/agents (its `BuiltinAudioClip.HOLD_MUSIC`), found by the package's
 * location rather than through its `voice` module, whose import would start the media SDK. A unit test holds
 * it equal to the SDK's own `voice.getBuiltinAudioPath`.
 */
export function builtinHoldMusicPath(): string {
  const entry = createRequire(import.meta.url).resolve('@livekit/agents');
  return join(dirname(entry), '..', 'resources', 'hold_music.ogg');
}
