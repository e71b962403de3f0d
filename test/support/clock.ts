/**
 * A clock a test moves on itself, for leases of a few hundred milliseconds: on the wall clock they would race
 * the machine's load (`npm test` runs the unit lane beside the integration tests).
 */
export function manualClock(at = Date.now()) {
  return { now: () => at, advance: (ms: number) => void (at += ms) };
}
