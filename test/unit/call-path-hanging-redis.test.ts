// Every await on the call path that touches Redis is bounded: against a "Redis" that accepts connections and
// never answers (a TCP server of the test's own on 127.0.0.1), a call's settings lookup fails within its bound
// (so the caller can be told, call-apology.ts), take_message tells the model the message was NOT saved, the
// transfer record refuses to open instead of putting anyone on hold, and releasing a carried transfer returns.
import { createServer, type Server, type Socket } from 'node:net';
import { initializeLogger, llm } from '@livekit/agents';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageNotSaved } from '../../prompts/unavailable.ts';
import { carry, CARRY_RELEASE_TIMEOUT_MS } from '../../agent/capacity/carrying.ts';
import { takeMessageTool } from '../../agent/conversation/messages.ts';
import { connectRedis } from '../../agent/redis.ts';
import { SETTINGS_READ_TIMEOUT_MS, StoreSettingsSource } from '../../agent/call-settings/store.ts';
import { EffectTimeout } from '../../core/bounded.ts';
import { HoldMusic } from '../../agent/transfer/hold/music.ts';
import { TransferRecordStore } from '../../agent/transfer/record/store.ts';
import { RECORD_CREATE_TIMEOUT_MS, TransferRecordHandle } from '../../agent/transfer/record/handle.ts';
import { isRedisUnavailable } from '../../settings/store/redis-options.ts';
import { SettingsStore } from '../../settings/store/store.ts';

let server: Server;
let url: string;
const sockets = new Set<Socket>();
const clients: Redis[] = [];

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'fatal' });
  // Accepts, reads and never writes a byte.
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `redis://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

/** How long `work` took to settle, and how. */
async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = Date.now();
  try {
    const value = await work();
    return { ms: Date.now() - started, value };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

function hangingStore(): SettingsStore {
  const store = SettingsStore.connect(url, 'hang:');
  clients.push(store.redis);
  return store;
}

describe('the call path against a Redis that never answers', { timeout: 20_000 }, () => {
  it("a call's settings lookup fails within its bound instead of holding the call", async () => {
    const source = new StoreSettingsSource(hangingStore(), HoldMusic.fromSamples('test', new Int16Array(48_000)));
    const { ms, error } = await timed(() => source.forCall('support'));
    // Our own bound, or the store client's command timeout (2 s, redis-options.ts) when that comes first.
    expect(error instanceof EffectTimeout || isRedisUnavailable(error), String(error)).toBe(true);
    expect(ms).toBeLessThan(SETTINGS_READ_TIMEOUT_MS + 1000);
  });

  it('take_message tells the model the message was not saved, and never that it was', async () => {
    const source = new StoreSettingsSource(hangingStore(), HoldMusic.fromSamples('test', new Int16Array(48_000)));
    const tool = takeMessageTool({
      file: undefined,
      publish: (message) => source.publishMessage(message),
      agentId: 'support',
      callerNumber: '+15550100',
      roomName: 'call_x',
      timeoutMs: 1500,
    });
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: unknown) => void lines.push(String(line));
    try {
      const { ms, value, error } = await timed(() =>
        tool.execute({ name: 'Ann', callback_number: '+15550101', message: 'Call me back' }, { ctx: {} as never, toolCallId: 't1' } as never),
      );
      expect(value).toBeUndefined();
      expect(error).toBeInstanceOf(llm.ToolError);
      expect((error as Error).message).toBe(messageNotSaved());
      expect(ms).toBeLessThan(1500 + 1000);
    } finally {
      console.log = log;
    }
    expect(lines.filter((line) => line.includes('message_taken'))).toEqual([]);
  });

  it('a transfer record cannot open: nobody is put on hold, within the create bound', async () => {
    const redis = connectRedis(url);
    clients.push(redis);
    const problems: unknown[] = [];
    const store = new TransferRecordStore({ redis, prefix: 'hang:' });
    const { ms, value } = await timed(() =>
      TransferRecordHandle.open(
        store,
        {
          id: 'r1',
          owner: 'w/1',
          callerRoom: 'call_x',
          callerIdentity: 'sip_caller',
          chain: ['+15125551234'],
          index: 0,
          phase: { kind: 'idle' },
          deadlineAt: Date.now() + 60_000,
        },
        (error) => void problems.push(error),
      ),
    );
    expect(value).toEqual({ ok: false, reason: 'unavailable' });
    expect(ms).toBeLessThan(RECORD_CREATE_TIMEOUT_MS + 1000);
    expect(problems[0]).toBeInstanceOf(EffectTimeout);
  });

  it('releasing a carried transfer returns within its bound', async () => {
    const redis = connectRedis(url);
    clients.push(redis);
    const lease = carry({ redis, workerKey: 'hang-worker' }, 't1');
    const { ms, error } = await timed(() => lease.release());
    expect(error).toBeUndefined();
    expect(ms).toBeLessThan(CARRY_RELEASE_TIMEOUT_MS + 1000);
  });
});
