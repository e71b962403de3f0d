// The caller's agent session without a model: what it was told to say, whether the agent hears the caller
// (input audio on or off), and how often it was closed.
import type { voice } from '@livekit/agents';

export interface FakeSession {
  session: voice.AgentSession;
  said: string[];
  /** Each switch of the agent's hearing, in order (false: the caller is on hold). */
  agentHears: boolean[];
  closed(): number;
}

export function fakeSession(): FakeSession {
  const said: string[] = [];
  const agentHears: boolean[] = [];
  let closed = 0;
  const session = {
    history: { items: [] },
    input: { setAudioEnabled: (on: boolean) => void agentHears.push(on) },
    output: { setAudioEnabled: () => undefined },
    say: (text: string) => {
      said.push(text);
      return { waitForPlayout: async () => undefined };
    },
    close: async () => void closed++,
  } as unknown as voice.AgentSession;
  return { session, said, agentHears, closed: () => closed };
}
