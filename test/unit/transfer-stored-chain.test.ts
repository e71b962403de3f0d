// A transfer record's chain as a takeover reads it back: canonical destinations exactly, the display labels
// older records held too, and nothing guessed at: one unreadable entry and the chain is not rebuilt.
import { describe, expect, it } from 'vitest';
import { canonicalDestination } from '../../settings/destination.ts';
import { readStoredChain, readStoredDestination } from '../../agent/transfer/record/stored-chain.ts';

describe('a stored destination', () => {
  it.each([
    ['ext:1002', 'ext:1002'],
    ['+15125551234', '+15125551234'],
    ['sip:alice@pbx.example.com:5070;transport=tcp', 'sip:alice@pbx.example.com:5070;transport=tcp'],
    // Written before records held canonical destinations.
    ['extension 1002', 'ext:1002'],
    ['extension *72#', 'ext:*72#'],
    ['+1 512 555 1234', '+15125551234'],
  ])('%s reads back as %s', (stored, canonical) => {
    const destination = readStoredDestination(stored);
    expect(destination && canonicalDestination(destination)).toBe(canonical);
  });

  it.each(['', 'the sales desk', 'extension', 'extension 10a2', 'tel:+15125551234'])('%j is not read', (stored) => {
    expect(readStoredDestination(stored)).toBeUndefined();
  });
});

describe('a stored chain', () => {
  it('is rebuilt whole, in order', () => {
    expect(readStoredChain(['extension 1002', '+15125551234'])?.map(canonicalDestination)).toEqual(['ext:1002', '+15125551234']);
  });

  it('is not rebuilt with a hole in it, or empty', () => {
    expect(readStoredChain(['ext:1002', 'the sales desk', '+15125551234'])).toBeUndefined();
    expect(readStoredChain([])).toBeUndefined();
  });
});
