// The forwarder (forwarder/, built by stack/setup.sh) as a child process a test drives: commands as JSON lines
// on its stdin, events read back from its stdout with their arrival time, its stderr kept for failure messages.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { forwarderBinary } from '../../agent/livekit/forwarder-bin.ts';

export interface ForwarderEvent {
  event: string;
  id?: string;
  [field: string]: unknown;
}

export class ForwarderProcess {
  /** Every event so far, with its arrival time (ms since epoch). */
  readonly events: Array<{ at: number; event: ForwarderEvent }> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    createInterface({ input: child.stdout }).on('line', (line) => {
      let parsed: ForwarderEvent;
      try {
        parsed = JSON.parse(line) as ForwarderEvent;
      } catch {
        parsed = { event: 'not-json', line };
      }
      this.events.push({ at: Date.now(), event: parsed });
      for (const listener of this.listeners) listener();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20_000);
    });
  }

  /** Starts the binary stack/setup.sh built for this checkout (or $FORWARDER_BIN); its stderr is also appended to logFile. */
  static start(options: { binary?: string; logFile?: string } = {}): ForwarderProcess {
    // Not detached: if the test process dies, the forwarder's stdin closes and it leaves its rooms and exits.
    const child = spawn(options.binary ?? forwarderBinary(), [], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, FORWARDER_LOG_LEVEL: 'info' } });
    child.once('error', () => undefined);
    if (options.logFile) {
      const log = createWriteStream(options.logFile, { flags: 'a' });
      child.stderr.pipe(log);
    }
    return new ForwarderProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends one line: an object as JSON, or a string as it is (for malformed input). */
  send(command: object | string): void {
    this.child.stdin.write(`${typeof command === 'string' ? command : JSON.stringify(command)}\n`);
  }

  /** The first event at index `from` or later that matches, waiting up to `ms` for it. */
  waitFor(match: (event: ForwarderEvent) => boolean, ms: number, what: string, from = 0): Promise<{ at: number; event: ForwarderEvent }> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.slice(from).find((e) => match(e.event));
        if (found) finish(() => resolve(found));
      };
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${what} within ${ms} ms; events: ${this.describe()}`))), ms);
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `command` and waits for the first later event that matches. */
  request(command: object | string, match: (event: ForwarderEvent) => boolean, ms: number, what: string): Promise<{ at: number; event: ForwarderEvent }> {
    const from = this.events.length;
    this.send(command);
    return this.waitFor(match, ms, what, from);
  }

  /** Closes stdin: the forwarder leaves every room and exits 0. */
  endInput(): void {
    this.child.stdin.end();
  }

  /** Kills the process (by its PID) if it is still running. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  describe(): string {
    return `${JSON.stringify(this.events.map((e) => e.event))}\nstderr (last lines): ${this.stderr.split('\n').slice(-30).join('\n')}`;
  }
}
