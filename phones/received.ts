// What a test phone heard: the far end's RTP as it arrived at the phone's Node socket.
// Audio is kept per packet with its arrival time, so tests can ask "how loud was it between t1
// and t2" in wall-clock terms (ms since epoch) and line that up with agent/room events.
import { decodeAlaw, rms, toneRatio } from './audio.ts';
import { dtmfDigit, parseRtp, parseTelephoneEvent, PT_DTMF, PT_PCMA } from './rtp.ts';

export interface AudioChunk {
  at: number; // arrival, ms since epoch
  seq: number;
  samples: Int16Array; // PCM16, 8 kHz
}

export interface ReceivedDtmf {
  digit: string;
  at: number; // arrival of the event's first packet
}

export class ReceivedAudio {
  readonly chunks: AudioChunk[] = [];
  /** RFC 4733 events, one entry per key press (deduplicated by RTP timestamp, as livekit-sip does). */
  readonly dtmf: ReceivedDtmf[] = [];
  /** Packets that were not PCMA or telephone-event, by payload type. */
  readonly otherPayloadTypes = new Map<number, number>();
  /** Where the far end sends from (livekit-sip's RTP port or the other SIPp's -mp port). */
  lastSource: { address: string; port: number } | null = null;
  private lastDtmfTs = -1;
  private listeners = new Set<() => void>();

  /** Feed one UDP datagram (called by the phone's socket handler). */
  push(buf: Buffer, source: { address: string; port: number }, at = Date.now()): void {
    const p = parseRtp(buf);
    if (!p) return;
    this.lastSource = { address: source.address, port: source.port };
    if (p.payloadType === PT_PCMA) {
      this.chunks.push({ at, seq: p.seq, samples: decodeAlaw(p.payload) });
    } else if (p.payloadType === PT_DTMF) {
      const ev = parseTelephoneEvent(p.payload);
      if (ev && p.timestamp !== this.lastDtmfTs) {
        this.lastDtmfTs = p.timestamp;
        this.dtmf.push({ digit: dtmfDigit(ev.code), at });
      }
    } else {
      this.otherPayloadTypes.set(p.payloadType, (this.otherPayloadTypes.get(p.payloadType) ?? 0) + 1);
    }
    for (const l of this.listeners) l();
  }

  get packetCount(): number {
    return this.chunks.length;
  }

  get digits(): string {
    return this.dtmf.map((d) => d.digit).join('');
  }

  /** Samples of the packets that arrived in [fromMs, toMs). */
  samples(fromMs = 0, toMs = Number.POSITIVE_INFINITY): Int16Array {
    const picked = this.chunks.filter((c) => c.at >= fromMs && c.at < toMs);
    const out = new Int16Array(picked.reduce((n, c) => n + c.samples.length, 0));
    let off = 0;
    for (const c of picked) {
      out.set(c.samples, off);
      off += c.samples.length;
    }
    return out;
  }

  /** RMS (PCM16 units) of what arrived in [fromMs, toMs); 0 if nothing arrived. */
  rms(fromMs?: number, toMs?: number): number {
    return rms(this.samples(fromMs, toMs));
  }

  /** Share of the energy at freqHz (0..1) over what arrived in [fromMs, toMs). */
  toneRatio(freqHz: number, fromMs?: number, toMs?: number): number {
    return toneRatio(this.samples(fromMs, toMs), freqHz);
  }

  /** Arrival time of the first packet at or after afterMs whose RMS reaches threshold, or null. */
  firstTimeAbove(threshold: number, afterMs = 0): number | null {
    for (const c of this.chunks) if (c.at >= afterMs && rms(c.samples) >= threshold) return c.at;
    return null;
  }

  /** Highest per-packet RMS in [fromMs, toMs) (handy in failure messages). */
  peakRms(fromMs = 0, toMs = Number.POSITIVE_INFINITY): number {
    let peak = 0;
    for (const c of this.chunks) if (c.at >= fromMs && c.at < toMs) peak = Math.max(peak, rms(c.samples));
    return peak;
  }

  /**
   * Resolve once check() returns a value other than undefined, re-checking on every packet and
   * every 50 ms; reject after timeoutMs with describe() in the message.
   */
  waitUntil<T>(check: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (fn: () => void) => {
        clearTimeout(timer);
        clearInterval(poll);
        this.listeners.delete(test);
        fn();
      };
      const test = () => {
        const v = check();
        if (v !== undefined) finish(() => resolve(v));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms: ${describe()}`))), timeoutMs);
      const poll = setInterval(test, 50);
      this.listeners.add(test);
      test();
    });
  }

  /** Resolve with the arrival time of the first packet after `after` (default now) reaching minRms. */
  waitForAudio(opts: { minRms: number; withinMs: number; after?: number }): Promise<number> {
    const after = opts.after ?? Date.now();
    return this.waitUntil(
      () => this.firstTimeAbove(opts.minRms, after) ?? undefined,
      opts.withinMs,
      () => `no audio with RMS >= ${opts.minRms} (peak ${this.peakRms(after).toFixed(0)}, ${this.packetCount} packets in total)`,
    );
  }

  /** Resolve once the received DTMF digits (all of them, in order) end with `digits`. */
  waitForDtmf(digits: string, withinMs: number): Promise<string> {
    return this.waitUntil(
      () => (this.digits.endsWith(digits) ? this.digits : undefined),
      withinMs,
      () => `DTMF ${JSON.stringify(digits)} not received (got ${JSON.stringify(this.digits)})`,
    );
  }
}
