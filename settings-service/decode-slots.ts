// How many hold music decodes one service process runs at once: each is an ffmpeg process using a core for up
// to a second or two, so a burst of uploads takes turns, a few wait, and the rest are told to come back
// (429) instead of queueing without end behind the kill timers of those before them.
export class DecodeSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly atOnce: number,
    readonly maxWaiting: number,
  ) {}

  /** Runs `work` in a slot; undefined, without running it, when every slot is busy and the queue full. */
  async run<T>(work: () => Promise<T>): Promise<{ value: T } | undefined> {
    if (this.running < this.atOnce) this.running++;
    else if (this.waiting.length >= this.maxWaiting) return undefined;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // the slot is handed over as it is
    try {
      return { value: await work() };
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
