// Hold music is decoded once per file: the first process to load it keeps the samples in Redis (the real one,
// its own database index and key prefix here), and the next ones read them instead of running ffmpeg.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { initializeLogger } from '@livekit/agents';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HoldMusic, loadHoldMusicShared } from '../../agent/transfer/hold/music.ts';
import { builtinHoldMusicPath } from '../../settings/music/hold-audio.ts';
import { testRedis, unreachableRedis } from '../support/redis.ts';

const { redis, prefix, keys: keysUnderPrefix, close } = testRedis(inject('redisUrl'), 'holdMusic', 'hold-music');
let dir: string;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'warn' });
  await redis.ping();
  dir = mkdtempSync(join(tmpdir(), 'hold-music-'));
});
afterAll(async () => {
  await close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hold music decoded once per file', () => {
  it('keeps the first decode in Redis and hands the same samples to the next load, without decoding', async () => {
    const file = join(dir, 'music.ogg');
    copyFileSync(builtinHoldMusicPath(), file);
    const first = await loadHoldMusicShared(redis, file, prefix);
    const keys = await keysUnderPrefix('hold-music:*');
    expect(keys).toHaveLength(1);
    expect(await redis.pttl(keys[0]!)).toBeGreaterThan(3600_000);
    // The next process reads what is kept: it is not decoded again (here, the key's value is what it gets).
    const started = performance.now();
    const second = await loadHoldMusicShared(redis, file, prefix);
    const readMs = performance.now() - started;
    expect(second.samples).toEqual(first.samples);
    expect(second.durationMs).toBeGreaterThan(10_000);
    console.log(JSON.stringify({ decodedSeconds: Math.round(first.durationMs / 1000), readFromRedisMs: Math.round(readMs) }));
    const direct = await HoldMusic.load(file);
    expect(direct.samples.length).toBe(first.samples.length);
  });

  it('keys by content, and decodes again (and replaces) an entry that is not this music', async () => {
    const copy = join(dir, 'copy.ogg');
    copyFileSync(builtinHoldMusicPath(), copy);
    const music = await loadHoldMusicShared(redis, copy, prefix);
    // The same content under another name is the same entry.
    expect(await keysUnderPrefix('hold-music:*')).toHaveLength(1);
    const [key] = await keysUnderPrefix('hold-music:*');
    await redis.set(key!, Buffer.from([1, 2, 3]));
    const again = await loadHoldMusicShared(redis, copy, prefix);
    expect(again.samples).toEqual(music.samples);
    expect((await redis.getBuffer(key!))!.length).toBe(music.samples.byteLength);
  });

  it('decodes the file itself when Redis does not answer', async () => {
    const away = unreachableRedis({ lazyConnect: true });
    const music = await loadHoldMusicShared(away, builtinHoldMusicPath(), prefix);
    expect(music.durationMs).toBeGreaterThan(10_000);
    away.disconnect();
  });
});
