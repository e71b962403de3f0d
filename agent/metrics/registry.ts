// The worker's metrics, held by its main process and served on METRICS_PORT (core/metrics-http.ts). What
// happens in the main process (refused calls, takeovers, the calls and transfers in progress, kept calls) is
// counted here directly; what happens in job processes arrives as observations (observations.ts) through
// Redis (relay.ts). Label values come from closed sets, and the one open one, the agent, is an agent id
// (an operator's or organization's name for an agent, never a caller's number, name or room), checked for
// its form and capped in number: past MAX_AGENT_LABELS further agents share the label `other`.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ClaimMode, ClaimReason } from '../takeover/watcher.ts';
import type { TimelineEntry } from '../transfer/timeline.ts';
import { OTHER, type Observation, observationSchema, OUTCOME_LABELS, REFUSAL_LABELS, TransferObserver } from './observations.ts';

/** Distinct agent label values one worker exports at most (each adds a series per outcome). */
export const MAX_AGENT_LABELS = 500;
/** An agent id's form (settings/store/validate.ts); anything else is not used as a label. */
const AGENT_ID = /^[\w.-]{1,64}$/;

/** What the gauges read at each scrape; each is optional (a worker without a keeper has no kept calls). */
export interface WorkerGaugeSources {
  /** Calls this worker runs or has accepted (capacity/admission.ts). */
  calls?: () => number;
  /** Open transfers (and bridged calls a job relays) its job processes carry (capacity/carrying.ts). */
  transfers?: () => number;
  /** Bridged calls its keeper carries (keeper/keeper.ts). */
  kept?: () => number;
}

const PREFIX = 'warm_transfer_';

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly #agents = new Set<string>();
  readonly #sources: WorkerGaugeSources = {};
  readonly #transfers: Counter<'outcome' | 'agent'>;
  readonly #hold: Histogram<'outcome'>;
  readonly #answer: Histogram;
  readonly #briefing: Histogram;
  readonly #decision: Histogram<'choice' | 'source'>;
  readonly #takeovers: Counter<'mode' | 'reason'>;
  readonly #takeoverGap: Histogram<'phase'>;
  readonly #refused: Counter<'reason'>;

  constructor({ processMetrics = true }: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.#transfers = new Counter({
      name: `${PREFIX}transfers_total`,
      help: 'Transfer attempts (one per destination tried) by outcome and agent id; accepted ones counted when bridged.',
      labelNames: ['outcome', 'agent'],
      registers,
    });
    this.#hold = new Histogram({
      name: `${PREFIX}hold_seconds`,
      help: "Time the caller spent on hold, from the music's start to being connected or taken back, by outcome.",
      labelNames: ['outcome'],
      buckets: [1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300],
      registers,
    });
    this.#answer = new Histogram({
      name: `${PREFIX}answer_seconds`,
      help: 'Time from dialling a destination to its answer.',
      buckets: [0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 75],
      registers,
    });
    this.#briefing = new Histogram({
      name: `${PREFIX}briefing_seconds`,
      help: 'Length of the briefing: from its start until the question had been asked, or the person decided before it.',
      buckets: [1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120],
      registers,
    });
    this.#decision = new Histogram({
      name: `${PREFIX}decision_seconds`,
      help: "Time from the destination's answer to its decision, by choice and source (keypad, voice, timeout).",
      labelNames: ['choice', 'source'],
      buckets: [1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180],
      registers,
    });
    this.#takeovers = new Counter({
      name: `${PREFIX}takeovers_total`,
      help: "Transfers this worker's watcher claimed from a dead owner, by what it did (mode) and why it claimed.",
      labelNames: ['mode', 'reason'],
      registers,
    });
    this.#takeoverGap = new Histogram({
      name: `${PREFIX}takeover_gap_seconds`,
      help: "Time from a dead owner's last renewal to the caller hearing music (or the person spoken to) again, by phase.",
      labelNames: ['phase'],
      buckets: [0.25, 0.5, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 30],
      registers,
    });
    this.#refused = new Counter({ name: `${PREFIX}calls_refused_total`, help: 'Calls this worker refused, by reason.', labelNames: ['reason'], registers });
    for (const reason of REFUSAL_LABELS) this.#refused.inc({ reason }, 0);
    const sources = this.#sources;
    const gauge = (name: string, help: string, read: () => (() => number) | undefined) =>
      new Gauge({
        name: `${PREFIX}${name}`,
        help,
        registers,
        collect() {
          const value = read();
          if (value) this.set(value());
        },
      });
    gauge('calls_in_progress', 'Calls this worker runs, or has accepted and is starting.', () => sources.calls);
    gauge('transfers_in_progress', "Open transfers (and bridged calls a job relays) this worker's job processes carry.", () => sources.transfers);
    gauge('kept_calls', "Bridged calls this worker's keeper carries (no job process).", () => sources.kept);
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Where the gauges read their values (set once the parts exist). */
  watch(sources: WorkerGaugeSources): void {
    Object.assign(this.#sources, sources);
  }

  apply(observation: Observation): void {
    switch (observation.metric) {
      case 'transfer':
        return this.#transfers.inc({ outcome: observation.outcome, agent: this.agentLabel(observation.agent) });
      case 'hold':
        return this.#hold.observe({ outcome: observation.outcome }, observation.seconds);
      case 'answer':
        return this.#answer.observe(observation.seconds);
      case 'briefing':
        return this.#briefing.observe(observation.seconds);
      case 'decision':
        return this.#decision.observe({ choice: observation.choice, source: observation.source }, observation.seconds);
      case 'takeover_gap':
        return this.#takeoverGap.observe({ phase: observation.phase }, observation.seconds);
      case 'call_refused':
        return this.#refused.inc({ reason: observation.reason });
    }
  }

  /** An observation a job process sent (relay.ts): applied when it is one; false (and nothing counted) if not. */
  applySent(json: string): boolean {
    let parsed;
    try {
      parsed = observationSchema.safeParse(JSON.parse(json));
    } catch {
      return false;
    }
    if (parsed.success) this.apply(parsed.data);
    return parsed.success;
  }

  /** A transfer the watcher ended itself (takeover/dispatch.ts abandon): nobody else counts it. */
  transferEnded(agent: string | undefined, outcome: (typeof OUTCOME_LABELS)[number]): void {
    this.#transfers.inc({ outcome, agent: this.agentLabel(agent) });
  }

  /** A timeline of this process (the keeper's kept calls) observed and counted here. */
  timelineObserver(): (agent: string | undefined, entry: TimelineEntry) => void {
    const observer = new TransferObserver();
    return (agent, entry) => {
      // Called from the keeper's timeline: whatever goes wrong here must not reach the kept call.
      try {
        for (const observation of observer.observe(agent ?? '', entry)) this.apply(observation);
      } catch (error) {
        console.error(JSON.stringify({ event: 'metric_observation_failed', error: String(error) }));
      }
    };
  }

  takeover(mode: ClaimMode, reason: ClaimReason): void {
    this.#takeovers.inc({ mode, reason });
  }

  /** The label for agent id `agent`: itself when it has an agent id's form and the cap is not reached. */
  agentLabel(agent: string | undefined): string {
    if (agent === undefined || !AGENT_ID.test(agent)) return 'unknown';
    if (this.#agents.has(agent)) return agent;
    if (this.#agents.size >= MAX_AGENT_LABELS) return OTHER;
    this.#agents.add(agent);
    return agent;
  }
}
