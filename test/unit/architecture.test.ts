// The layout is the architecture, so it is checked like behaviour. Every import of the product's code (static
// `import`/`export ... from`, type-only ones too, and dynamic `import()`) is read with TypeScript's own
// pre-processor, and the layers may only point downwards:
//
//   core  <-  settings  <-  prompts  <-  agent
//                  ^------------------  settings-service
//
// core/ knows nothing of the project; settings/ is shared by the worker and the settings service and owned by
// neither; the service never loads the worker (its media SDK included). Type-only imports count: a cycle or an
// upward import through types still ties the modules' meaning together. And no file under agent/ is longer
// than two screens.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const LAYERS = ['core', 'settings', 'prompts', 'settings-service', 'agent'] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may import besides itself. */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  core: [],
  settings: ['core'],
  prompts: ['core', 'settings'],
  'settings-service': ['core', 'settings', 'prompts'],
  agent: ['core', 'settings', 'prompts'],
};

/** Folders inside a layer that must not reach into another: the caller's speech knows nothing of transfers. */
const NEVER_IMPORTS: ReadonlyArray<{ from: string; to: string }> = [{ from: 'agent/conversation/speech/', to: 'agent/transfer/' }];

const MAX_LINES = 300;

/** Project-relative paths with forward slashes, so messages and rules read the same on every system. */
const projectPath = (absolute: string): string => relative(ROOT, absolute).split(sep).join('/');

function sourceFiles(): string[] {
  return LAYERS.flatMap((layer) =>
    readdirSync(join(ROOT, layer), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts'))
      .map((name) => projectPath(join(ROOT, layer, name))),
  );
}

function specifiersOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true).importedFiles.map((i) => i.fileName);
}

/** The project files `file` imports, by their relative specifiers. */
function importsOf(file: string): string[] {
  return specifiersOf(file)
    .filter((name) => name.startsWith('.'))
    .map((name) => projectPath(resolve(ROOT, dirname(file), name)));
}

/** The media SDK: its native module and the agents framework built on it. Only the worker needs them. */
const MEDIA_PACKAGES = ['@livekit/rtc-node', '@livekit/agents'];
const isMediaPackage = (name: string): boolean => MEDIA_PACKAGES.some((pkg) => name === pkg || name.startsWith(`${pkg}/`) || name.startsWith(`${pkg}-`));

const layerOf = (file: string): Layer | undefined => LAYERS.find((layer) => file.startsWith(`${layer}/`));

const FILES = sourceFiles();
const GRAPH = new Map(FILES.map((file) => [file, importsOf(file)]));

/** Every cycle found by a depth-first walk, each as the path that closes it ("a.ts -> b.ts -> a.ts"). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (file: string): void => {
    path.push(file);
    onPath.add(file);
    for (const next of graph.get(file) ?? []) {
      if (onPath.has(next)) found.push([...path.slice(path.indexOf(next)), next].join(' -> '));
      else if (!done.has(next) && graph.has(next)) visit(next);
    }
    path.pop();
    onPath.delete(file);
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return found;
}

function lineCount(file: string): number {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

describe('the architecture', () => {
  it('reads the imports it checks', () => {
    // A reader that found nothing would pass every rule below.
    expect(FILES.length).toBeGreaterThan(50);
    expect(GRAPH.get('agent/job.ts')?.length).toBeGreaterThan(5);
  });

  it('has no import cycle', () => {
    expect(cycles(GRAPH)).toEqual([]);
  });

  it('imports only downwards: core <- settings <- prompts <- agent, and settings-service beside agent', () => {
    const upwards: string[] = [];
    for (const [file, imports] of GRAPH) {
      const from = layerOf(file);
      if (from === undefined) continue;
      for (const target of imports) {
        const to = layerOf(target);
        // Outside every layer is test/, stack/, phones/ and the rest: the product never imports them.
        const allowed = to !== undefined && (to === from || MAY_IMPORT[from].includes(to));
        if (!allowed) upwards.push(`${file} -> ${target}`);
      }
    }
    expect(upwards).toEqual([]);
  });

  it('loads the media SDK only in agent/: the settings service stays a plain HTTP service', () => {
    const media = FILES.filter((file) => layerOf(file) !== 'agent').flatMap((file) =>
      specifiersOf(file)
        .filter(isMediaPackage)
        .map((name) => `${file} -> ${name}`),
    );
    expect(media).toEqual([]);
  });

  it("keeps folders out of what they must not know (the caller's speech, of transfers)", () => {
    const crossings = [...GRAPH].flatMap(([file, imports]) =>
      NEVER_IMPORTS.filter((rule) => file.startsWith(rule.from)).flatMap((rule) =>
        imports.filter((target) => target.startsWith(rule.to)).map((target) => `${file} -> ${target}`),
      ),
    );
    expect(crossings).toEqual([]);
  });

  it(`has no file under agent/ over ${MAX_LINES} lines`, () => {
    const agentFiles = FILES.filter((file) => file.startsWith('agent/'));
    const long = agentFiles.filter((file) => lineCount(file) > MAX_LINES).map((file) => `${file}: ${lineCount(file)} lines`);
    expect(long).toEqual([]);
  });
});
