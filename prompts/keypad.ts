// What a screened keypad transfer says without a model: to the caller before the hold, and the facts the
// person being briefed hears (who is calling, from which number, what they pressed, how long they have waited).

export function keypadHoldMessage({ label }: { label: string }): string {
  return `Please hold while I check that ${label} is available.`;
}

export interface KeypadFacts {
  digit: string;
  label: string;
  /** The caller's own number when it is passed through; undefined when unknown or withheld. */
  callerNumber: string | undefined;
  /** The number the destination's phone shows when the caller's is not passed through (the agent's). */
  shownNumber: string | undefined;
  /** Time from the call's answer to the key press. */
  onLineMs: number;
}

/** The briefing's facts, one sentence for espeak: numbers are read digit by digit, in groups. */
export function keypadBriefing({ digit, label, callerNumber, shownNumber, onLineMs }: KeypadFacts): string {
  const who = callerNumber
    ? `A caller from ${spokenNumber(callerNumber)}`
    : shownNumber
      ? `A caller whose number is not passed on, shown to you as ${spokenNumber(shownNumber)},`
      : 'A caller whose number is unknown';
  return `${who} pressed ${spokenKey(digit)} for ${label} after ${spokenDuration(onLineMs)}.`;
}

/**
 * "+15125550142" -> "5 1 2, 5 5 5, oh 1 4 2": a text-to-speech voice reads a bare number as one quantity, so
 * digit by digit in groups; a zero is "oh", as phone numbers are read aloud (and a syllable shorter).
 */
export function spokenNumber(number: string): string {
  const digits = number.replace(/\D/g, '');
  const national = number.startsWith('+1') && digits.length === 11 ? digits.slice(1) : digits;
  const groups = national.length === 10 ? [national.slice(0, 3), national.slice(3, 6), national.slice(6)] : [national];
  return groups.map((g) => [...g].map((d) => (d === '0' ? 'oh' : d)).join(' ')).join(', ');
}

function spokenKey(digit: string): string {
  return digit === '*' ? 'star' : digit === '#' ? 'hash' : digit;
}

function spokenDuration(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.round(seconds / 60);
  return `about ${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** The reason an ordinary keypad transfer gives (the record keeps it; nobody is briefed). */
export function keypadReason(digit: string): string {
  return `The caller pressed ${digit} on the menu.`;
}
