// Running one SIPp process for a test phone: free ports, spawning in its own process group,
// following its log files, and the out-of-band control INFO.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

export const LOOPBACK = '127.0.0.1';

// Ports handed out by this process recently; the probe socket is closed before SIPp binds, so
// without this two phones started together could be given the same port.
const handedOut = new Set<number>();

function probe(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(null);
    });
    s.bind(port, LOOPBACK, () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

// Phones take their SIP and media ports from here: above livekit-sip's RTP range (10000-20000,
// stack/sip.yaml) and below Linux's ephemeral range (32768-60999). A port found free by a probe in
// the ephemeral range can be taken by any socket bound to port 0 (the phone's own RTP socket, a
// worker's WebRTC transport) before SIPp binds it; in this range only a phone binds.
const PHONE_PORTS = { first: 20_100, last: 32_700 };

/** A free UDP port on loopback; with pairWithPlus2 also port+2 is free (SIPp's -mp binds both). */
export async function freeUdpPort(pairWithPlus2 = false): Promise<number> {
  const span = PHONE_PORTS.last - PHONE_PORTS.first;
  for (let i = 0; i < 200; i++) {
    const p = PHONE_PORTS.first + Math.floor(Math.random() * span);
    if (handedOut.has(p) || (pairWithPlus2 && handedOut.has(p + 2))) continue;
    if ((await probe(p)) === null) continue;
    if (pairWithPlus2 && (await probe(p + 2)) === null) continue;
    const ports = pairWithPlus2 ? [p, p + 2] : [p];
    for (const q of ports) handedOut.add(q);
    setTimeout(() => ports.forEach((q) => handedOut.delete(q)), 60_000).unref();
    return p;
  }
  throw new Error(`no free UDP port found in ${PHONE_PORTS.first}-${PHONE_PORTS.last}`);
}

/** True once some socket is bound to UDP port on 127.0.0.1 or 0.0.0.0 (Linux /proc). */
function udpPortBound(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const table = readFileSync('/proc/net/udp', 'utf8');
  return table.split('\n').some((line) => {
    const local = line.trim().split(/\s+/)[1] ?? '';
    return `${local} `.endsWith(hex) && (local.startsWith('0100007F') || local.startsWith('00000000'));
  });
}

export interface SippProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  exitCode: number | null | undefined; // undefined while running
}

const running = new Set<SippProcess>();
// Last resort if a test forgets close(): never leave SIPp behind when the test process exits.
process.once('exit', () => {
  for (const p of running) killGroup(p, 'SIGKILL');
});

function killGroup(p: SippProcess, signal: NodeJS.Signals): void {
  if (p.pid <= 1) return; // spawn failed: never let -pid address anything else (kill(-1) = everything)
  try {
    process.kill(-p.pid, signal); // the whole process group: spawned with detached
  } catch {
    // already gone
  }
}

/**
 * Spawn SIPp detached in its own process group (so close() can kill the group), stdin closed,
 * screen output to stdoutPath. Waits until it has bound sipPort, or fails with its output.
 */
export async function spawnSipp(args: string[], stdoutPath: string, sipPort: number, readyMs = 5000): Promise<SippProcess> {
  // Readiness below means "someone bound the port", so a port that is already taken must fail here.
  if ((await probe(sipPort)) === null) throw new Error(`UDP port ${sipPort} on ${LOOPBACK} is already in use`);
  const out = openSync(stdoutPath, 'a');
  const child = spawn('sipp', args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  const p: SippProcess = { child, pid: child.pid ?? -1, exitCode: undefined, exited: Promise.resolve(null) };
  p.exited = new Promise((resolve) => {
    child.once('error', () => resolve(-1)); // e.g. sipp not installed
    child.once('exit', (code) => resolve(code));
  }).then((code) => {
    p.exitCode = code as number | null;
    running.delete(p);
    return p.exitCode;
  });
  running.add(p);
  const deadline = Date.now() + readyMs;
  while (!udpPortBound(sipPort)) {
    if (p.exitCode !== undefined || Date.now() > deadline) {
      await stopSipp(p);
      let output = '';
      try {
        output = readFileSync(stdoutPath, 'utf8').slice(-2000);
      } catch {
        // No output file yet: the error below says SIPp did not start all the same.
      }
      throw new Error(`SIPp did not start (sipp ${args.join(' ')}):\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return p;
}

/** SIGTERM the group, SIGKILL after graceMs; resolves when the process has exited. */
export async function stopSipp(p: SippProcess, graceMs = 1000): Promise<void> {
  if (p.exitCode !== undefined || p.pid < 0) return;
  killGroup(p, 'SIGTERM');
  const timer = setTimeout(() => killGroup(p, 'SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** Follows a growing text file by polling (SIPp flushes its logs after every line). */
export class LogTail {
  private offset = 0;
  private rest = '';
  constructor(
    readonly path: string,
    private readonly onLine: (line: string) => void,
  ) {}

  poll(): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return; // SIPp creates the file on first write
    }
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        const text = this.rest + buf.subarray(0, n).toString('latin1');
        const lines = text.split('\n');
        this.rest = lines.pop() ?? '';
        for (const line of lines) this.onLine(line.replace(/\r$/, ''));
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** One line of SIPp's -trace_shortmsg file. */
export interface ShortMessage {
  at: number; // ms since epoch, from SIPp's own clock (microsecond resolution)
  dir: 'S' | 'R';
  callId: string;
  cseqMethod: string;
  status: number | null; // responses
  method: string | null; // requests
}

// "2026-11-26\t12:21:13.458783\t1795695673.458783\tR\t<call-id>\tCSeq:1 INVITE\tINVITE sip:... SIP/2.0"
export function parseShortMessage(line: string): ShortMessage | null {
  const cols = line.split('\t');
  const [, , epoch, dir, callId, cseq, first] = cols;
  if (!epoch || (dir !== 'S' && dir !== 'R') || !callId || !cseq || !first) return null;
  const status = /^SIP\/2\.0 (\d{3})/.exec(first);
  return {
    at: Math.round(Number.parseFloat(epoch) * 1000),
    dir,
    callId,
    cseqMethod: cseq.replace(/^CSeq:\s*\d+\s*/, '').trim(),
    status: status ? Number(status[1]) : null,
    method: status ? null : (first.split(' ')[0] ?? null),
  };
}

let infoSeq = 1;

/**
 * The control channel: a SIP INFO for the call (matched by Call-ID) sent to SIPp's port. The
 * scenario reads the body; SIPp does not answer it (see scenarios/callee.xml for why).
 */
export function sendControlInfo(socket: dgram.Socket, sipPort: number, callId: string, body: string): Promise<void> {
  const seq = infoSeq++;
  const msg = [
    `INFO sip:phone@${LOOPBACK}:${sipPort} SIP/2.0`,
    `Via: SIP/2.0/UDP ${LOOPBACK}:${socket.address().port};branch=z9hG4bK-phonectl-${process.pid}-${seq}`,
    `From: <sip:control@${LOOPBACK}>;tag=phonectl${process.pid}`,
    `To: <sip:phone@${LOOPBACK}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${seq} INFO`,
    'Max-Forwards: 70',
    'Content-Type: text/plain',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body, // no trailing line break: the scenario's regexps look at the whole body
  ].join('\r\n');
  return new Promise((resolve, reject) => socket.send(msg, sipPort, LOOPBACK, (err) => (err ? reject(err) : resolve())));
}
