// The settings service's tests need only Redis: the one at REDIS_URL or 127.0.0.1:6379 when it answers,
// otherwise a redis-server this setup starts on a free port and stops. Tests use their own database
// index and key prefix (test/support/settings-store.ts), so they never meet the stack's keys.
import { spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    redisAddress: string;
  }
}

const answers = (host: string, port: number) =>
  new Promise<boolean>((done) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(500, () => (socket.destroy(), done(false)));
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });

const freePort = () =>
  new Promise<number>((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });

export default async function setup(project: TestProject) {
  const configured = process.env.REDIS_URL ? new URL(process.env.REDIS_URL) : undefined;
  const host = configured?.hostname || '127.0.0.1';
  const port = Number(configured?.port || 6379);
  if (await answers(host, port)) {
    project.provide('redisAddress', `${host}:${port}`);
    return;
  }
  const free = await freePort();
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(free), '--save', '', '--appendonly', 'no'], { detached: true, stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await answers('127.0.0.1', free))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  project.provide('redisAddress', `127.0.0.1:${free}`);
  return () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
  };
}
