// RTP parsing and RFC 4733 (telephone-event, "RFC 2833") DTMF for the test phone.
import type { Socket } from 'node:dgram';

export const PT_PCMA = 8;
export const PT_DTMF = 101; // what our SDP offers/answers and what livekit-sip uses

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  seq: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

/** Parse an RTP packet; null for anything that is not RTP version 2. */
export function parseRtp(buf: Buffer): RtpPacket | null {
  if (buf.length < 12 || buf[0] === undefined || buf[0] >> 6 !== 2) return null;
  const b0 = buf[0];
  const b1 = buf[1] ?? 0;
  let offset = 12 + (b0 & 0x0f) * 4; // skip CSRCs
  if (b0 & 0x10) {
    if (buf.length < offset + 4) return null;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4; // skip the header extension
  }
  let end = buf.length;
  if (b0 & 0x20) end -= buf[buf.length - 1] ?? 0; // padding
  if (offset > end) return null;
  return {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    seq: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payload: buf.subarray(offset, end),
  };
}

const DIGITS = '0123456789*#ABCD';

/** '0'-'9' -> 0-9, '*' -> 10, '#' -> 11, 'A'-'D' -> 12-15 (RFC 4733 event codes). */
export function dtmfCode(digit: string): number {
  const code = DIGITS.indexOf(digit.toUpperCase());
  if (code < 0 || digit.length !== 1) throw new Error(`not a DTMF digit: ${JSON.stringify(digit)}`);
  return code;
}

export function dtmfDigit(code: number): string {
  return DIGITS[code] ?? `?${code}`;
}

export interface TelephoneEvent {
  code: number;
  end: boolean;
  volume: number;
  duration: number;
}

export function parseTelephoneEvent(payload: Buffer): TelephoneEvent | null {
  if (payload.length < 4) return null;
  const flags = payload[1] ?? 0;
  return { code: payload[0] ?? 0, end: (flags & 0x80) !== 0, volume: flags & 0x3f, duration: payload.readUInt16BE(2) };
}

function rtpHeader(pt: number, marker: boolean, seq: number, ts: number, ssrc: number): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = (marker ? 0x80 : 0) | pt;
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE(ts >>> 0, 4);
  h.writeUInt32BE(ssrc >>> 0, 8);
  return h;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Sends DTMF as RFC 4733 events from the phone's own media socket (the port its SDP advertises).
 * Why not SIPp's shipped dtmf_2833_<d>.pcap files: every press of the same digit carries the same
 * RTP timestamp, and livekit-sip drops an event whose timestamp equals the previous one, so "1", "1"
 * would arrive as one "1". Here each press gets a fresh timestamp from a running clock.
 */
export class DtmfSender {
  private readonly ssrc = (Math.random() * 0xffffffff) >>> 0;
  private seq = Math.floor(Math.random() * 0x7fff);
  private readonly t0 = Date.now();
  private readonly tsBase = Math.floor(Math.random() * 0x7fffffff);
  private lastTs = -1;

  constructor(private readonly socket: Socket) {}

  /** Send one digit: a packet every 20 ms for durationMs, then the end packet three times. */
  async send(digit: string, host: string, port: number, durationMs = 160, payloadType = PT_DTMF, volume = 10): Promise<void> {
    const code = dtmfCode(digit);
    let ts = (this.tsBase + (Date.now() - this.t0) * 8) >>> 0; // 8 kHz clock, like the audio
    if (ts === this.lastTs) ts = (ts + 160) >>> 0;
    this.lastTs = ts;
    const steps = Math.max(1, Math.round(durationMs / 20));
    for (let i = 1; i <= steps; i++) {
      const end = i === steps;
      const body = Buffer.from([code, (end ? 0x80 : 0) | (volume & 0x3f), 0, 0]);
      body.writeUInt16BE(Math.min(0xffff, i * 160), 2);
      // The end packet is repeated (same seq) so that one loss does not lose the key release.
      for (let copy = 0; copy < (end ? 3 : 1); copy++) {
        await this.write(Buffer.concat([rtpHeader(payloadType, i === 1, this.seq, ts, this.ssrc), body]), host, port);
      }
      this.seq = (this.seq + 1) & 0xffff;
      if (!end) await sleep(20);
    }
  }

  private write(packet: Buffer, host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(packet, port, host, (err) => (err ? reject(err) : resolve())));
  }
}
