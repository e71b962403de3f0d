// The forwarder's lifetime is its worker's (forwarder/main.go): a stop signal sent to the whole process group
// (systemd's default, Ctrl-C in a terminal) must not silence the calls it carries while the worker hands them
// to another worker (agent/drain.ts). Only its input ending (the worker closing it, or dying) ends it.
import { afterEach, expect, it } from 'vitest';
import { ForwarderProcess } from '../support/forwarder-process.ts';

let forwarder: ForwarderProcess | undefined;
afterEach(async () => {
  await forwarder?.kill();
  forwarder = undefined;
});

const pong = (f: ForwarderProcess, what: string) => f.request({ op: 'ping' }, (e) => e.event === 'pong', 5000, what);

it('ignores SIGTERM and SIGINT, and exits 0 once its input ends', async () => {
  forwarder = ForwarderProcess.start();
  await pong(forwarder, 'a pong');
  process.kill(forwarder.pid, 'SIGTERM');
  process.kill(forwarder.pid, 'SIGINT');
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(forwarder.running).toBe(true);
  await pong(forwarder, 'a pong after SIGTERM and SIGINT');
  forwarder.endInput();
  expect(await forwarder.exited).toEqual({ code: 0, signal: null });
});
