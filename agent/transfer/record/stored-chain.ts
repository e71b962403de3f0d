// A transfer record keeps its destinations as canonical strings (ext:1002, +15125551234, the SIP address), which
// parseDestination reads back exactly. Records written before that held display labels ("extension 1002",
// "+1 512 555 1234"); those are read too, so a transfer open across an upgrade is still carried on.
import { canonicalDestination, parseDestination, type Destination } from '../../../settings/destination.ts';

/** What a record stores for a destination. */
export const storedDestination = canonicalDestination;

/** One stored destination, or undefined when it cannot be read (never guessed at). */
export function readStoredDestination(text: string): Destination | undefined {
  const legacyExtension = /^extension\s+([0-9*#]+)$/i.exec(text.trim());
  const parsed = parseDestination(legacyExtension ? `ext:${legacyExtension[1]}` : text);
  return parsed.ok ? parsed.destination : undefined;
}

/**
 * The record's chain, in order, or undefined when any of it cannot be read: a chain with a hole would shift the
 * index of the destination being tried, so a resume that cannot rebuild the whole chain ends the transfer.
 */
export function readStoredChain(chain: readonly string[]): Destination[] | undefined {
  const read = chain.map(readStoredDestination);
  return read.length > 0 && read.every((d) => d !== undefined) ? (read as Destination[]) : undefined;
}
