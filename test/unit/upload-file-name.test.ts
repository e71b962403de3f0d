// A client's file name (x-file-name, a multipart filename) is only ever shown: whatever it is, what is kept
// is one short line of visible text that cannot name a folder.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanFileName } from '../../settings-service/hold-music-upload.ts';

describe('cleanFileName', () => {
  it('for every string: at most 100 characters, no control or formatting characters, no path separators, never empty', () => {
    const names = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.constantFrom('..', '.', '/', '\\', ' ', '\u202e'),
    );
    fc.assert(
      fc.property(names, (raw) => {
        const name = cleanFileName(raw);
        expect([...name].length).toBeLessThanOrEqual(100);
        expect(name).not.toMatch(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}/\\]/u);
        expect(name).not.toBe('');
        expect(['.', '..']).not.toContain(name);
        expect(name).toBe(name.trim());
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\hold.mp3', 'hold.mp3'],
    ['song\r\n.mp3', 'song.mp3'],
    ['\u202egpj.mp3', 'gpj.mp3'],
    ['../', 'upload'],
    [undefined, 'upload'],
    [['first.wav', 'second.wav'], 'first.wav'],
  ])('%j -> %s', (raw, expected) => {
    expect(cleanFileName(raw)).toBe(expected);
  });
});
