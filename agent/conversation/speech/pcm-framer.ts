// Cuts a stream of PCM16 bytes (pipe chunks of any size, a sample split across two of them included) into
// frames of a fixed number of samples. It does what the framework's AudioByteStream does, in time linear in the
// bytes: that one spreads its whole buffer into a JS array on every write and copies the rest on every frame
// cut, which for espeak-ng's pipe chunks took tens of milliseconds of the job's event loop per sentence, while
// the VAD that hears the person barge in waited on the same loop.
import { AudioFrame } from '@livekit/rtc-node';

const EMPTY = Buffer.alloc(0);

export class PcmFramer {
  readonly #frameBytes: number;
  /** Bytes written that do not make a whole frame yet (fewer than #frameBytes). */
  #pending: Buffer = EMPTY;

  constructor(
    readonly sampleRate: number,
    readonly samplesPerFrame: number,
  ) {
    if (!Number.isInteger(samplesPerFrame) || samplesPerFrame <= 0) throw new Error(`samples per frame must be a positive integer, not ${samplesPerFrame}`);
    this.#frameBytes = samplesPerFrame * 2;
  }

  /** Mono PCM16 (native byte order) as bytes or samples; the whole frames they complete. */
  write(data: ArrayBufferView): AudioFrame[] {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const all = this.#pending.length ? Buffer.concat([this.#pending, bytes]) : bytes;
    const frames: AudioFrame[] = [];
    let offset = 0;
    for (; offset + this.#frameBytes <= all.length; offset += this.#frameBytes) frames.push(this.#frame(all.subarray(offset, offset + this.#frameBytes)));
    // A copy: `all` may be the caller's buffer, which they may reuse.
    this.#pending = offset < all.length ? Buffer.from(all.subarray(offset)) : EMPTY;
    return frames;
  }

  /** What is left, as one shorter frame (a trailing half sample is dropped); none if nothing is. */
  flush(): AudioFrame[] {
    const whole = this.#pending.subarray(0, this.#pending.length & ~1);
    this.#pending = EMPTY;
    return whole.length ? [this.#frame(whole)] : [];
  }

  #frame(bytes: Buffer): AudioFrame {
    // Copied into a fresh, aligned buffer: `bytes` may start at an odd offset, and frames outlive the input.
    const samples = new Int16Array(bytes.length / 2);
    Buffer.from(samples.buffer).set(bytes);
    return new AudioFrame(samples, this.sampleRate, 1, samples.length);
  }
}
