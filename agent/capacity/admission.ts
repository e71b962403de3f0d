// Which calls this worker takes. A burst of calls reaches the worker faster than its load reports (every 2.5 s)
// can say it is full, so each job request is answered here, at once, by counting: the jobs running plus those
// accepted and not yet running. Past WORKER_MAX_CALLS a new call is rejected; the server offers it to another
// worker, or nobody takes it and the inbound trunk's ringing timeout answers it busy. A takeover (a job sent to
// carry on the transfer of a job that died) is always taken: the death freed its place, and refusing it would
// leave a caller or a person on an unattended line.
import type { JobRequest } from '@livekit/agents';
import { resumeOrderFromMetadata } from '../takeover/resume.ts';

export interface AdmissionOptions {
  maxCalls: number;
  /** The ids of the jobs this worker's processes are running now. */
  running: () => Iterable<string>;
  /** How long an accepted job that never starts still counts (the framework's start-up bound, and then some). */
  acceptedForMs: number;
  now?: () => number;
  onRefused?: (jobId: string, calls: number) => void;
}

export class Admission {
  readonly #accepted = new Map<string, number>();
  readonly #now: () => number;

  constructor(private readonly options: AdmissionOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** The calls this worker has: running, or accepted and starting. Call it often (main.ts: every 500 ms), so
   *  that a job that starts and ends between two requests is not counted on until its acceptance expires. */
  count(): number {
    const ids = new Set(this.options.running());
    for (const [id, at] of this.#accepted) {
      // Running now (counted above), or never started: either way no longer waiting.
      if (ids.has(id) || this.#now() - at > this.options.acceptedForMs) this.#accepted.delete(id);
      else ids.add(id);
    }
    return ids.size;
  }

  /** The worker's requestFunc. */
  async request(request: Pick<JobRequest, 'id' | 'job' | 'accept' | 'reject'>): Promise<void> {
    const takeover = resumeOrderFromMetadata(request.job.metadata) !== undefined;
    const calls = this.count();
    if (!takeover && calls >= this.options.maxCalls) {
      this.options.onRefused?.(request.id, calls);
      await request.reject();
      return;
    }
    // Counted from now until it runs: the framework's accept returns at once, and the job gets its process
    // after the server's assignment and, with no warm process left, a process start (seconds).
    this.#accepted.set(request.id, this.#now());
    await request.accept();
  }
}

/** The load to report: the CPU share, or the share of the calls or transfers the worker may carry, whichever
 *  is highest, capped below 1 (the server sends a worker at load 1 nothing, whatever its threshold says). */
export function reportedLoad(cpu: number, shares: Array<[count: number, max: number]>, cap: number): number {
  return Math.min(cap, Math.max(cpu, ...shares.map(([count, max]) => count / max)));
}
