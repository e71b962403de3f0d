// Takeover, the person's side. A job carrying on a transfer whose job died goes back into the consultation
// room as soon as it has read the record, before its own room, its caller or its agent sessions are up
// (those take seconds on a busy machine), and, when the dead job left someone mid-briefing, apologises to
// them at once on a track of its own. The resumed attempt (TransferAttempt) adopts the joined room and asks its
// question once the apology has been said.
import type { tts } from '@livekit/agents';
import { AudioSource, type AudioFrame, type Room } from '@livekit/rtc-node';
import { APOLOGY } from '../../prompts/briefing.ts';
import { synthesizeFrames } from '../conversation/speech/phrases.ts';
import { bounded, DISCONNECT_TIMEOUT_MS, settleWithin, UNPUBLISH_TIMEOUT_MS } from '../../core/bounded.ts';
import { publishAudio } from '../livekit/publish-audio.ts';

/** How long synthesizing the apology may take before the person is left to the briefing session instead. */
const SYNTHESIS_TIMEOUT_MS = 3000;
/** Slack on top of the apology's own length for it to be played out. */
const PLAYOUT_SLACK_MS = 2000;

export interface EarlyRejoin {
  /** The joined consultation room, for the resumed transfer to adopt; the first to take it owns it. */
  take(): Promise<Room>;
  /** True once the apology has been played to the person; false when nobody was there or it could not be said. */
  readonly apologised: Promise<boolean>;
  /**
   * Settles once the apology is queued in full (it then plays out whatever this process does next), or will
   * not be said. Starting the briefing session costs the process a second of CPU: it waits for this.
   */
  readonly queued: Promise<void>;
  /** Leaves the room if nobody took it (the transfer ended, or was claimed again, before it was resumed). */
  release(): Promise<void>;
}

export function rejoinEarly(options: {
  join: () => Promise<Room>;
  /** Who must be in the room to be apologised to; nobody is apologised to when undefined. */
  personIdentity?: string;
  tts: tts.TTS;
  /** Plays the apology's frames into the room; {@link playInto} unless a test says otherwise. */
  play?: (room: Room, frames: AudioFrame[], onQueued: () => void) => Promise<void>;
}): EarlyRejoin {
  const play = options.play ?? playInto;
  const joining = options.join();
  joining.catch(() => undefined); // a failed join is reported to whoever takes the room
  let taken = false;
  // Synthesized while the room is joined: the words are ready when the person can hear them.
  const words = options.personIdentity ? synthesizeFrames(options.tts, APOLOGY, SYNTHESIS_TIMEOUT_MS, 'synthesizing the apology') : Promise.resolve([]);
  words.catch(() => undefined);
  let onQueued!: () => void;
  const queued = new Promise<void>((resolve) => (onQueued = resolve));
  const apologised = (async () => {
    if (!options.personIdentity) return false;
    const room = await joining;
    if (!room.remoteParticipants.has(options.personIdentity)) return false;
    const frames = await words;
    if (frames.length === 0) return false;
    await play(room, frames, onQueued);
    return true;
  })()
    .catch(() => false)
    .finally(onQueued);
  return {
    take() {
      taken = true;
      return joining;
    },
    apologised,
    queued,
    async release() {
      if (taken) return;
      taken = true;
      await apologised;
      const room = await joining.catch(() => undefined);
      await settleWithin(room?.disconnect(), DISCONNECT_TIMEOUT_MS);
    },
  };
}

/**
 * Publishes `frames` (mono, one sample rate) as a track of their own and resolves once they have been played
 * out. The source's queue holds the whole utterance, so the playout does not wait on this process's event loop.
 */
export async function playInto(room: Room, frames: AudioFrame[], onQueued?: () => void, trackName = 'takeover-apology'): Promise<void> {
  const sampleRate = frames[0]!.sampleRate;
  const durationMs = frames.reduce((ms, frame) => ms + (frame.samplesPerChannel / frame.sampleRate) * 1000, 0);
  // The FFI panics (and the job hangs) unless the queue's size is a multiple of 10 ms.
  const source = new AudioSource(sampleRate, 1, Math.ceil(durationMs / 10) * 10 + 1000);
  const { track, sid } = await publishAudio(room, source, trackName);
  try {
    for (const frame of frames) await source.captureFrame(frame);
    onQueued?.();
    await bounded(source.waitForPlayout(), durationMs + PLAYOUT_SLACK_MS, `playing ${trackName}`);
  } finally {
    await settleWithin(room.localParticipant?.unpublishTrack(sid), UNPUBLISH_TIMEOUT_MS);
    await track.close().catch(() => undefined);
    await source.close().catch(() => undefined);
  }
}
