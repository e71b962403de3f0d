import { spawn } from 'node:child_process';
import { shortuuid, tts } from '@livekit/agents';
import type { APIConnectOptions } from '@livekit/agents';
import { AudioResampler } from '@livekit/rtc-node';
import type { AudioFrame } from '@livekit/rtc-node';
import { PcmFramer } from './pcm-framer.ts';

export interface EspeakTTSOptions {
  /** espeak-ng voice name (`espeak-ng --voices` lists them). */
  voice: string;
  /** Words per minute (espeak-ng `-s`); espeak's own default is 175. */
  speed?: number;
  /** Rate of the frames we emit. 24 kHz is what room audio output uses by default, so nothing resamples again. */
  sampleRate: number;
  /** Executable to run; only tests and unusual installs need to change it. */
  binary: string;
}

const DEFAULTS: EspeakTTSOptions = { voice: 'en-us', sampleRate: 24_000, binary: 'espeak-ng' };
const FRAME_MS = 20; // small frames keep interruptions responsive
/** Frames of an utterance's closing silence kept (the rest of it is dropped). */
const TAIL_FRAMES = 3;
/** Peak below which a frame counts as silence (PCM16; espeak-ng's silence is exactly 0). */
const SILENT_PEAK = 64;
const NOT_FOUND = 'espeak-ng not found: install the Debian package espeak-ng';
const EMPTY = Buffer.alloc(0);

/** Offline text-to-speech through the espeak-ng command line (non-streaming; wrap with StreamAdapter or use in an AgentSession, which does so). */
export class EspeakTTS extends tts.TTS {
  label = 'espeak-ng';
  readonly opts: EspeakTTSOptions;

  constructor(opts: Partial<EspeakTTSOptions> = {}) {
    const full = { ...DEFAULTS, ...opts };
    super(full.sampleRate, 1, { streaming: false });
    this.opts = full;
  }

  override get model(): string {
    return this.opts.voice;
  }

  override get provider(): string {
    return 'espeak-ng';
  }

  synthesize(text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal): EspeakChunkedStream {
    return new EspeakChunkedStream(this, text, this.opts, connOptions, abortSignal);
  }

  stream(): never {
    throw new Error('espeak-ng TTS does not support streaming; use synthesize() or tts.StreamAdapter');
  }
}

export class EspeakChunkedStream extends tts.ChunkedStream {
  label = 'espeak-ng.ChunkedStream';
  readonly #opts: EspeakTTSOptions;

  constructor(owner: EspeakTTS, text: string, opts: EspeakTTSOptions, connOptions?: APIConnectOptions, abortSignal?: AbortSignal) {
    super(text, owner, connOptions, abortSignal);
    this.#opts = opts;
  }

  protected async run(): Promise<void> {
    const { voice, speed, sampleRate, binary } = this.#opts;
    const signal = this.abortSignal;
    const requestId = shortuuid();
    // Text goes through stdin so that text starting with '-' is never read as an option; -b 1 = UTF-8.
    const args = ['-v', voice, '-b', '1', '--stdout', ...(speed ? ['-s', String(speed)] : [])];
    // `signal` makes node kill espeak when the stream is aborted (interruption or close()).
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], signal });
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    // Mark handled now: if reading stdout throws first, we never reach `await exited`.
    exited.catch(() => undefined);
    // espeak that dies early (bad voice, killed) closes stdin; its exit status reports the real error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(this.inputText);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));

    const wav = new WavReader();
    let framer: FrameMaker | undefined;
    // Hold one frame back so the last one can be marked final, as the OpenAI plugin does.
    let pending: AudioFrame | undefined;
    const put = (frame: AudioFrame) => {
      if (pending) this.queue.put({ requestId, segmentId: requestId, frame: pending, final: false });
      pending = frame;
    };
    // Silent frames wait until speech follows them: the silence espeak-ng ends every utterance with (about
    // 0.3 s) is dropped but for TAIL_FRAMES, so that sentences said one after another follow each other closely.
    let quiet: AudioFrame[] = [];
    const emit = (frames: AudioFrame[]) => {
      for (const frame of frames) {
        if (isSilent(frame)) {
          quiet.push(frame);
          continue;
        }
        for (const q of quiet) put(q);
        quiet = [];
        put(frame);
      }
    };

    try {
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        const pcm = wav.push(chunk);
        framer ??= wav.sampleRate ? new FrameMaker(wav.sampleRate, sampleRate) : undefined;
        if (framer && pcm.length) emit(framer.push(pcm));
      }
      const code = await exited;
      if (code !== 0) throw new Error(`espeak-ng failed (exit ${code}): ${stderr.trim()}`);
      if (framer) emit(framer.flush());
      for (const q of quiet.slice(0, TAIL_FRAMES)) put(q);
      if (pending) this.queue.put({ requestId, segmentId: requestId, frame: pending, final: true });
    } catch (err) {
      if (signal.aborted) return; // the consumer stopped listening; not an error
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(NOT_FOUND);
      throw err;
    } finally {
      framer?.close();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }
}

function isSilent(frame: AudioFrame): boolean {
  for (const sample of frame.data) if (sample > SILENT_PEAK || sample < -SILENT_PEAK) return false;
  return true;
}

/** PCM bytes at the WAV's rate -> frames of FRAME_MS at the output rate (rtc-node's sox resampler when the rates differ). */
class FrameMaker {
  readonly #out: PcmFramer;
  readonly #input: PcmFramer;
  readonly #resampler: AudioResampler | undefined;

  constructor(inRate: number, outRate: number) {
    this.#out = new PcmFramer(outRate, Math.round((outRate * FRAME_MS) / 1000));
    // Input framing aligns odd-sized pipe chunks to whole samples before the resampler.
    this.#input = new PcmFramer(inRate, Math.round((inRate * FRAME_MS) / 1000));
    this.#resampler = inRate === outRate ? undefined : new AudioResampler(inRate, outRate, 1);
  }

  push(pcm: Buffer): AudioFrame[] {
    const resampler = this.#resampler;
    if (!resampler) return this.#out.write(pcm);
    return this.#reframe(this.#input.write(pcm).flatMap((f) => resampler.push(f)));
  }

  flush(): AudioFrame[] {
    const resampler = this.#resampler;
    const tail = resampler ? [...this.#input.flush().flatMap((f) => resampler.push(f)), ...resampler.flush()] : [];
    return [...this.#reframe(tail), ...this.#out.flush()];
  }

  close(): void {
    this.#resampler?.close();
  }

  #reframe(frames: AudioFrame[]): AudioFrame[] {
    return frames.flatMap((f) => this.#out.write(f.data));
  }
}

/**
 * Incremental WAV reader. espeak-ng streams its WAV, so the RIFF and data sizes are placeholders
 * (0x7ffff000 here, 0 or 0xffffffff elsewhere): everything after the `data` chunk header is PCM until EOF.
 */
class WavReader {
  sampleRate: number | undefined;
  #head = EMPTY;
  #inData = false;

  /** Returns the PCM bytes contained in `chunk` (none while the header is still incomplete). */
  push(chunk: Buffer): Buffer {
    if (this.#inData) return chunk;
    const head = (this.#head = Buffer.concat([this.#head, chunk]));
    if (head.length < 12) return EMPTY;
    if (head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE') {
      throw new Error('espeak-ng did not write a WAV file');
    }
    // Headers are a few dozen bytes, so re-walking the chunks on each push costs nothing.
    for (let off = 12; head.length >= off + 8;) {
      const id = head.toString('ascii', off, off + 4);
      const size = head.readUInt32LE(off + 4);
      if (id === 'data') {
        if (!this.sampleRate) throw new Error('WAV data chunk before fmt chunk');
        this.#inData = true;
        this.#head = EMPTY;
        return head.subarray(off + 8);
      }
      const end = off + 8 + size + (size & 1); // chunks are padded to even sizes
      if (head.length < end) return EMPTY;
      if (id === 'fmt ') this.#readFormat(head.subarray(off + 8, end));
      off = end;
    }
    return EMPTY;
  }

  #readFormat(fmt: Buffer): void {
    const format = fmt.readUInt16LE(0);
    const channels = fmt.readUInt16LE(2);
    const bits = fmt.readUInt16LE(14);
    if (format !== 1 || channels !== 1 || bits !== 16) {
      throw new Error(`unsupported WAV from espeak-ng: format ${format}, ${channels} ch, ${bits} bit`);
    }
    this.sampleRate = fmt.readUInt32LE(4);
  }
}
