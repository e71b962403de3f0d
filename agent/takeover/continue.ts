// A conversation still running when a stopping worker reaches its bound (drain.ts): the caller is talking with
// the agent and no transfer is open. Rather than leave them on a line nobody answers once the job is closed, a
// new job is dispatched into the call's room (the server sends it to a worker that is not stopping), marked as
// continuing a call: it does not greet, and answers the caller's next words. What was said before is not
// carried over (it lived in the closed job's memory). A call with a transfer open is left to the takeover
// watchers, which carry the transfer on from its record.

/** The dispatch metadata's mark of a job that continues a call another worker's job had. */
export const CONTINUED = 'continued';

/** Whether a job's metadata says it continues a call (then it does not greet). */
export function continuedFromMetadata(metadata: string | undefined): boolean {
  const parsed = parseObject(metadata);
  return parsed?.[CONTINUED] === true;
}

/** The metadata of the job that continues a call begun with `metadata`: the same agent, marked continued. */
export function continuingMetadata(metadata: string | undefined): string {
  const text = metadata?.trim() ?? '';
  const parsed = parseObject(text);
  // JSON naming the agent, or a plain agent id (which the new job checks as the first one did).
  const base = parsed ?? (text && !/^[[{"]/.test(text) ? { agentId: text } : {});
  const { resume: _, ...rest } = base;
  return JSON.stringify({ ...rest, [CONTINUED]: true });
}

function parseObject(metadata: string | undefined): Record<string, unknown> | undefined {
  const text = metadata?.trim();
  if (!text?.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface RunningCall {
  room: string | undefined;
  metadata: string | undefined;
}

export interface ContinueParts {
  /** The transfer open in a caller's room, if any (TransferRecordStore.openFor). */
  openFor(room: string): Promise<string | undefined>;
  /** Dispatches a job into `room` with `metadata` (AgentDispatchService). */
  dispatch(room: string, metadata: string): Promise<void>;
  log(entry: Record<string, unknown>): void;
}

/** Dispatches a continuing job into each room of `calls` with no transfer open; returns how many were sent. */
export async function continueConversations(calls: readonly RunningCall[], parts: ContinueParts): Promise<number> {
  const sent = await Promise.all(
    calls.map(async ({ room, metadata }) => {
      if (!room) return false;
      try {
        if ((await parts.openFor(room)) !== undefined) return false;
        await parts.dispatch(room, continuingMetadata(metadata));
        return true;
      } catch (error) {
        parts.log({ event: 'continue_failed', message: String(error) });
        return false;
      }
    }),
  );
  return sent.filter(Boolean).length;
}
