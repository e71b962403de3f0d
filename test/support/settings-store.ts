// A settings store of a test's own: the settings database of the test Redis (test/support/redis.ts) and a
// random key prefix, deleted afterwards. Plus audio files a test can recognise: WAV tones, and MP3 made with the lame encoder.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SettingsStore } from '../../settings/store/store.ts';
import { sineSamples } from '../../phones/audio.ts';
import { deleteKeysUnder, testRedisUrl as redisUrlFor } from './redis.ts';
import { wavBytes } from './wav.ts';

/** The URL of the settings database at `address` (host:port), for a service process the test starts. */
export function testRedisUrl(address: string): string {
  return redisUrlFor(address, 'settings');
}

export interface TestStore {
  store: SettingsStore;
  url: string;
  prefix: string;
  /** Deletes every key under the prefix and disconnects. */
  close(): Promise<void>;
}

export function testStore(address: string, name: string): TestStore {
  const prefix = `wt-test-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`;
  const url = testRedisUrl(address);
  const store = SettingsStore.connect(url, prefix);
  return {
    store,
    url,
    prefix,
    async close() {
      await deleteKeysUnder(store.redis, prefix);
      await store.close();
    },
  };
}

/** A mono 8 kHz WAV tone. */
export function toneWav(freqHz: number, seconds = 2): Buffer {
  return wavBytes(sineSamples(freqHz, seconds, 0.3), 8000);
}

/** An MP3 tone, encoded by lame (installed by stack/setup.sh); 8 kbit/s makes 1 KB a second. */
export function toneMp3(freqHz: number, seconds = 2, kbps = 64): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'tone-mp3-'));
  try {
    writeFileSync(join(dir, 'in.wav'), toneWav(freqHz, seconds));
    const run = spawnSync('lame', ['--quiet', '-b', String(kbps), join(dir, 'in.wav'), join(dir, 'out.mp3')], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`lame failed (${run.status}): ${run.stderr || run.error?.message}`);
    return readFileSync(join(dir, 'out.mp3'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
