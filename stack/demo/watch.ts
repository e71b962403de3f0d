// The demo's live commentary: every timeline entry the worker prints, and every change in what a phone
// hears, as one line each, timed from the caller's key press.
import type { Phone } from '../../phones/index.ts';
import type { RunningWorker } from '../worker-process.ts';
import { heardIn, type Heard, type LaneContext } from './lanes.ts';

export interface Watched {
  name: string;
  phone: Phone;
  context: () => LaneContext;
}

export type TimelineEntry = Record<string, unknown> & { type: string; at: string };

const DETAIL_KEYS = ['destinationMasked', 'topology', 'reason', 'sipStatus', 'sipReason', 'choice', 'source', 'outcome', 'side'];

function describeEntry(e: TimelineEntry): string {
  const details = DETAIL_KEYS.filter((k) => e[k] !== undefined && e[k] !== null).map((k) => `${k}=${String(e[k])}`);
  return details.length > 0 ? `${e.type} (${details.join(', ')})` : e.type;
}

export class LiveWatch {
  readonly entries: TimelineEntry[] = [];
  /** Set when the caller presses the key; lines are timed from it. */
  keyPressedAt: number | undefined;
  readonly #startedAt = Date.now();
  readonly #last = new Map<string, { kind: Heard; streak: number; printed: Heard | undefined }>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly worker: RunningWorker,
    private readonly phones: readonly Watched[],
    private readonly print: (line: string) => void = (line) => console.log(line),
  ) {
    this.#timer = setInterval(() => this.#poll(), 200);
  }

  stamp(at = Date.now()): string {
    const since = this.keyPressedAt;
    return since === undefined
      ? `[call +${String(at - this.#startedAt).padStart(5)} ms]`
      : `[key  ${at >= since ? '+' : '-'}${String(Math.abs(at - since)).padStart(5)} ms]`;
  }

  say(text: string, at = Date.now()): void {
    this.print(`${this.stamp(at)} ${text}`);
  }

  /** The first entry of `type` recorded at or after `after`. */
  find(type: string, after = 0): TimelineEntry | undefined {
    return this.entries.find((e) => e.type === type && Date.parse(e.at) >= after);
  }

  async waitFor(type: string, withinMs: number, after = 0): Promise<TimelineEntry> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const found = this.find(type, after);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`the worker recorded no "${type}" within ${withinMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#poll();
  }

  #poll(): void {
    const all = this.worker.timeline() as TimelineEntry[];
    for (const entry of all.slice(this.entries.length)) {
      this.entries.push(entry);
      this.say(`phase: ${describeEntry(entry)}`, Date.parse(entry.at));
    }
    const now = Date.now();
    for (const { name, phone, context } of this.phones) {
      if (!phone.events.some((e) => e.type === 'answered')) continue;
      const kind = heardIn(phone.received, now - 400, now, context());
      const state = this.#last.get(name) ?? { kind, streak: 0, printed: undefined };
      state.streak = state.kind === kind ? state.streak + 1 : 1;
      state.kind = kind;
      // Two polls in a row, so a word's pause is not reported as silence.
      if (state.streak >= 2 && state.printed !== kind) {
        state.printed = kind;
        this.say(`${name} hears: ${kind === 'other party' ? 'the other phone' : kind}`, now - 400);
      }
      this.#last.set(name, state);
    }
  }
}
