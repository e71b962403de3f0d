// The compiled worker: `npm run build` (tsc -p tsconfig.build.json) writes dist/, which production runs.
// The test harness, the demo and the bench run that output too, so ensureBuilt() compiles again whenever a
// source file is newer than the last build.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './local-stack.ts';

export const DIST = join(repoRoot, 'dist');
/** The compiled entry point: `node dist/agent/main.js start`. */
export const COMPILED_MAIN = join(DIST, 'agent', 'main.js');
const STAMP = join(DIST, '.built');
const SOURCES = ['agent', 'prompts', 'settings-service'];

function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return path.endsWith('.ts') || path.endsWith('.json') ? stat.mtimeMs : 0;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestSource(join(path, entry)));
  return newest;
}

/** True when dist/ is missing or older than a source file or the compiler settings. */
export function buildIsStale(): boolean {
  if (!existsSync(STAMP) || !existsSync(COMPILED_MAIN)) return true;
  const built = statSync(STAMP).mtimeMs;
  const inputs = [...SOURCES.map((dir) => join(repoRoot, dir)), join(repoRoot, 'tsconfig.json'), join(repoRoot, 'tsconfig.build.json')];
  return inputs.some((input) => newestSource(input) > built);
}

/** Compiles the worker into dist/ if it is stale (a few seconds); a type error throws with tsc's output. */
export function ensureBuilt(): void {
  if (!buildIsStale()) return;
  const started = Date.now();
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(repoRoot, 'tsconfig.build.json')], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  console.error(`[build] compiled the worker into dist/ in ${Date.now() - started} ms`);
}
