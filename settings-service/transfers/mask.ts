// How the transfers page and its API show a destination. The worker stores only the destination's kind and a
// masked form (`+1********34`, `ext:***2`, `sip:***@host`; settings/destination.ts); the number itself stays
// under lk.pii, which never reaches the store. This shows that masked form again, masked again: whatever an
// entry holds (an older worker's, a bug's), a phone number shows its last two digits at most, an extension
// what core/pii.ts's mask keeps of it, a SIP address its host only. Callers' numbers are never shown at all.
import { mask } from '../../core/pii.ts';

const DOT = '•';

/** The destination as the page shows it: `+1 ••• ••• ••34`, `ext:•••2`, `sip:•••@pbx.example.com`. */
export function shownDestination(kind: unknown, masked: unknown): string {
  const text = typeof masked === 'string' ? masked : '';
  if (kind === 'phone') {
    const last = text.slice(-2).replace(/\D/g, DOT).padStart(2, DOT);
    return `+1 ${DOT.repeat(3)} ${DOT.repeat(3)} ${DOT.repeat(2)}${last}`;
  }
  if (kind === 'extension') {
    const extension = text.startsWith('ext:') ? text.slice(4) : text;
    const shown = extension ? mask(extension.slice(0, 16)).replace(/[^0-9]/g, DOT) : DOT.repeat(3);
    return `ext:${shown}`;
  }
  if (kind === 'sip') {
    const host = text.includes('@') ? text.slice(text.lastIndexOf('@') + 1) : '';
    // A host name or address only: anything else in it is not shown.
    return /^[A-Za-z0-9.:[\]-]{1,100}$/.test(host) ? `sip:${DOT.repeat(3)}@${host}` : `sip:${DOT.repeat(3)}`;
  }
  return 'unknown destination';
}
