// How a call ended, judged from the SIP events a phone saw.
import type { CallEnd, PhoneEvent, PhoneEventType, PhoneRole } from './types.ts';

export function callOutcome(events: PhoneEvent[], role: PhoneRole, exitCode: number | null, closedByTest: boolean): CallEnd {
  const find = (t: PhoneEventType) => events.find((e) => e.type === t);
  const answered = find('answered');
  const rejected = find('rejected'); // a final status >= 300 sent (callee) or received (caller)
  const status = answered ? 200 : (rejected?.status ?? null);
  const bye = events.find((e) => e.type === 'bye-sent' || e.type === 'bye-received'); // the first one counts
  const cancel = find('cancel-sent') ?? find('cancel-received');
  const end = (hungUpBy: CallEnd['hungUpBy'], reason: CallEnd['reason']): CallEnd => ({ hungUpBy, reason, status, exitCode, at: Date.now() });
  if (bye) return end(bye.type === 'bye-sent' ? 'local' : 'remote', 'bye');
  if (cancel) return end(cancel.type === 'cancel-sent' ? 'local' : 'remote', 'cancelled');
  if (rejected) return end(role === 'callee' ? 'local' : 'remote', 'rejected');
  // No SIP ending: killed by close(), or SIPp gave up (-timeout, unexpected message: see errors.log).
  return end(null, closedByTest ? 'closed' : 'error');
}
