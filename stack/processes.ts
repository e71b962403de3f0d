// What the local stack and the worker launcher share: each server or worker runs detached in a process group of
// its own, so stopping it ends whatever it spawned too; and the probes that say a server is up.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { closeSync, openSync } from 'node:fs';
import { createConnection } from 'node:net';

export function tcpOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export async function freeTcpPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, child?: ChildProcess, logFile?: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`${what} exited with code ${child.exitCode} during start-up; see ${logFile}`);
    }
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms; see ${logFile ?? 'its log'}`);
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** livekit-sip has no loopback-only health endpoint; a SIP OPTIONS that gets any answer means it is listening. */
export function sipAnswers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => finish(false), 500);
    function finish(ok: boolean) {
      clearTimeout(timer);
      socket.close();
      done(ok);
    }
    socket.once('message', () => finish(true));
    socket.once('error', () => finish(false));
    socket.bind(0, '127.0.0.1', () => {
      const local = socket.address().port;
      const branch = `z9hG4bK${Math.random().toString(36).slice(2)}`;
      const message = [
        `OPTIONS sip:probe@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch};rport`,
        'Max-Forwards: 70',
        `From: <sip:probe@127.0.0.1:${local}>;tag=${branch.slice(7)}`,
        `To: <sip:probe@127.0.0.1:${port}>`,
        `Call-ID: ${branch}@127.0.0.1`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(message, port, '127.0.0.1');
    });
  });
}

/** Servers started detached, stopped together, last started first. */
export class ProcessGroup {
  private readonly children: ChildProcess[] = [];

  start(name: string, command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env) {
    const fd = openSync(logFile, 'a');
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env });
    closeSync(fd);
    child.once('error', () => undefined);
    this.children.push(child);
    return child;
  }

  async stop(): Promise<void> {
    const running = this.children.splice(0).reverse();
    await Promise.all(running.map((child) => stopGroup(child)));
  }
}

/**
 * Ends `child`'s whole process group: SIGTERM, then SIGKILL after `graceMs` if it has not exited. Resolves once
 * it has exited (at once if it already had, or never started).
 */
export async function stopGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  // A pid of 1 or less would address other processes (kill(-1) is everything this user may signal).
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined || child.pid <= 1) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
