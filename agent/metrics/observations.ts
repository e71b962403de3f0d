// What a transfer's timeline says in numbers: each entry (transfer/timeline.ts) is turned into the metric
// observations it completes (registry.ts holds the metrics). A duration is observed only when both of its ends
// were seen by the same process: a transfer taken over from a job that died has its hold (begun in the dead
// job) left out rather than counted from the moment the music started again.
//
// Each attempt (one destination) counts once in `transfers`, when its outcome is known: an accepted one at
// `bridged` (the end of the call may be hours later), the others at `ended`; a REFER at its `ended`. The
// `ended` of a bridged call (the job's with BRIDGE_CARRIER=relay, the keeper's) is not counted again, nor the
// `bridged` of a job that carries on a transfer taken over once bridged.
import { z } from 'zod';
import { TRANSFER_OUTCOMES } from '../../core/outcome.ts';
import type { TimelineEntry } from '../transfer/timeline.ts';

/** Every outcome an attempt's `ended` can carry: a transfer's, and a SIP REFER the trunk refused. */
export const OUTCOME_LABELS = [...TRANSFER_OUTCOMES, 'refer_failed'] as const;
/** The phases a taken-over transfer is carried on from (state/phase.ts). */
export const PHASE_LABELS = ['idle', 'dialing', 'briefing', 'connecting', 'bridged', 'notifying', 'ended'] as const;
/** Why a call was refused: over WORKER_MAX_CALLS (admission), or its settings could not be read (the apology). */
export const REFUSAL_LABELS = ['max_calls', 'no_settings'] as const;
/** A label value outside its closed set: never the value itself. */
export const OTHER = 'other';

const seconds = z.number().finite().nonnegative();
const label = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values).catch(OTHER as T[number]);

/**
 * One observation, as a job process sends it to its worker's main process (relay.ts) and as the main process
 * makes its own. The schema is what the main process accepts: anything else is dropped, and a label value
 * outside its closed set becomes `other`. The agent id is checked where it becomes a label (registry.ts).
 */
export const observationSchema = z.discriminatedUnion('metric', [
  z.object({ metric: z.literal('transfer'), outcome: label(OUTCOME_LABELS), agent: z.string() }),
  z.object({ metric: z.literal('hold'), outcome: label(OUTCOME_LABELS), seconds }),
  z.object({ metric: z.literal('answer'), seconds }),
  z.object({ metric: z.literal('briefing'), seconds }),
  z.object({ metric: z.literal('decision'), choice: label(['accept', 'reject']), source: label(['keypad', 'voice', 'timeout']), seconds }),
  z.object({ metric: z.literal('takeover_gap'), phase: label(PHASE_LABELS), seconds }),
  z.object({ metric: z.literal('call_refused'), reason: label(REFUSAL_LABELS) }),
]);

export type Observation = z.output<typeof observationSchema>;

/** What one process remembers of a transfer it is part of, until its part ends. */
interface Marks {
  /** Carried on from a job that died: its hold began there. */
  resumed: boolean;
  /** This attempt's outcome has been counted (or was, by the process before). */
  counted: boolean;
  holdAt?: number | undefined;
  dialingAt?: number | undefined;
  answeredAt?: number | undefined;
  briefingAt?: number | undefined;
  briefed: boolean;
}

/** A process keeps at most this many transfers' marks (a job has one or two; a keeper, its kept calls). */
const MAX_TRACKED = 1000;

export class TransferObserver {
  readonly #marks = new Map<string, Marks>();

  /**
   * The observations `entry` completes, for a transfer of agent `agent`. Each is checked by the schema the main
   * process applies; one that fails it (a gap of Infinity) is left out: counting never stops a call.
   */
  observe(agent: string, entry: TimelineEntry): Observation[] {
    const out: unknown[] = this.#observe(agent, entry);
    return out.flatMap((candidate) => {
      const checked = observationSchema.safeParse(candidate);
      return checked.success ? [checked.data] : [];
    });
  }

  #observe(agent: string, entry: TimelineEntry): unknown[] {
    const at = Date.parse(entry.at);
    const marks = this.#marksOf(entry.transferId);
    const out: unknown[] = [];
    const since = (start: number | undefined) => (start === undefined || !(at >= start) ? undefined : (at - start) / 1000);
    const push = (seconds: number | undefined, make: (seconds: number) => unknown) => {
      if (seconds !== undefined) out.push(make(seconds));
    };
    switch (entry.type) {
      case 'started':
        if (entry.resumedFrom !== undefined) marks.resumed = true;
        // A job carrying on a transfer bridged before it came: that bridge was counted by the job that made it.
        marks.counted = entry.resumedFrom === 'bridged';
        marks.dialingAt = marks.answeredAt = marks.briefingAt = undefined;
        marks.briefed = false;
        break;
      case 'hold_started':
        if (!marks.resumed && marks.holdAt === undefined) marks.holdAt = at;
        break;
      case 'dialing':
        marks.dialingAt = at;
        break;
      case 'answered':
        marks.answeredAt = at;
        push(since(marks.dialingAt), (s) => ({ metric: 'answer', seconds: s }));
        break;
      case 'briefing_started':
        marks.briefingAt = at;
        marks.briefed = false;
        break;
      case 'prompted':
      case 'decision':
        // The briefing lasts until the question has been asked, or until the person decided before it was.
        if (!marks.briefed) push(since(marks.briefingAt), (s) => ({ metric: 'briefing', seconds: s }));
        marks.briefed = marks.briefingAt !== undefined;
        if (entry.type === 'decision') {
          push(since(marks.answeredAt), (s) => ({ metric: 'decision', choice: entry.choice, source: entry.source, seconds: s }));
        }
        break;
      case 'resumed':
        if (typeof entry.gapMs === 'number') out.push({ metric: 'takeover_gap', phase: entry.phase, seconds: entry.gapMs / 1000 });
        break;
      case 'kept':
        marks.counted = true; // the keeper's call was counted at its bridge, by the job or the keeper's own takeover
        break;
      case 'bridged':
        out.push(...this.#outcome(agent, marks, 'accepted', at, true));
        break;
      case 'ended':
        // With `next`, the caller stays on hold for the next destination (or a REFER is followed by a dial).
        out.push(...this.#outcome(agent, marks, entry.outcome, at, entry.next === undefined));
        if (entry.next === undefined) this.#marks.delete(entry.transferId);
        break;
      case 'handed_over':
        this.#marks.delete(entry.transferId);
        break;
    }
    return out;
  }

  /** An attempt's outcome; `holdEnds` when the caller is connected, or taken back (or gone) with nobody left to try. */
  #outcome(agent: string, marks: Marks, outcome: unknown, at: number, holdEnds: boolean): unknown[] {
    const out: unknown[] = [];
    if (!marks.counted) out.push({ metric: 'transfer', outcome, agent });
    marks.counted = true;
    if (!holdEnds) return out;
    if (marks.holdAt !== undefined && at >= marks.holdAt) out.push({ metric: 'hold', outcome, seconds: (at - marks.holdAt) / 1000 });
    marks.holdAt = undefined;
    return out;
  }

  #marksOf(transferId: string): Marks {
    let marks = this.#marks.get(transferId);
    if (!marks) {
      if (this.#marks.size >= MAX_TRACKED) this.#marks.delete(this.#marks.keys().next().value!);
      marks = { resumed: false, counted: false, briefed: false };
      this.#marks.set(transferId, marks);
    }
    return marks;
  }
}
