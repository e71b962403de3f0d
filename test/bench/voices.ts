// Bench of the embedded voice (issue 22): espeak-ng, as the worker runs it, against Festival's text2wave with a
// Debian voice. For each sentence the product says it measures the synthesiser's CPU time (user + system of the
// process, from its rusage), its wall time, its time to first audio, and the length of the speech it makes;
// then it says the accept and reject phrases of test/bench/spoken-decision.ts with each voice, through 8 kHz
// G.711 A-law and back, and counts what the offline recogniser (DecisionRecogniser, default options) makes of them.
//
//   npx tsx test/bench/voices.ts [runs]          (3 runs by default; medians are printed)
//
// Festival is optional: without text2wave, or without its voice, it is skipped with a message. Everything runs
// under `nice -n 10` (the machine is shared). Not part of `npm test`: it takes a few minutes.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeAlaw, encodeAlaw } from '../../phones/audio.ts';
import { DecisionRecogniser } from '../../agent/conversation/speech/decision-recogniser.ts';
import { briefingIntro, callerLeftNotice, DECISION_QUESTION, reprompt } from '../../prompts/briefing.ts';
import { onHoldNote } from '../../prompts/hold.ts';
import { keypadBriefing, keypadHoldMessage } from '../../prompts/keypad.ts';
import { ACCEPTS, REJECTS } from './decision-corpus.ts';

const execFileAsync = promisify(execFile);
const PHONE_RATE = 8000;
const ESPEAK_SPEED = 190; // the worker's default (ESPEAK_SPEED)
const FESTIVAL_VOICE = 'cmu_us_slt_arctic_hts'; // Debian's festvox-us-slt-hts

/** What the product says, in its own words (the keypad facts with a sample number). */
export const SENTENCES: { name: string; text: string; briefing?: true }[] = [
  { name: 'intro', text: briefingIntro(), briefing: true },
  {
    name: 'keypad facts',
    text: keypadBriefing({ digit: '2', label: 'Sales', callerNumber: '+15125550142', shownNumber: undefined, onLineMs: 42_000 }),
    briefing: true,
  },
  { name: 'question', text: DECISION_QUESTION, briefing: true },
  { name: 'reprompt timeout', text: reprompt('timeout') },
  { name: 'reprompt unclear', text: reprompt('unclear') },
  { name: 'reprompt key', text: reprompt('invalid_key') },
  { name: 'caller hung up', text: callerLeftNotice('caller_hung_up') },
  { name: 'caller cancelled', text: callerLeftNotice('cancelled') },
  { name: 'interrupted', text: callerLeftNotice('interrupted') },
  { name: 'keypad hold', text: keypadHoldMessage({ label: 'Sales' }) },
  { name: 'hold: next', text: onHoldNote({ kind: 'next', unavailable: 'Alice', next: 'Bob' }) },
  { name: 'hold: still trying', text: onHoldNote({ kind: 'still_trying', unavailable: 'Alice' }) },
];

interface Voice {
  label: string;
  /** The command that says the text (given on stdin) into `wav`; `streams` when the WAV comes on stdout as it is made. */
  command(wav: string): { args: string[]; streams: boolean };
  /** The same program started with nothing to say (its fixed cost: start, load the voice). */
  startup: string[];
}

const VOICES: Voice[] = [
  {
    label: `espeak-ng en-us -s ${ESPEAK_SPEED}`,
    command: () => ({ args: ['espeak-ng', '-v', 'en-us', '-b', '1', '-s', String(ESPEAK_SPEED), '--stdout'], streams: true }),
    startup: ['espeak-ng', '-v', 'en-us', '-s', String(ESPEAK_SPEED), '--stdout', ''],
  },
  {
    label: `festival text2wave ${FESTIVAL_VOICE}`,
    command: (wav) => ({ args: ['text2wave', '-eval', `(voice_${FESTIVAL_VOICE})`, '-o', wav], streams: false }),
    startup: ['festival', '--batch', `(voice_${FESTIVAL_VOICE})`],
  },
];

function festivalMissing(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v text2wave'], { encoding: 'utf8' });
  if (which.status !== 0) return 'text2wave not found: install the Debian packages festival and festvox-us-slt-hts';
  const probe = spawnSync('festival', ['--batch', `(voice_${FESTIVAL_VOICE})`], { encoding: 'utf8' });
  if (probe.status !== 0 || /error|unbound/i.test(probe.stderr + probe.stdout))
    return `Festival's voice ${FESTIVAL_VOICE} is missing: install festvox-us-slt-hts`;
  return undefined;
}

interface Run {
  cpuMs: number;
  wallMs: number;
  /** From start to the first audio sample out; the whole run for a synthesiser that writes its file at the end. */
  firstAudioMs: number;
  wav: Buffer;
}

// Runs a command (stdin and stdout its own) and writes to a file its user and system seconds (the waited-for
// child's rusage, to the microsecond: GNU time rounds to 10 ms, as much as espeak-ng takes in all) and the
// monotonic clock's nanoseconds at its start and end (the wrapper's own start is not counted, nor what a
// launcher ran before it: rusage of children survives exec).
const RUSAGE = [
  'import resource, subprocess, sys, time',
  'before = resource.getrusage(resource.RUSAGE_CHILDREN)',
  't0 = time.monotonic_ns()',
  'code = subprocess.run(sys.argv[2:]).returncode',
  't1 = time.monotonic_ns()',
  'u = resource.getrusage(resource.RUSAGE_CHILDREN)',
  "open(sys.argv[1], 'w').write(f'{u.ru_utime - before.ru_utime} {u.ru_stime - before.ru_stime} {t0} {t1}')",
  'sys.exit(code)',
].join('\n');

/** Runs `args` under nice, its CPU time measured, `text` on stdin; the WAV from stdout, or from `wavFile`. */
async function timed(args: string[], text: string, dir: string, wavFile?: string): Promise<Run> {
  const timeFile = join(dir, 'time');
  let firstAudio: bigint | undefined; // process.hrtime is the same monotonic clock as Python's on Linux
  let bytes = 0;
  const chunks: Buffer[] = [];
  const child = spawn('nice', ['-n', '10', 'python3', '-c', RUSAGE, timeFile, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => {
    chunks.push(d);
    bytes += d.length;
    if (firstAudio === undefined && bytes > 44) firstAudio = process.hrtime.bigint(); // past the RIFF header
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(text);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${args[0]} exited ${code}: ${stderr.trim()}`);
  const [user = '0', sys = '0', t0 = '0', t1 = '0'] = (await readFile(timeFile, 'utf8')).trim().split(' ');
  const wallMs = Number(BigInt(t1) - BigInt(t0)) / 1e6;
  const wav = wavFile ? await readFile(wavFile) : Buffer.concat(chunks);
  const firstAudioMs = !wavFile && firstAudio !== undefined ? Number(firstAudio - BigInt(t0)) / 1e6 : wallMs;
  return { cpuMs: (Number(user) + Number(sys)) * 1000, wallMs, firstAudioMs, wav };
}

interface Pcm {
  rate: number;
  samples: Int16Array;
}

/** A 16-bit mono WAV's samples; a streamed WAV's sizes are placeholders, so the data runs to the end of the bytes. */
function parseWav(wav: Buffer): Pcm {
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file');
  let offset = 12;
  let rate = 0;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      const channels = wav.readUInt16LE(offset + 10);
      rate = wav.readUInt32LE(offset + 12);
      const bits = wav.readUInt16LE(offset + 22);
      if (channels !== 1 || bits !== 16) throw new Error(`expected 16-bit mono, got ${bits}-bit ${channels} channels`);
    }
    if (id === 'data') {
      const end = Math.min(wav.length, offset + 8 + size);
      const data = wav.subarray(offset + 8, end - ((end - offset - 8) % 2));
      return { rate, samples: new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error('WAV without data');
}

/** Seconds of the file, and seconds from the first to the last sample above -40 dBFS (the speech without its padding). */
function lengths({ rate, samples }: Pcm): { seconds: number; spokenSeconds: number } {
  const loud = (s: number) => Math.abs(s) > 328;
  let first = samples.findIndex(loud);
  let last = samples.length - 1;
  while (last >= 0 && !loud(samples[last]!)) last--;
  if (first < 0) first = last = 0;
  return { seconds: samples.length / rate, spokenSeconds: (last - first) / rate };
}

/** To 8 kHz (ffmpeg, as spoken-decision.ts does), then through G.711 A-law and back, as a SIPp phone hears it. */
async function phoneLine(wav: Buffer): Promise<Int16Array> {
  const child = execFileAsync('ffmpeg', ['-v', 'error', '-i', 'pipe:0', '-ar', String(PHONE_RATE), '-ac', '1', '-f', 's16le', 'pipe:1'], {
    encoding: 'buffer',
    maxBuffer: 64 << 20,
  });
  child.child.stdin!.end(wav);
  const { stdout } = await child;
  return decodeAlaw(encodeAlaw(new Int16Array(stdout.buffer, stdout.byteOffset, stdout.byteLength >> 1)));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function say(voice: Voice, text: string, dir: string): Promise<Run> {
  const wav = join(dir, 'out.wav');
  const { args, streams } = voice.command(wav);
  return timed(args, text, dir, streams ? undefined : wav);
}

interface Figures {
  label: string;
  startupCpuMs: number;
  rows: { name: string; cpuMs: number; wallMs: number; firstAudioMs: number; seconds: number; spokenSeconds: number }[];
  accepts: number;
  rejects: number;
  heardWrong: string[];
  timedOut: number;
}

async function measure(voice: Voice, runs: number, dir: string, recogniser: DecisionRecogniser): Promise<Figures> {
  const startup: number[] = [];
  for (let r = 0; r < runs; r++) startup.push((await timed(voice.startup, '', dir)).cpuMs);
  const rows: Figures['rows'] = [];
  for (const sentence of SENTENCES) {
    const results: Run[] = [];
    for (let r = 0; r < runs; r++) results.push(await say(voice, sentence.text, dir));
    rows.push({
      name: sentence.name,
      cpuMs: median(results.map((x) => x.cpuMs)),
      wallMs: median(results.map((x) => x.wallMs)),
      firstAudioMs: median(results.map((x) => x.firstAudioMs)),
      ...lengths(parseWav(results[0]!.wav)),
    });
  }
  let accepts = 0;
  let rejects = 0;
  let timedOut = 0;
  const heardWrong: string[] = [];
  for (const [truth, phrases] of [
    ['accept', ACCEPTS],
    ['reject', REJECTS],
  ] as const) {
    for (const phrase of phrases) {
      const pcm = await phoneLine((await say(voice, phrase, dir)).wav);
      const result = await recogniser.recognise(pcm, PHONE_RATE);
      if (result.timedOut) timedOut++;
      if (result.decision === truth) {
        if (truth === 'accept') accepts++;
        else rejects++;
      } else heardWrong.push(`${truth} ${JSON.stringify(phrase)} -> ${result.decision} (${result.heard})`);
    }
  }
  return { label: voice.label, startupCpuMs: median(startup), rows, accepts, rejects, heardWrong, timedOut };
}

function report(all: Figures[], runs: number): void {
  for (const f of all) {
    console.log(`\n=== ${f.label}: medians of ${runs} runs; start-up alone (nothing said) ${f.startupCpuMs.toFixed(0)} ms CPU`);
    console.log(
      `${'sentence'.padEnd(20)} ${'CPU ms'.padStart(7)} ${'wall ms'.padStart(8)} ${'1st audio'.padStart(9)} ${'audio s'.padStart(8)} ${'spoken s'.padStart(9)}`,
    );
    for (const r of f.rows) {
      console.log(
        `${r.name.padEnd(20)} ${r.cpuMs.toFixed(0).padStart(7)} ${r.wallMs.toFixed(0).padStart(8)} ${r.firstAudioMs.toFixed(0).padStart(9)} ${r.seconds.toFixed(2).padStart(8)} ${r.spokenSeconds.toFixed(2).padStart(9)}`,
      );
    }
  }
  console.log('\n=== summary');
  console.log(
    `${'voice'.padEnd(42)} ${'CPU ms/sentence'.padStart(15)} ${'less start-up'.padStart(13)} ${'wall ms'.padStart(8)} ${'1st audio ms'.padStart(12)} ${'briefing s'.padStart(10)} ${'accept'.padStart(6)} ${'reject'.padStart(6)}`,
  );
  for (const f of all) {
    const cpu = median(f.rows.map((r) => r.cpuMs));
    const briefing = f.rows.filter((r) => SENTENCES.find((s) => s.name === r.name)?.briefing).reduce((a, r) => a + r.seconds, 0);
    console.log(
      `${f.label.padEnd(42)} ${cpu.toFixed(0).padStart(15)} ${(cpu - f.startupCpuMs).toFixed(0).padStart(13)} ${median(f.rows.map((r) => r.wallMs))
        .toFixed(0)
        .padStart(8)} ${median(f.rows.map((r) => r.firstAudioMs))
        .toFixed(0)
        .padStart(12)} ${briefing.toFixed(2).padStart(10)} ${`${f.accepts}/${ACCEPTS.length}`.padStart(6)} ${`${f.rejects}/${REJECTS.length}`.padStart(6)}`,
    );
  }
  console.log('(briefing s: intro + keypad facts + question as files, each with its own leading and trailing silence)');
  for (const f of all) {
    if (f.timedOut) console.log(`${f.label}: ${f.timedOut} recognitions timed out`);
    if (f.heardWrong.length) console.log(`${f.label} heard wrong:\n  ${f.heardWrong.join('\n  ')}`);
  }
}

const runs = Number(process.argv[2] ?? 3);
if (!Number.isInteger(runs) || runs < 1) throw new Error('usage: voices.ts [runs]');
const missing = festivalMissing();
if (missing) console.log(`Festival skipped: ${missing}`);
const voices = missing ? VOICES.filter((v) => !v.label.startsWith('festival')) : VOICES;
const dir = await mkdtemp(join(tmpdir(), 'voices-'));
// Default options; only the bound on one decoding is raised, as in spoken-decision.ts, so that a busy shared
// machine makes no 'unsure' out of slowness.
const recogniser = new DecisionRecogniser({ timeoutMs: 10_000 });
try {
  await recogniser.prepare();
  const all: Figures[] = [];
  for (const voice of voices) all.push(await measure(voice, runs, dir, recogniser));
  report(all, runs);
} finally {
  await recogniser.close();
  await rm(dir, { recursive: true, force: true });
}
// The resampler's native library (@livekit/rtc-node) keeps node's event loop alive: leave once done.
process.exit(0);
