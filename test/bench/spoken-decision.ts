// Feasibility bench of the offline spoken-decision recogniser (agent/conversation/speech/decision-recogniser.ts):
// espeak-ng says accept phrases, reject phrases and 20 utterances that are neither (questions, other sentences,
// noise, silence, coughs); each goes through 8 kHz G.711 A-law and back, as from a SIPp phone, and then through
// the recogniser in each configuration. Prints a confusion table, per-voice counts and the decoder's CPU time
// per utterance. Tuning voices and test voices differ: configurations are chosen on `tune`, counted on `test`.
//
//   npx tsx test/bench/spoken-decision.ts [tune|test] [config-name ...]
//
// Not part of `npm test` (it decodes a few hundred utterances; about a minute per configuration per set).
// MISTAKES=1 lists every utterance decided wrongly with what the decoders heard. The margins printed are the
// phrase's score per frame over the phone loop's: the search's `margin` (or a kind's `overLoop`) is a cut in them.
// FEATURES=prefix writes each configuration's utterances with what was heard (both margins of the 'classes'
// search) and their loud-to-quiet spread, to choose bars from: run 'classes-open' on `tune` for that.
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeAlaw, encodeAlaw } from '../../phones/audio.ts';
import { DecisionRecogniser, type DecisionRecogniserOptions, DEFAULT_MODEL_DIR, levelSpreadDb } from '../../agent/conversation/speech/decision-recogniser.ts';
import { decisionOf } from '../../agent/conversation/speech/decision-phrases.ts';
import { ACCEPTS, REJECTS } from './decision-corpus.ts';

export { ACCEPTS, REJECTS };

const execFileAsync = promisify(execFile);
const RATE = 8000;

export const NEITHER_SPOKEN = [
  'Who is calling?',
  'What is this about?',
  'Can you repeat that?',
  'Hello?',
  'Hold on a second.',
  'What did they say?',
  "I don't know.",
  'How long have they been waiting?',
  'The weather is nice today.',
  'Tell me more about the caller.',
  'Is it urgent?',
  'Which customer is it?',
  'Let me think.',
  'Hmm.',
];
export const NEITHER_SOUNDS = ['silence', 'white noise', 'cough', 'two coughs', 'mains hum', 'breath'] as const;

interface Voice {
  name: string;
  speed: number;
}
// Tuning voices and test voices share no voice/variant pair.
export const VOICES: Record<'tune' | 'test', Voice[]> = {
  tune: [
    { name: 'en-us', speed: 175 },
    { name: 'en-gb-scotland+m1', speed: 160 },
    { name: 'en-gb-x-gbclan+f3', speed: 190 },
  ],
  test: [
    { name: 'en-us+m3', speed: 150 },
    { name: 'en+f2', speed: 175 },
    { name: 'en-gb-x-rp', speed: 200 },
    { name: 'en-us+f4', speed: 165 },
  ],
};

type Truth = 'accept' | 'reject' | 'neither';
interface Utterance {
  truth: Truth;
  label: string;
  voice: string;
  pcm: Int16Array; // 8 kHz, after A-law and back
}

/** espeak-ng at `voice`, as 8 kHz PCM16 that went through A-law. */
async function speak(text: string, voice: Voice): Promise<Int16Array> {
  const { stdout: wav } = await execFileAsync('espeak-ng', ['-v', voice.name, '-s', String(voice.speed), '--stdout', text], {
    encoding: 'buffer',
    maxBuffer: 64 << 20,
  });
  const child = execFileAsync('ffmpeg', ['-v', 'error', '-i', 'pipe:0', '-ar', String(RATE), '-ac', '1', '-f', 's16le', 'pipe:1'], {
    encoding: 'buffer',
    maxBuffer: 64 << 20,
  });
  child.child.stdin!.end(wav);
  const { stdout } = await child;
  const pcm = new Int16Array(stdout.buffer, stdout.byteOffset, stdout.byteLength >> 1);
  return phoneLine(pcm);
}

/** Through G.711 A-law and back, as the SIPp phones send. */
function phoneLine(pcm: ArrayLike<number>): Int16Array {
  return decodeAlaw(encodeAlaw(pcm));
}

/** Non-speech sounds at 8 kHz, seeded so a set is the same on every run. */
export function sound(kind: (typeof NEITHER_SOUNDS)[number], seed: number): Int16Array {
  let s = seed * 7919 + 1;
  const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  const out = new Float64Array(RATE * (kind === 'two coughs' ? 1.4 : 1));
  const burst = (start: number, seconds: number, level: number) => {
    let low = 0;
    for (let i = 0; i < seconds * RATE; i++) {
      low = 0.6 * low + 0.4 * rand(); // a little low-passed: a cough is not white
      const env = Math.min(1, i / 80) * Math.exp(-i / (0.08 * RATE));
      out[start + i] = level * env * low;
    }
  };
  if (kind === 'white noise') for (let i = 0; i < out.length; i++) out[i] = 3000 * rand();
  if (kind === 'cough') burst(1600, 0.35, 20000);
  if (kind === 'two coughs') {
    burst(1600, 0.35, 20000);
    burst(6400, 0.35, 16000);
  }
  if (kind === 'mains hum')
    for (let i = 0; i < out.length; i++) out[i] = 4000 * Math.sin((2 * Math.PI * 50 * i) / RATE) + 1500 * Math.sin((2 * Math.PI * 150 * i) / RATE);
  if (kind === 'breath') {
    let low = 0;
    for (let i = 0; i < out.length; i++) {
      low = 0.9 * low + 0.1 * rand();
      out[i] = 6000 * low * Math.sin((Math.PI * i) / out.length);
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) + 4 * rand(); // the line's own hiss
  return phoneLine(out);
}

async function corpus(set: 'tune' | 'test'): Promise<Utterance[]> {
  const cache = join(tmpdir(), `spoken-decision-${set}.json`);
  const cached = await readFile(cache, 'utf8').catch(() => undefined);
  if (cached) {
    return (JSON.parse(cached) as (Omit<Utterance, 'pcm'> & { pcm: string })[]).map((u) => ({
      ...u,
      pcm: new Int16Array(Buffer.from(u.pcm, 'base64').buffer.slice(0)),
    }));
  }
  const out: Utterance[] = [];
  for (const [v, voice] of VOICES[set].entries()) {
    const spoken: [Truth, string][] = [
      ...ACCEPTS.map((t) => ['accept', t] as [Truth, string]),
      ...REJECTS.map((t) => ['reject', t] as [Truth, string]),
      ...NEITHER_SPOKEN.map((t) => ['neither', t] as [Truth, string]),
    ];
    for (const [truth, text] of spoken) out.push({ truth, label: text, voice: voice.name, pcm: await speak(text, voice) });
    for (const kind of NEITHER_SOUNDS) out.push({ truth: 'neither', label: `(${kind})`, voice: voice.name, pcm: sound(kind, v + (set === 'test' ? 100 : 0)) });
  }
  await mkdir(tmpdir(), { recursive: true });
  await writeFile(cache, JSON.stringify(out.map((u) => ({ ...u, pcm: Buffer.from(u.pcm.buffer, u.pcm.byteOffset, u.pcm.byteLength).toString('base64') }))));
  return out;
}

/** CPU time of this process's finished children (utime + stime of waited-for children), in ms. */
async function childrenCpuMs(): Promise<number> {
  const fields = (await readFile('/proc/self/stat', 'utf8')).split(') ')[1]!.split(' ');
  // After "pid (comm) ": state is field 3, so cutime (16) and cstime (17) are at 13 and 14 here.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

/** The Debian model with its front end's upper filter edge at 3800 Hz instead of 6800 (feat.params wins over options). */
const MODEL_3800 = join(tmpdir(), 'spoken-decision-model-3800');
async function model3800(): Promise<void> {
  const source = DEFAULT_MODEL_DIR;
  await mkdir(MODEL_3800, { recursive: true });
  for (const name of await readdir(source)) {
    const target = join(MODEL_3800, name);
    if (name === 'feat.params') await writeFile(target, (await readFile(join(source, name), 'utf8')).replace('-upperf 6800', '-upperf 3800'));
    else await symlink(join(source, name), target).catch(() => undefined);
  }
}

export const CONFIGS: Record<string, Partial<DecisionRecogniserOptions>> = {
  'grammar-m0-nofill': { search: { kind: 'grammar', margin: 0 }, bandFillRms: 0 },
  'grammar-m-1': { search: { kind: 'grammar', margin: -1 } },
  'grammar-m0': { search: { kind: 'grammar', margin: 0 } },
  'grammar-m0.5': { search: { kind: 'grammar', margin: 0.5 } },
  'grammar-m1': { search: { kind: 'grammar', margin: 1 } },
  'grammar-m2': { search: { kind: 'grammar', margin: 2 } },
  'grammar-m0-fill20': { search: { kind: 'grammar', margin: 0 }, bandFillRms: 20 },
  'grammar-m0-fill150': { search: { kind: 'grammar', margin: 0 }, bandFillRms: 150 },
  'grammar-m0-white30': { search: { kind: 'grammar', margin: 0 }, bandFillRms: 30, hiss: 'white' },
  'grammar-m0-white100': { search: { kind: 'grammar', margin: 0 }, bandFillRms: 100, hiss: 'white' },
  'grammar-m0-white300': { search: { kind: 'grammar', margin: 0 }, bandFillRms: 300, hiss: 'white' },
  'grammar-m0-white200': { search: { kind: 'grammar', margin: 0 }, bandFillRms: 200, hiss: 'white' },
  'grammar-m0-white100-upperf3800': { search: { kind: 'grammar', margin: 0 }, bandFillRms: 100, hiss: 'white', modelDir: MODEL_3800 },
  'grammar-m-3-white100': { search: { kind: 'grammar', margin: -3 }, bandFillRms: 100, hiss: 'white' },
  'grammar-m-4-white100': { search: { kind: 'grammar', margin: -4 }, bandFillRms: 100, hiss: 'white', minSpreadDb: 0 },
  'grammar-m0-upperf3800': { search: { kind: 'grammar', margin: 0 }, bandFillRms: 0, modelDir: MODEL_3800 },
  'grammar-m0-upperf3800-fill': { search: { kind: 'grammar', margin: 0 }, modelDir: MODEL_3800 },
  // Bars open: every utterance is decided by the better kind; its margins (FEATURES=file) choose the bars.
  default: {},
  'classes-open': {
    search: { kind: 'classes', accept: { overOther: -1e9, overLoop: -1e9 }, reject: { overOther: -1e9, overLoop: -1e9 } },
    minSpreadDb: 0,
  },
  'kws-1e-10': { search: { kind: 'keywords', threshold: 1e-10 } },
  'kws-1e-30': { search: { kind: 'keywords', threshold: 1e-30 } },
};

async function bench(name: string, utterances: Utterance[]): Promise<void> {
  const recogniser = new DecisionRecogniser({ ...CONFIGS[name], timeoutMs: 10_000 });
  await recogniser.prepare();
  const table: Record<Truth, Record<string, number>> = { accept: {}, reject: {}, neither: {} };
  const perVoice = new Map<string, Record<string, number>>();
  const cpu: number[] = [];
  const wall: number[] = [];
  const mistakes: string[] = [];
  const features: { truth: Truth; voice: string; label: string; heard: string; spreadDb: number }[] = [];
  // Per-frame margins over the phone loop of the phrase the grammar chose, by truth and by the phrase's kind.
  const margins: Record<string, number[]> = {};
  for (const u of utterances) {
    const cpu0 = await childrenCpuMs();
    const t0 = performance.now();
    const result = await recogniser.recognise(u.pcm, RATE);
    wall.push(performance.now() - t0);
    cpu.push((await childrenCpuMs()) - cpu0);
    table[u.truth][result.decision] = (table[u.truth][result.decision] ?? 0) + 1;
    const counts = perVoice.get(u.voice) ?? {};
    perVoice.set(u.voice, counts);
    const key = `${u.truth}->${result.decision}`;
    counts[key] = (counts[key] ?? 0) + 1;
    const m = /^(.*) \((-?[\d.]+)\/frame/.exec(result.heard);
    if (m) (margins[`${u.truth} as ${decisionOf(m[1]!)}`] ??= []).push(Number(m[2]));
    features.push({ truth: u.truth, voice: u.voice, label: u.label, heard: result.heard, spreadDb: levelSpreadDb(u.pcm, RATE) });
    const right = result.decision === u.truth || (u.truth === 'neither' && result.decision === 'unsure');
    if (!right) mistakes.push(`  ${u.voice.padEnd(20)} ${u.truth.padEnd(8)} ${JSON.stringify(u.label).padEnd(36)} -> ${result.decision} "${result.heard}"`);
  }
  await recogniser.close();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? 0;
  console.log(`\n=== ${name} (${utterances.length} utterances)`);
  console.log('truth \\ decided   accept  reject  unsure');
  for (const truth of ['accept', 'reject', 'neither'] as Truth[]) {
    const row = table[truth];
    console.log(`${truth.padEnd(16)} ${['accept', 'reject', 'unsure'].map((d) => String(row[d] ?? 0).padStart(7)).join(' ')}`);
  }
  for (const [voice, c] of perVoice) {
    const n = (k: string) => c[k] ?? 0;
    console.log(
      `  ${voice.padEnd(20)} accept ${n('accept->accept')}/10  reject ${n('reject->reject')}/10  false accepts ${n('neither->accept')}/20  false rejects ${n('neither->reject')}/20  accept heard as reject ${n('accept->reject')}  reject heard as accept ${n('reject->accept')}`,
    );
  }
  console.log(
    `  decoder CPU per utterance: mean ${mean(cpu).toFixed(0)} ms, p95 ${p95(cpu).toFixed(0)} ms; wall (resample + decode) mean ${mean(wall).toFixed(0)} ms, p95 ${p95(wall).toFixed(0)} ms`,
  );
  for (const [k, xs] of Object.entries(margins).sort())
    console.log(
      `  margins ${k.padEnd(18)} ${xs
        .sort((a, b) => b - a)
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
  if (process.env.MISTAKES) console.log(mistakes.join('\n'));
  if (process.env.FEATURES) await writeFile(`${process.env.FEATURES}-${name}.json`, JSON.stringify(features));
}

const [set = 'tune', ...names] = process.argv.slice(2);
if (set !== 'tune' && set !== 'test') throw new Error('usage: spoken-decision.ts [tune|test] [config ...]');
const utterances = await corpus(set);
await model3800();
for (const name of names.length ? names : Object.keys(CONFIGS)) {
  if (!CONFIGS[name]) throw new Error(`no configuration ${name}; known: ${Object.keys(CONFIGS).join(', ')}`);
  await bench(name, utterances);
}
// The process does not end by itself once the last configuration is printed (a native handle, rtc-node's
// resampler it seems, keeps the event loop alive): end it here.
process.exit(0);
