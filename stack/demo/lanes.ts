// What a phone heard over time, as labelled segments: silence, the other party (told by the other phone's
// pitch: each demo phone sends its own tone), and otherwise the agent, as music while the caller is on hold
// and as speech at any other time. Used for the live lines, the summary and the picture.
import type { ReceivedAudio } from '../../phones/index.ts';

export type Heard = 'silence' | 'speech' | 'music' | 'other party';

export interface Segment {
  kind: Heard;
  /** Epoch ms, start inclusive, end exclusive. */
  start: number;
  end: number;
}

export interface LaneContext {
  /** The tone the other phone sends, in Hz. */
  otherToneHz: number;
  /** When this phone's party was on hold (agent audio then is the hold music). */
  holds: ReadonlyArray<{ start: number; end: number }>;
}

const QUIET_RMS = 150;

/** What `audio` carried in [start, end). */
export function heardIn(audio: ReceivedAudio, start: number, end: number, context: LaneContext): Heard {
  if (audio.rms(start, end) < QUIET_RMS) return 'silence';
  if (audio.toneRatio(context.otherToneHz, start, end) > 0.5) return 'other party';
  const middle = (start + end) / 2;
  return context.holds.some((h) => middle >= h.start && middle < h.end) ? 'music' : 'speech';
}

/** Segments from `from` to `to` in steps of `stepMs`, neighbours of one kind merged. */
export function lane(audio: ReceivedAudio, from: number, to: number, context: LaneContext, stepMs = 100): Segment[] {
  const segments: Segment[] = [];
  for (let t = from; t < to; t += stepMs) {
    const kind = heardIn(audio, t, Math.min(to, t + stepMs), context);
    const last = segments.at(-1);
    if (last && last.kind === kind) last.end = Math.min(to, t + stepMs);
    else segments.push({ kind, start: t, end: Math.min(to, t + stepMs) });
  }
  return segments;
}

/** The first time at or after `after` that a segment of `kind` starts or covers, lasting at least `minMs`. */
export function firstHeard(segments: readonly Segment[], kind: Heard, after: number, minMs = 200): number | undefined {
  for (const s of segments) {
    if (s.kind !== kind || s.end <= after) continue;
    const start = Math.max(s.start, after);
    if (s.end - start >= minMs) return start;
  }
  return undefined;
}
