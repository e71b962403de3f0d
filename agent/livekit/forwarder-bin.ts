// Where the forwarder's binary is (forwarder/: the Go process that carries a bridge's audio between rooms as
// encoded RTP). stack/setup.sh builds it into the per-user cache as wt-forwarder-<hash>, <hash> naming the
// forwarder's sources (stack/forwarder-hash.sh); this finds it by the same rule, so a checkout whose
// forwarder sources changed since the last setup gets "not built" rather than an older binary.
// FORWARDER_BIN names a binary instead (a deployment without the sources sets it).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The checkout's forwarder/ directory, looked for upwards from this file (it runs from agent/ or dist/agent/). */
export function forwarderSourceDir(start = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'forwarder', 'go.mod'))) return join(dir, 'forwarder');
    if (dirname(dir) === dir) throw new Error(`no forwarder/go.mod above ${start}; set FORWARDER_BIN to the forwarder's binary`);
  }
}

/** go.mod, go.sum and every *.go file under dir, as paths relative to it ('/'-separated). */
function sourceFiles(dir: string, prefix = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...sourceFiles(dir, path));
    else if (entry.isFile() && (entry.name.endsWith('.go') || entry.name === 'go.mod' || entry.name === 'go.sum')) files.push(path);
  }
  return files;
}

/**
 * The short hash of the forwarder's sources, as stack/forwarder-hash.sh computes it: SHA-256 of the lines
 * `sha256sum` prints for the files ("<hex>  <path>"), in byte order of their paths, first 12 hex digits.
 */
export function forwarderSourceHash(dir = forwarderSourceDir()): string {
  const files = sourceFiles(dir).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  return sha256(files.map((file) => `${sha256(readFileSync(join(dir, file)))}  ${file}\n`).join('')).slice(0, 12);
}

/** The per-user cache stack/setup.sh builds into (an empty variable counts as unset there, too). */
function cacheDir(env: NodeJS.ProcessEnv): string {
  return env.WARM_TRANSFER_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'warm-transfer');
}

/** The forwarder binary to run: $FORWARDER_BIN, else the cache's build of these sources; throws if it is missing. */
export function forwarderBinary(env: NodeJS.ProcessEnv = process.env): string {
  const found = env.FORWARDER_BIN || join(cacheDir(env), 'bin', `wt-forwarder-${forwarderSourceHash()}`);
  if (!existsSync(found)) {
    throw new Error(
      `wt-forwarder not found at ${found} (looked at $FORWARDER_BIN, then the build of this checkout's forwarder/); run \`npm run setup\` to build it`,
    );
  }
  return found;
}
