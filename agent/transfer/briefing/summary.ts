// What the briefing knows of the call before it speaks: the conversation so far as lines, and the short summary
// a model writes of it while the destination's phone rings.
import { llm } from '@livekit/agents';
import { SUMMARY_INSTRUCTIONS, summaryRequest } from '../../../prompts/briefing.ts';

/**
 * The conversation so far, one line per turn, for the summary and for answering the destination's questions.
 * A turn's own line breaks are flattened, so no words can start a line that looks like another speaker's.
 */
export function transcriptOf(history: llm.ChatContext): string {
  const lines: string[] = [];
  for (const item of history.items) {
    if (item.type !== 'message' || (item.role !== 'user' && item.role !== 'assistant')) continue;
    const text = item.textContent?.replace(/\s+/g, ' ').trim();
    if (text) lines.push(`${item.role === 'user' ? 'Caller' : 'Agent'}: ${text}`);
  }
  return lines.join('\n');
}

/** Asks the model for a two-sentence summary; falls back to the reason when it cannot (or takes too long). */
export async function summarize(model: llm.LLM | undefined, transcript: string, reason: string, timeoutMs: number): Promise<string> {
  if (!model || !transcript) return reason;
  const chatCtx = llm.ChatContext.empty();
  chatCtx.addMessage({ role: 'system', content: SUMMARY_INSTRUCTIONS });
  chatCtx.addMessage({ role: 'user', content: summaryRequest(reason, transcript) });
  const stream = model.chat({ chatCtx });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
  try {
    const collected = await Promise.race([stream.collect(), timeout]);
    return collected?.text.trim() || reason;
  } catch {
    return reason;
  } finally {
    clearTimeout(timer);
    stream.close();
  }
}
