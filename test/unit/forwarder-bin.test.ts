// The forwarder's binary is named by a hash of its sources; stack/setup.sh (through stack/forwarder-hash.sh)
// and agent/livekit/forwarder-bin.ts must compute the same one, or the worker would look for a build that
// setup never makes.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { forwarderBinary, forwarderSourceDir, forwarderSourceHash } from '../../agent/livekit/forwarder-bin.ts';
import { repoRoot } from '../../stack/local-stack.ts';

const shellHash = (dir: string) => execFileSync('bash', [join(repoRoot, 'stack', 'forwarder-hash.sh'), dir], { encoding: 'utf8' }).trim();
const temporary: string[] = [];
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the forwarder binary', () => {
  it('is named by the same hash in setup and in the worker', () => {
    const dir = forwarderSourceDir();
    expect(dir).toBe(join(repoRoot, 'forwarder'));
    expect(forwarderSourceHash(dir)).toMatch(/^[0-9a-f]{12}$/);
    expect(forwarderSourceHash(dir)).toBe(shellHash(dir));
  });

  it('gets a new name when a source changes, and keeps it for anything else', () => {
    const copy = mkdtempSync(join(tmpdir(), 'forwarder-src-'));
    temporary.push(copy);
    cpSync(forwarderSourceDir(), copy, { recursive: true });
    const before = forwarderSourceHash(copy);
    writeFileSync(join(copy, 'NOTES.md'), 'not a source\n');
    expect(forwarderSourceHash(copy)).toBe(before);
    appendFileSync(join(copy, 'main.go'), '\n// changed\n');
    const after = forwarderSourceHash(copy);
    expect(after).not.toBe(before);
    expect(after).toBe(shellHash(copy));
  });

  it('is FORWARDER_BIN when set, and a missing build says how to make it', () => {
    expect(forwarderBinary({ FORWARDER_BIN: process.execPath })).toBe(process.execPath);
    const cache = mkdtempSync(join(tmpdir(), 'forwarder-cache-'));
    temporary.push(cache);
    expect(() => forwarderBinary({ WARM_TRANSFER_CACHE: cache })).toThrow(/npm run setup/);
    const built = join(cache, 'bin', `wt-forwarder-${forwarderSourceHash()}`);
    cpSync(process.execPath, built);
    expect(forwarderBinary({ WARM_TRANSFER_CACHE: cache })).toBe(built);
  });
});
