// The caller's agent session as the transfer code uses it: to speak to the caller, to mute the agent while
// the caller is on hold or being referred, and to close it once the caller is handed off. A taken-over job
// does not start it before carrying the transfer on (that takes a second or more on a busy machine): it is
// started here when the caller is to hear the agent again, and what was asked of it meanwhile waits for that.
import { log, type voice } from '@livekit/agents';

export class CallerSession {
  readonly #session: () => voice.AgentSession;
  readonly #start: (() => Promise<unknown>) | undefined;
  /** Started (by the job, or here); until then nothing it is asked to do reaches the caller. */
  #started: boolean;
  #starting: Promise<void> | undefined;
  /** A mute asked for before the session started, applied once it has. */
  #wantMuted: boolean | undefined;

  /** `start`: set when the session has not been started (a taken-over job); it is started here when needed. */
  constructor(session: () => voice.AgentSession, start?: () => Promise<unknown>) {
    this.#session = session;
    this.#start = start;
    this.#started = start === undefined;
  }

  get started(): boolean {
    return this.#started;
  }

  /** What has been said on the call so far (the caller's consent, the briefing's transcript). */
  get history(): voice.AgentSession['history'] {
    return this.#session().history;
  }

  /** Starts the session if nobody has (idempotent); resolves once it runs, or failed to start (logged). */
  start(): Promise<void> {
    if (this.#started) return Promise.resolve();
    this.#starting ??= Promise.resolve()
      .then(() => this.#start!())
      .catch((error: unknown) => log().error({ error }, 'the caller agent session did not start'))
      .then(() => {
        this.#started = true;
        if (this.#wantMuted !== undefined) this.mute(this.#wantMuted);
      });
    return this.#starting;
  }

  /** Uses the session now, or once it has started (in the order asked), starting it if need be. */
  use(work: (session: voice.AgentSession) => unknown): void {
    const session = this.#session();
    if (this.#started) {
      work(session);
      return;
    }
    void this.start()
      .then(() => work(session))
      .catch((error: unknown) => log().debug({ error }, 'the caller agent session could not be used'));
  }

  say(text: string): void {
    this.use((session) => session.say(text));
  }

  /** Says `text` without letting the caller cut it short; resolves once heard, or after `maxMs` at most. */
  async sayInFull(text: string, maxMs: number): Promise<void> {
    const said = this.#session().say(text, { allowInterruptions: false });
    await Promise.race([said.waitForPlayout(), new Promise((resolve) => setTimeout(resolve, maxMs))]);
  }

  /** The agent stops (or starts again) hearing and speaking to the caller. */
  mute(muted: boolean): void {
    if (!this.#started) {
      this.#wantMuted = muted; // applied once it starts; a session not started hears and says nothing anyway
      return;
    }
    const session = this.#session();
    try {
      session.input.setAudioEnabled(!muted);
      session.output.setAudioEnabled(!muted);
    } catch (error) {
      // A taken-over transfer whose caller had already gone has no running session to mute.
      log().debug({ error }, 'the caller agent could not be muted');
    }
  }

  /**
   * The agent drops out for good (the caller is connected to someone): it no longer listens, speaks or calls
   * tools. A session never started is simply never started.
   */
  close(): void {
    if (this.#started || this.#starting) this.use((session) => session.close());
  }
}
