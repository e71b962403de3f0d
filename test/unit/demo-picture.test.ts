// The demo's lanes and picture from audio made up here: what a phone heard is labelled by pitch and
// loudness, neighbouring windows merge, and the SVG shows every segment and key.
import { describe, expect, it } from 'vitest';
import { encodeAlaw, ReceivedAudio, sineSamples } from '../../phones/index.ts';
import { firstHeard, lane } from '../../stack/demo/lanes.ts';
import { COLOURS, timelineSvg } from '../../stack/demo/picture.ts';

/** A phone that heard `seconds` of each part in turn, one 20 ms RTP packet at a time from t = 0. */
function heard(parts: Array<{ hz: number | null; seconds: number }>): ReceivedAudio {
  const audio = new ReceivedAudio();
  let at = 0;
  let seq = 0;
  for (const part of parts) {
    const samples = part.hz === null ? new Int16Array(part.seconds * 8000) : sineSamples(part.hz, part.seconds);
    for (let i = 0; i + 160 <= samples.length; i += 160) {
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = 8; // PCMA
      header.writeUInt16BE(seq++ & 0xffff, 2);
      audio.push(Buffer.concat([header, encodeAlaw(samples.subarray(i, i + 160))]), { address: '127.0.0.1', port: 1 }, at);
      at += 20;
    }
  }
  return audio;
}

describe("the demo's lanes", () => {
  it('labels silence, the agent (music while on hold, speech otherwise) and the other phone by its pitch', () => {
    const audio = heard([
      { hz: 300, seconds: 1 },
      { hz: null, seconds: 1 },
      { hz: 440, seconds: 2 },
      { hz: 1000, seconds: 1 },
    ]);
    const segments = lane(audio, 0, 5000, { otherToneHz: 1000, holds: [{ start: 2000, end: 4000 }] });
    expect(segments.map((s) => [s.kind, s.start, s.end])).toEqual([
      ['speech', 0, 1000],
      ['silence', 1000, 2000],
      ['music', 2000, 4000],
      ['other party', 4000, 5000],
    ]);
    expect(firstHeard(segments, 'other party', 3000)).toBe(4000);
    expect(firstHeard(segments, 'music', 2500)).toBe(2500);
    expect(firstHeard(segments, 'speech', 1000)).toBeUndefined();
  });

  it('draws both lanes, every segment in its colour, the keys and the phases', () => {
    const svg = timelineSvg({
      title: 'demo <accept>',
      from: 0,
      to: 5000,
      lanes: [
        {
          name: 'caller',
          segments: [
            { kind: 'speech', start: 0, end: 1000 },
            { kind: 'music', start: 1000, end: 5000 },
          ],
          keys: [{ at: 900, digit: '1' }],
        },
        { name: 'destination', segments: [{ kind: 'other party', start: 3000, end: 5000 }], keys: [{ at: 2900, digit: '1' }] },
      ],
      marks: [
        { at: 1000, label: 'hold' },
        { at: 3000, label: 'bridged' },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('demo &lt;accept&gt;');
    for (const colour of [COLOURS.speech, COLOURS.music, COLOURS['other party']]) expect(svg).toContain(`fill="${colour}"`);
    expect(svg.match(/key 1</g)).toHaveLength(2);
    expect(svg).toContain('>bridged<');
    expect(svg).toContain('>destination<');
  });
});
