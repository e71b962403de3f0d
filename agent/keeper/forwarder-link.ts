// The worker's end of the forwarder (forwarder/main.go): one child process that carries every bridge the keeper
// holds, commanded by JSON lines on its stdin and answering by JSON lines on its stdout. This turns the line
// protocol into promises (a bridge is ready, or failed; a stop is done) and events (someone left, a room closed,
// a bridge was lost, the process exited). The worker makes the tokens; the forwarder holds no API secret.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';

/** Joining two rooms and publishing a track in each takes 200-300 ms on the local stack; a slow server more. */
export const BRIDGE_READY_TIMEOUT_MS = 10_000;
/** Leaving two rooms; a stop that never answers is taken as done (the rooms are deleted anyway). */
export const BRIDGE_STOP_TIMEOUT_MS = 5000;

export interface BridgeLeg {
  room: string;
  token: string;
  /** Whose audio (and keys) this leg carries into the other room. */
  from: string;
}

export interface BridgeSpec {
  id: string;
  url: string;
  /** The caller's room: `a.from`'s audio goes to b as "transfer-caller", b's comes back as "transfer-destination". */
  a: BridgeLeg;
  b: BridgeLeg;
  /** Published but carrying nothing until `release` (a call taken over from a keeper that still carries it). */
  held?: boolean;
}

/** How long a bridge took to be ready (ms since the command), and how much of that was joining both rooms. */
export interface BridgeReady {
  ms?: number | undefined;
  joinedMs?: number | undefined;
}

export type LinkEvents = {
  /** `identity` left `room`: the bridge's call is over. */
  left: [id: string, room: string, identity: string];
  /** A room closed under the bridge (deleted by someone): the forwarder has ended it. */
  room_closed: [id: string, room: string];
  /** The forwarder lost a bridge that was ready (it has ended it). */
  lost: [id: string, message: string];
  /** The process is gone: every bridge with it. */
  exit: [code: number | null, signal: NodeJS.Signals | null];
};

/** The calls a keeper makes of a forwarder; a test may stand in for the process. */
export interface Forwarder extends EventEmitter<LinkEvents> {
  readonly running: boolean;
  /** Resolves once both tracks are published and both sources subscribed; rejects with the forwarder's reason. */
  bridge(spec: BridgeSpec): Promise<BridgeReady | void>;
  /** A held bridge carries the audio from now on. */
  release(id: string): void;
  /** Resolves once the bridge has left both rooms (or there was no such bridge). */
  stop(id: string): Promise<void>;
  /** Ends the process (it leaves every room first). */
  close(): Promise<void>;
}

interface Pending {
  resolve(ready?: BridgeReady): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class ForwarderLink extends EventEmitter<LinkEvents> implements Forwarder {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #ready = new Map<string, Pending>();
  readonly #stopping = new Map<string, Pending[]>();
  #exited = false;
  #stderr = '';

  private constructor(child: ChildProcessWithoutNullStreams) {
    super();
    this.#child = child;
    createInterface({ input: child.stdout }).on('line', (line) => this.#line(line));
    child.stderr.on('data', (chunk: Buffer) => {
      // Kept for the message of a failure; the forwarder logs warnings only unless told otherwise.
      this.#stderr = (this.#stderr + chunk.toString()).slice(-4000);
    });
    // A write after the process died must not throw out of the worker.
    child.stdin.on('error', () => undefined);
    child.once('error', () => undefined);
    child.once('exit', (code, signal) => {
      this.#exited = true;
      const why = new Error(`the forwarder exited (${signal ?? `code ${code}`}): ${this.#stderr.trim().split('\n').slice(-3).join(' | ')}`);
      for (const pending of this.#ready.values()) this.#settle(pending, why);
      this.#ready.clear();
      for (const waiting of this.#stopping.values()) for (const pending of waiting) this.#settle(pending);
      this.#stopping.clear();
      this.emit('exit', code, signal);
    });
  }

  /** Starts `binary`; its stderr is passed through to the worker's when `passStderr`. */
  static start(binary: string, options: { logLevel?: string } = {}): ForwarderLink {
    // Not detached: if the worker dies, the forwarder's stdin closes and it leaves its rooms and exits.
    const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, FORWARDER_LOG_LEVEL: options.logLevel ?? 'warn' } });
    return new ForwarderLink(child);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return !this.#exited && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  bridge(spec: BridgeSpec): Promise<BridgeReady> {
    if (!this.running) return Promise.reject(new Error('the forwarder is not running'));
    if (this.#ready.has(spec.id)) return Promise.reject(new Error(`bridge ${spec.id} is being set up already`));
    return new Promise<BridgeReady>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#ready.delete(spec.id);
        reject(new Error(`the forwarder's bridge was not ready within ${BRIDGE_READY_TIMEOUT_MS} ms`));
        void this.stop(spec.id);
      }, BRIDGE_READY_TIMEOUT_MS);
      this.#ready.set(spec.id, { resolve: (ready) => resolve(ready ?? {}), reject, timer });
      this.#send({ op: 'bridge', ...spec });
    });
  }

  release(id: string): void {
    if (this.running) this.#send({ op: 'release', id });
  }

  stop(id: string): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        const waiting = this.#stopping.get(id) ?? [];
        this.#stopping.set(
          id,
          waiting.filter((p) => p.timer !== timer),
        );
        resolve();
      }, BRIDGE_STOP_TIMEOUT_MS);
      const waiting = this.#stopping.get(id) ?? [];
      waiting.push({ resolve: () => resolve(), reject: () => resolve(), timer });
      this.#stopping.set(id, waiting);
      this.#send({ op: 'stop', id });
    });
  }

  async close(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stdin.end();
    const killer = setTimeout(() => this.#child.kill('SIGKILL'), BRIDGE_STOP_TIMEOUT_MS + 1000);
    await exited;
    clearTimeout(killer);
  }

  #send(command: object): void {
    this.#child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  #settle(pending: Pending, error?: Error, ready?: BridgeReady): void {
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(ready);
  }

  #line(line: string): void {
    let event: { event?: string; id?: string; room?: string; identity?: string; message?: string; ms?: number; joinedMs?: number };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      return; // not the protocol (the forwarder writes its logs to stderr); nothing to act on
    }
    const id = event.id;
    switch (event.event) {
      case 'ready': {
        const pending = id === undefined ? undefined : this.#ready.get(id);
        if (pending) {
          this.#ready.delete(id!);
          this.#settle(pending, undefined, { ms: event.ms, joinedMs: event.joinedMs });
        }
        return;
      }
      case 'error': {
        if (id === undefined) return; // a line the forwarder could not read: ours, and nothing depends on it
        const pending = this.#ready.get(id);
        if (pending) {
          this.#ready.delete(id);
          this.#settle(pending, new Error(`the forwarder could not bridge: ${event.message ?? 'no reason given'}`));
        } else {
          this.emit('lost', id, event.message ?? 'no reason given');
        }
        return;
      }
      case 'stopped': {
        for (const pending of this.#stopping.get(id ?? '') ?? []) this.#settle(pending);
        this.#stopping.delete(id ?? '');
        return;
      }
      case 'left':
        if (id !== undefined) this.emit('left', id, event.room ?? '', event.identity ?? '');
        return;
      case 'room_closed':
        if (id !== undefined) this.emit('room_closed', id, event.room ?? '');
        return;
    }
  }
}
