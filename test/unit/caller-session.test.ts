// The caller's session as a taken-over job uses it: not started until the caller is to hear the agent, then
// started once, whoever asks; what was asked of it meanwhile happens after the start, in the order asked, and
// a mute asked for before the start is applied once it runs. A session never started is never closed.
import { initializeLogger, type voice } from '@livekit/agents';
import { beforeAll, describe, expect, it } from 'vitest';
import { CallerSession } from '../../agent/conversation/caller-session.ts';

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));

function fake() {
  const events: string[] = [];
  const session = {
    history: { items: [] },
    input: { setAudioEnabled: (on: boolean) => void events.push(`hears ${on}`) },
    output: { setAudioEnabled: () => undefined },
    say: (text: string) => void events.push(`say ${text}`),
    close: async () => void events.push('close'),
  } as unknown as voice.AgentSession;
  let starts = 0;
  const start = async () => {
    starts++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    events.push('started');
  };
  return { session, events, start, starts: () => starts };
}

describe('the caller session', () => {
  it('started by the job: speaks and mutes at once', () => {
    const f = fake();
    const caller = new CallerSession(() => f.session);
    expect(caller.started).toBe(true);
    caller.say('hello');
    caller.mute(true);
    caller.close();
    expect(f.events).toEqual(['say hello', 'hears false', 'close']);
  });

  it('not started (a takeover): starts once when used, then does what was asked in order, the last mute included', async () => {
    const f = fake();
    const caller = new CallerSession(() => f.session, f.start);
    caller.mute(true);
    caller.mute(false);
    expect(f.events).toEqual([]);
    caller.say('first');
    caller.say('second');
    await Promise.all([caller.start(), caller.start()]);
    expect(f.starts()).toBe(1);
    expect(caller.started).toBe(true);
    expect(f.events).toEqual(['started', 'hears true', 'say first', 'say second']);
  });

  it('never started: closing it starts nothing', async () => {
    const f = fake();
    const caller = new CallerSession(() => f.session, f.start);
    caller.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(f.starts()).toBe(0);
    expect(f.events).toEqual([]);
  });
});
