// A SIPp phone dials the inbound trunk; the named agent answers in that call's own room and greets the
// caller with real (espeak-ng) speech that reaches the phone.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AGENT_KIND, AGENT_NUMBER, callerNumber, findCallRoom } from '../support/calls.ts';
import { rms, startCaller, type Phone } from '../../phones/index.ts';
import { startWorker, type RunningWorker } from '../../stack/worker-process.ts';

const stack = inject('stack');
let worker: RunningWorker;
let phone: Phone | undefined;

beforeAll(async () => {
  worker = await startWorker(stack, 'greeting', { AGENT_GREETING: 'Hello, thanks for calling the test line. How can I help?' });
});

afterAll(async () => {
  await phone?.close();
  await worker?.stop();
});

describe('an inbound call', () => {
  it('is answered by the named agent in its own room, and the caller hears the greeting', async () => {
    const from = callerNumber();
    phone = await startCaller({ to: AGENT_NUMBER, from, audio: { silence: true }, name: 'greeting-caller' });
    await phone.waitAnswered(20_000);

    const { room, participants } = await findCallRoom(stack, from);
    expect(room.startsWith('call')).toBe(true);
    const agent = await (async () => {
      for (let i = 0; i < 100; i++) {
        const { participants: now } = await findCallRoom(stack, from);
        const found = now.find((p) => p.kind === AGENT_KIND);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 200));
      }
      return undefined;
    })();
    expect(agent, `agent in ${room} (participants: ${participants.map((p) => p.identity).join(', ')})`).toBeDefined();
    expect(worker.log()).toContain('"agentName":"warm-transfer-agent"');

    const answeredAt = await phone.answered;
    const heardAt = await phone.waitForAudio({ minRms: 500, withinMs: 20_000, after: answeredAt });
    expect(heardAt).toBeGreaterThanOrEqual(answeredAt);
    // Speech, not a click: at least a second of loud audio within the first eight seconds after the answer.
    await new Promise((r) => setTimeout(r, Math.max(0, answeredAt + 8_000 - Date.now())));
    const loud = phone.received.chunks.filter((c) => c.at < answeredAt + 8_000 && rms(c.samples) > 500);
    expect(loud.length * 20).toBeGreaterThan(1000);
  });
});
