// Which Node versions the project supports is what package.json's `engines` says, and that must be true of
// every package installed with it: a dependency that declares a narrower range (cookie@2 asked for Node 22
// while we said 20.9; Vite 7 asks for 20.19) makes our promise false. This reads the lockfile, checks each
// installed package's declared range contains ours, and that the Node running the tests is one we support.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../stack/local-stack.ts';

const semver = createRequire(import.meta.url)('semver') as {
  subset(sub: string, sup: string): boolean;
  satisfies(version: string, range: string): boolean;
};

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};

describe('the Node versions the project says it supports', () => {
  const ours = pkg.engines.node;

  it('include the Node running these tests (the one CI runs on)', () => {
    expect(semver.satisfies(process.versions.node, ours), `Node ${process.versions.node} is outside engines.node '${ours}'`).toBe(true);
  });

  it('are supported by every installed package, by its own declaration', () => {
    const narrower: string[] = [];
    let checked = 0;
    for (const [path, entry] of Object.entries(lock.packages)) {
      const range = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
      // Packages for other platforms are in the lockfile but not installed; only what runs here counts.
      if (!path || !range || !existsSync(join(repoRoot, path))) continue;
      checked++;
      if (!semver.subset(ours, range)) narrower.push(`${path.replace(/^.*node_modules\//, '')}@${entry.version}: ${range}`);
    }
    expect(checked).toBeGreaterThan(20);
    expect(narrower, `these declare less than engines.node '${ours}'`).toEqual([]);
  });
});
