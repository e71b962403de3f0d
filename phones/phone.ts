// A programmable SIP phone for tests: SIPp does the signalling and streams our audio file; a Node
// UDP socket (the media port our SDP advertises) receives the far end's RTP and sends DTMF; SIP
// INFOs sent to SIPp's own port steer the scenario (answer / reject / hang up) at moments the
// test chooses. What happened is read back from SIPp's message and action logs.
import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeAlawFile } from './audio.ts';
import { callOutcome } from './outcome.ts';
import { ReceivedAudio } from './received.ts';
import { DtmfSender } from './rtp.ts';
import { freeUdpPort, LogTail, LOOPBACK, parseShortMessage, sendControlInfo, spawnSipp, stopSipp, type ShortMessage, type SippProcess } from './sipp.ts';
import type { CallEnd, CalleeBehaviour, CalleeOptions, CallerOptions, PhoneEvent, PhoneEventType, PhoneLogs, PhoneRole } from './types.ts';

const SCENARIOS = fileURLToPath(new URL('./scenarios/', import.meta.url));
const REJECT: Record<string, 486 | 603 | 480> = { busy: 486, decline: 603, unavailable: 480 };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Phone {
  readonly events: PhoneEvent[] = [];
  readonly received = new ReceivedAudio();
  /** Resolves with the answer time; rejects if the call ends unanswered. */
  readonly answered: Promise<number>;
  /** Resolves when SIPp has exited (bounded by maxLifetimeMs). */
  readonly ended: Promise<CallEnd>;
  callId: string | null;
  /** Where the far end wants RTP (from its SDP); DTMF goes there. */
  remoteMedia: { address: string; port: number; dtmfPayloadType: number } | null = null;
  private sipp: SippProcess | null = null;
  private readonly tails: LogTail[];
  private readonly timer: NodeJS.Timeout;
  private readonly listeners = new Set<() => void>();
  private readonly dtmf: DtmfSender;
  private closing: Promise<void> | null = null;
  private resolveEnded!: (end: CallEnd) => void;

  private constructor(
    readonly role: PhoneRole,
    readonly sipPort: number,
    readonly mediaPort: number, // SIPp's -mp: its rtp_stream is sent from here
    readonly logs: PhoneLogs,
    private readonly socket: dgram.Socket,
    callId: string | null,
  ) {
    this.callId = callId;
    this.dtmf = new DtmfSender(socket);
    socket.on('message', (buf, rinfo) => this.received.push(buf, rinfo));
    this.ended = new Promise((r) => (this.resolveEnded = r));
    this.answered = new Promise<number>((resolve, reject) => {
      this.listeners.add(() => {
        const a = this.events.find((e) => e.type === 'answered');
        if (a) resolve(a.at);
        else if (this.has('exit')) reject(new Error(`call ended unanswered: ${this.summary()}`));
      });
    });
    this.answered.catch(() => {}); // not every test awaits it
    this.tails = [new LogTail(logs.shortMessages, (l) => this.onShortMessage(parseShortMessage(l))), new LogTail(logs.actions, (l) => this.onAction(l))];
    this.timer = setInterval(() => this.poll(), 10);
  }

  /** SIPp's process id (also its process group id); null before it started. */
  get pid(): number | null {
    return this.sipp?.pid ?? null;
  }

  /** The Node socket's port: the media port in our SDP, where the far end's RTP arrives. */
  get rtpPort(): number {
    // Cached: a failure message may be built after close(), when the socket can no longer say.
    this.#rtpPort ??= this.socket.address().port;
    return this.#rtpPort;
  }
  #rtpPort: number | undefined;

  static async start(role: PhoneRole, opts: CallerOptions | CalleeOptions, sipPort: number, extraArgs: string[], callId: string | null): Promise<Phone> {
    const dir = mkdtempSync(join(tmpdir(), `phone-${opts.name ?? role}-`));
    const logs: PhoneLogs = {
      dir,
      messages: join(dir, 'messages.log'),
      shortMessages: join(dir, 'short.log'),
      errors: join(dir, 'errors.log'),
      actions: join(dir, 'actions.log'),
      stdout: join(dir, 'sipp.out'),
    };
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, LOOPBACK, () => resolve());
    });
    const mediaPort = await freeUdpPort(true);
    const phone = new Phone(role, sipPort, mediaPort, logs, socket, callId);
    // Set before SIPp starts: the INVITE may arrive as soon as it listens.
    if ('behaviour' in opts || 'ringMs' in opts) phone.behaviour = { kind: opts.behaviour ?? 'answer', ringMs: opts.ringMs ?? 0 };
    try {
      const audio = await makeAlawFile(opts.audio ?? { tone: 440 }, dir);
      const args = [
        ...extraArgs,
        '-sf',
        join(SCENARIOS, `${role}.xml`),
        '-i',
        LOOPBACK,
        '-mi',
        LOOPBACK,
        '-bind_local',
        '-p',
        String(sipPort),
        '-mp',
        String(mediaPort),
        '-m',
        '1',
        '-nostdin',
        '-timeout',
        `${Math.ceil((opts.maxLifetimeMs ?? 180_000) / 1000)}s`,
        '-timeout_error',
        '-key',
        'recv_port',
        String(phone.rtpPort),
        '-key',
        'rtp_stream_args',
        `${audio},-1,8`,
        '-trace_msg',
        '-message_file',
        logs.messages,
        '-trace_shortmsg',
        '-shortmessage_file',
        logs.shortMessages,
        '-trace_err',
        '-error_file',
        logs.errors,
        '-trace_logs',
        '-log_file',
        logs.actions,
      ];
      phone.sipp = await spawnSipp(args, logs.stdout, sipPort);
      void phone.sipp.exited.then((code) => phone.onExit(code));
    } catch (err) {
      await phone.close();
      throw err;
    }
    return phone;
  }

  private poll(): void {
    for (const t of this.tails) t.poll();
  }

  private push(ev: PhoneEvent): void {
    // SIP retransmissions (e.g. a 200 OK resent until the ACK) would repeat events.
    if (ev.type !== 'control-sent' && this.events.some((e) => e.type === ev.type && e.status === ev.status)) return;
    this.events.push(ev);
    for (const l of this.listeners) l();
  }

  private onShortMessage(m: ShortMessage | null): void {
    if (!m) return;
    const local = m.dir === 'S';
    if (m.method === 'INVITE') {
      this.callId ??= m.callId;
      this.push({ type: local ? 'invite-sent' : 'invite-received', at: m.at });
      if (!local) this.onInvite();
    } else if (m.method === 'BYE') this.push({ type: local ? 'bye-sent' : 'bye-received', at: m.at });
    else if (m.method === 'CANCEL') this.push({ type: local ? 'cancel-sent' : 'cancel-received', at: m.at });
    else if (m.method === 'NOTIFY' && local) this.push({ type: 'notify-sent', at: m.at });
    else if (m.status !== null && m.cseqMethod === 'REFER' && local) this.push({ type: 'refer-answered', at: m.at, status: m.status });
    // The ACK of a 200 confirms the dialog; until then the callee's scenario accepts nothing else.
    else if (m.method === 'ACK' && this.has('answered')) this.push({ type: 'confirmed', at: m.at });
    else if (m.status !== null && m.cseqMethod === 'INVITE' && m.status > 100) {
      const type = m.status < 200 ? 'ringing' : m.status < 300 ? 'answered' : 'rejected';
      this.push({ type, at: m.at, status: m.status });
    }
  }

  private onAction(line: string): void {
    const refer = /^EV refer (\S+)/.exec(line);
    if (refer?.[1]) this.push({ type: 'refer-received', at: Date.now(), detail: refer[1] });
    const media = /^EV media (\S+) (\d+) te=(\d*)/.exec(line);
    if (media?.[1] && media[2]) {
      // DTMF must use the telephone-event payload type of the far end's SDP (101 if it has none).
      this.remoteMedia = { address: media[1], port: Number(media[2]), dtmfPayloadType: Number(media[3] || 101) };
      this.push({ type: 'media', at: Date.now(), detail: `${media[1]}:${media[2]} te=${media[3]}` });
    }
  }

  private behaviour: { kind: CalleeBehaviour; ringMs: number } = { kind: 'no-answer', ringMs: 0 };

  private onInvite(): void {
    const { kind, ringMs } = this.behaviour;
    if (this.role !== 'callee' || kind === 'no-answer') return;
    void sleep(ringMs)
      .then(() => (kind === 'answer' ? this.answer() : this.reject(REJECT[kind] ?? 486)))
      .catch((err: unknown) => this.push({ type: 'error', at: Date.now(), detail: String(err) }));
  }

  private onExit(code: number | null): void {
    this.poll(); // SIPp has flushed its logs: read the last lines before judging the call
    clearInterval(this.timer);
    this.push({ type: 'exit', at: Date.now(), status: code ?? -1 });
    this.resolveEnded(callOutcome(this.events, this.role, code, this.closing !== null));
  }

  /** Wait for the first event of a type (or of any of the types), past or future; rejects on
   *  timeout or when SIPp exits first. */
  waitForEvent(type: PhoneEventType | PhoneEventType[], timeoutMs: number): Promise<PhoneEvent> {
    const types: PhoneEventType[] = Array.isArray(type) ? type : [type];
    return new Promise((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        fn();
      };
      const check = () => {
        const ev = this.events.find((e) => types.includes(e.type));
        if (ev) done(() => resolve(ev));
        else if (this.has('exit')) done(() => reject(new Error(`no ${types.join('/')}: SIPp exited. ${this.summary()}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${types.join('/')} within ${timeoutMs} ms. ${this.summary()}`))), timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  waitAnswered(timeoutMs: number): Promise<PhoneEvent> {
    return this.waitForEvent('answered', timeoutMs);
  }

  waitEnded(timeoutMs: number): Promise<CallEnd> {
    return this.waitForEvent('exit', timeoutMs).then(() => this.ended);
  }

  waitForAudio(opts: { minRms: number; withinMs: number; after?: number }): Promise<number> {
    return this.received.waitForAudio(opts);
  }

  private async control(body: string): Promise<void> {
    if (!this.callId) throw new Error(`no call yet. ${this.summary()}`);
    this.push({ type: 'control-sent', at: Date.now(), detail: body });
    await sendControlInfo(this.socket, this.sipPort, this.callId, body);
  }

  private has(type: PhoneEventType): boolean {
    return this.events.some((e) => e.type === type);
  }

  // The callee scenario takes exactly one answer/reject INFO while ringing; a second one would
  // arrive while it waits for the ACK and SIPp would abort the call as "unexpected".
  private decided = false;

  /** Callee: answer the ringing call now (200 OK with SDP); resolves once the ACK arrived. */
  async answer(timeoutMs = 2000): Promise<void> {
    if (!this.decided) {
      this.decided = true;
      await this.control('answer');
    }
    await this.waitForEvent('confirmed', timeoutMs);
  }

  /** Callee: reject the ringing call with 486 Busy Here, 603 Decline or 480 Temporarily Unavailable. */
  async reject(status: 486 | 603 | 480, timeoutMs = 2000): Promise<void> {
    if (this.decided) throw new Error(`call already answered or rejected. ${this.summary()}`);
    this.decided = true;
    await this.control(`reject ${status}`);
    await this.waitForEvent('rejected', timeoutMs);
  }

  /** Hang up: BYE once answered; a ringing caller sends CANCEL. Resolves once SIPp has sent it. */
  async hangup(timeoutMs = 2000): Promise<void> {
    const ends: PhoneEventType[] = ['exit', 'bye-sent', 'bye-received', 'cancel-sent', 'cancel-received', 'rejected'];
    if (ends.some((t) => this.has(t))) return;
    if (this.role === 'callee') {
      if (!this.has('answered')) throw new Error('callee is not answered: use reject()');
      await this.waitForEvent('confirmed', timeoutMs);
    }
    await this.control('hangup');
    await this.waitForEvent(ends, timeoutMs);
  }

  /** Press keys: RFC 4733 events (payload type 101) from our media socket to the far end's RTP port. */
  async press(digits: string, opts: { durationMs?: number; gapMs?: number } = {}): Promise<void> {
    if (!this.has('answered')) throw new Error(`cannot press keys before the call is answered. ${this.summary()}`);
    // The far end's media line comes from SIPp's action log, polled apart from its messages: it may trail the answer.
    if (!this.remoteMedia) await this.waitForEvent('media', 2000).catch(() => undefined);
    const to = this.remoteMedia;
    if (!to) throw new Error(`cannot press keys: the far end's SDP gave no media address. ${this.summary()}`);
    for (const d of digits) {
      await this.dtmf.send(d, to.address, to.port, opts.durationMs ?? 160, to.dtmfPayloadType);
      await sleep(opts.gapMs ?? 100);
    }
  }

  /**
   * A header of the first INVITE in this phone's SIPp message log (a callee's: the one it received; kept until close()):
   * `inviteHeader('From')` is what a real phone turns into its caller ID.
   */
  inviteHeader(name: string): string | undefined {
    let log: string;
    try {
      log = readFileSync(this.logs.messages, 'utf8');
    } catch {
      return undefined;
    }
    const invite = /^INVITE sip:[^\r\n]*\r?\n([\s\S]*?)\r?\n\r?\n/m.exec(log)?.[1];
    const header = invite?.split(/\r?\n/).find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    return header?.slice(name.length + 1).trim();
  }

  /** The user part of the received INVITE's From: the number a destination's phone shows as caller ID. */
  callerId(): string | undefined {
    return /<?sips?:([^@;>]+)@/.exec(this.inviteHeader('From') ?? '')?.[1];
  }

  /** One line per event, for failure messages. */
  summary(): string {
    const t0 = this.events[0]?.at ?? 0;
    const evs = this.events.map((e) => `+${e.at - t0}ms ${e.type}${e.status ? ` ${e.status}` : ''}${e.detail ? ` (${e.detail})` : ''}`);
    return `[${this.role} sip:${this.sipPort} rtp:${this.rtpPort} logs:${this.logs.dir}] ${evs.join(', ') || 'no events'}`;
  }

  /** Stop SIPp (its whole process group) and the socket. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.sipp) await stopSipp(this.sipp);
      else this.resolveEnded(callOutcome(this.events, this.role, null, true));
      clearInterval(this.timer);
      this.socket.close();
      if (!process.env.PHONE_KEEP_LOGS) rmSync(this.logs.dir, { recursive: true, force: true });
    })();
    return this.closing;
  }
}

/** Place a call (UAC): INVITE sip:<to>@host:port from sip:<from>@127.0.0.1. */
export async function startCaller(opts: CallerOptions): Promise<Phone> {
  const callId = `phone-${randomUUID()}@${LOOPBACK}`; // our choice, so control INFOs can name it at once
  const args = [
    `${opts.host ?? LOOPBACK}:${opts.port ?? 5060}`,
    '-cid_str',
    callId,
    '-key',
    'to_user',
    opts.to,
    '-key',
    'from_user',
    opts.from,
    '-key',
    'refer_reply',
    opts.referReply ?? 'accept',
    '-key',
    'notify_frag',
    opts.notifyFrag ?? 'SIP/2.0 200 OK',
  ];
  return onFreePort(opts.localPort, (sipPort) => Phone.start('caller', opts, sipPort, args, callId));
}

export const callIn = startCaller;

/** Wait for a call (UAS) on opts.port and treat it as opts.behaviour says (default: answer). */
export async function startCallee(opts: CalleeOptions = {}): Promise<Phone> {
  return onFreePort(opts.port, (sipPort) => Phone.start('callee', { ...opts, behaviour: opts.behaviour ?? 'answer' }, sipPort, [], null));
}

/**
 * Start on the given port, or on a free one. A port chosen here can still be taken between the probe
 * and SIPp's bind (another test process picked it too); then try another, as a user would redial.
 */
async function onFreePort(given: number | undefined, start: (port: number) => Promise<Phone>): Promise<Phone> {
  if (given !== undefined) return start(given);
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freeUdpPort());
    } catch (err) {
      if (attempt >= 3 || !/already in use/.test(String(err))) throw err;
    }
  }
}
