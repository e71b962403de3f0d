// The rules reader's time on hostile text: the read-back the settings service answers on every page view and
// save (settings-service/read-back.ts, the same compilePlan a job process runs when a call starts), for 1 k,
// 4 k, 16 k and 64 k characters of patterns that make a backtracking or pairwise reader quadratic. The growth
// is read from the two longest (below a millisecond, the short ones measure the clock and the collector more
// than the reader): a linear reader takes about 4 times as long on 64 k as on 16 k, a quadratic one about 16
// times. No stack is needed.
import { rulesReadBack } from '../../settings-service/read-back.ts';

export const RULES_LENGTHS = [1_000, 4_000, 16_000, 64_000] as const;

/** Each pattern repeated (its i-th piece) until the text reaches the length asked for. */
const PATTERNS: Array<[string, (i: number) => string]> = [
  ['"if they " with no sentence end', () => 'if they '],
  ['"never " repeated', () => 'never '],
  ['"transfer " repeated', () => 'transfer '],
  ['digit pairs "1 2 "', () => '1 2 '],
  ['"((((" unclosed', () => '(((('],
  ['one list of alternatives', (i) => (i === 0 ? 'Transfer to ' : `ext:${i}, `)],
  ['one list of forbidden extensions', (i) => (i === 0 ? 'Never transfer to ' : `ext:${i} or `)],
  ['one chain of fallbacks', (i) => (i === 0 ? 'Transfer to ext:1' : `, otherwise ext:${i + 1}`)],
  ['many rules that allow and forbid', (i) => `If b${i}, transfer to ext:${i}. Never transfer to ext:${i + 1}.\n\n`],
];

export interface RulesRow {
  pattern: string;
  /** Median read-back time in ms at each of RULES_LENGTHS. */
  ms: number[];
  /** ms at 64 k divided by ms at 16 k: about 4 when linear, 16 when quadratic. */
  growth: number;
}

export function hostileText(piece: (i: number) => string, length: number): string {
  let text = '';
  for (let i = 0; text.length < length; i++) text += piece(i);
  return text.slice(0, length);
}

function medianMs(text: string, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    rulesReadBack(text);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export function rulesBench(runs = 15): RulesRow[] {
  // Warm the JIT on ordinary rules first, so the 1 k column is not the compiler's.
  for (let i = 0; i < 50; i++) rulesReadBack('If the caller has a billing dispute, warm transfer to ext:1002. Never transfer to +15125550100.');
  return PATTERNS.map(([pattern, piece]) => {
    const ms = RULES_LENGTHS.map((length) => Number(medianMs(hostileText(piece, length), runs).toFixed(2)));
    return { pattern, ms, growth: Number((ms[3]! / Math.max(ms[2]!, 0.01)).toFixed(1)) };
  });
}
