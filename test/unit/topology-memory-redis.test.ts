// What a LiveKit server taught about moving participants lives in the worker's Redis, shared by every job
// process and every worker: one process learns that a server cannot move, and the next asks no more. A Redis
// that never answers costs the caller at most the read's bound, and one more try.
import { createServer, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../agent/redis.ts';
import { redisTopologyMemory, TOPOLOGY_READ_TIMEOUT_MS } from '../../agent/transfer/hold/choose-topology.ts';
import { testRecords } from '../support/records.ts';

const records = testRecords();
let hanging: Server;
let hangingUrl: string;
const sockets = new Set<Socket>();
const clients: Redis[] = [];

beforeAll(async () => {
  // Accepts, reads and never writes a byte.
  hanging = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  hangingUrl = `redis://127.0.0.1:${(hanging.address() as { port: number }).port}`;
});
afterAll(async () => {
  await records.cleanup();
  for (const client of clients) client.disconnect();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => hanging.close(resolve));
});

describe('the learned topology in Redis', () => {
  it('is learned by one process and recalled by another, per server URL', async () => {
    const server = `wss://self-hosted-${randomUUID()}.test`;
    const learner = redisTopologyMemory(records.redis, records.prefix);
    const other = redisTopologyMemory(records.redis, records.prefix);
    expect(await other.recall(server)).toBeUndefined();
    await learner.learn(server, 'bridge');
    expect(await other.recall(server)).toBe('bridge');
    expect(await other.recall(`wss://another-${randomUUID()}.test`)).toBeUndefined();
    // It expires by itself: a server upgraded behind its URL is tried again one day.
    expect(await records.redis.pttl(`${records.prefix}topology:${server}`)).toBeGreaterThan(0);
  });

  it('recalls nothing, within its bound, from a Redis that never answers; learning there never throws', async () => {
    const redis = connectRedis(hangingUrl);
    clients.push(redis);
    const memory = redisTopologyMemory(redis);
    const started = Date.now();
    expect(await memory.recall('wss://cloud.test')).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(TOPOLOGY_READ_TIMEOUT_MS + 1000);
    await expect(memory.learn('wss://cloud.test', 'move')).resolves.toBeUndefined();
  });
});
