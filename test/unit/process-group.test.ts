// stopGroup (stack/processes.ts), which the local stack, the worker launcher and the bench use to end what they
// started: the whole process group goes, a process that ignores SIGTERM is killed after the grace, and one that
// is already gone (or never started) is left alone.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { stopGroup } from '../../stack/processes.ts';
import { processAlive } from '../../agent/takeover/watcher.ts';

/** A detached shell whose background child prints its pid; resolves with both pids once it has. */
async function shellWithChild(script: string): Promise<{ child: ReturnType<typeof spawn>; grandchild: number }> {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const grandchild = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('error', reject);
  });
  return { child, grandchild };
}

describe('stopGroup', () => {
  it('ends the whole group, the children the process spawned too', async () => {
    const { child, grandchild } = await shellWithChild('sleep 30 & echo $!; wait');
    expect(processAlive(grandchild)).toBe(true);
    await stopGroup(child);
    expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
    // The background sleep was in the group: gone too (reaped by init once killed, so looked at for a moment).
    await expect.poll(() => processAlive(grandchild), { timeout: 2000 }).toBe(false);
  });

  it('kills a group that ignores SIGTERM once the grace is over, and not before', async () => {
    const { child, grandchild } = await shellWithChild("trap '' TERM; sleep 30 & echo $!; while :; do sleep 0.05; done");
    const started = Date.now();
    await stopGroup(child, 400);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(380);
    expect(child.signalCode).toBe('SIGKILL');
    await expect.poll(() => processAlive(grandchild), { timeout: 2000 }).toBe(false);
  });

  it('returns at once for a process that has exited, and for one that never started', async () => {
    const done = spawn('true', [], { detached: true });
    await new Promise((resolve) => done.once('exit', resolve));
    await expect(stopGroup(done)).resolves.toBeUndefined();
    const never = spawn('/nonexistent/command', [], { detached: true });
    never.once('error', () => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    const started = Date.now();
    await stopGroup(never);
    expect(Date.now() - started).toBeLessThan(100);
  });
});
