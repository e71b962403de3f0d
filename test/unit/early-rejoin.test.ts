// A taken-over job goes back to the person left mid-briefing before anything else: it joins the consultation
// room, apologises if (and only if) the person is still there, and hands the joined room to the resumed
// transfer; a room nobody took is left again. (At the phones: transfer-takeover.test.ts.)
import type { tts } from '@livekit/agents';
import type { AudioFrame, Room } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { APOLOGY } from '../../prompts/briefing.ts';
import { rejoinEarly } from '../../agent/takeover/early-rejoin.ts';
import { fakeRoom } from '../support/fakes/index.ts';

const PERSON = 'transfer-destination';

/** The consultation room with `present` in it, and how often the worker left it. */
function consultation(present: string[]): { room: Room; disconnects(): number } {
  let disconnects = 0;
  const room = fakeRoom('wt-consult', { participants: present, onEffect: (effect) => void (effect.kind === 'disconnect' && disconnects++) });
  return { room, disconnects: () => disconnects };
}

/** A TTS that yields `frames` frames for whatever it is asked, and remembers what that was. */
function fakeTts(frames: number, fail = false) {
  const said: string[] = [];
  const model = {
    synthesize(text: string) {
      said.push(text);
      return {
        async *[Symbol.asyncIterator]() {
          if (fail) throw new Error('no voice');
          for (let i = 0; i < frames; i++) yield { frame: { index: i } as unknown as AudioFrame };
        },
        close() {},
      };
    },
  };
  return { said, model: model as unknown as tts.TTS };
}

describe('rejoining early after a takeover', () => {
  it('apologises to the person still on the line, then hands the same room to the transfer', async () => {
    const { room, disconnects } = consultation([PERSON]);
    const voice = fakeTts(3);
    const played: { room: Room; frames: number }[] = [];
    const early = rejoinEarly({
      join: async () => room,
      personIdentity: PERSON,
      tts: voice.model,
      play: async (into, frames) => void played.push({ room: into, frames: frames.length }),
    });
    expect(await early.apologised).toBe(true);
    expect(voice.said).toEqual([APOLOGY]);
    expect(played).toEqual([{ room, frames: 3 }]);
    expect(await early.take()).toBe(room);
    await early.release();
    expect(disconnects()).toBe(0); // the transfer owns it now
  });

  it('says nothing to an empty line, and leaves a room nobody took', async () => {
    const { room, disconnects } = consultation([]);
    const played: number[] = [];
    const early = rejoinEarly({
      join: async () => room,
      personIdentity: PERSON,
      tts: fakeTts(3).model,
      play: async (_into, frames) => void played.push(frames.length),
    });
    expect(await early.apologised).toBe(false);
    expect(played).toEqual([]);
    await early.release();
    await early.release();
    expect(disconnects()).toBe(1);
  });

  it('leaves the question whole when the apology cannot be said, and still hands over the room', async () => {
    for (const failing of [
      { tts: fakeTts(0, true).model, play: async () => undefined },
      { tts: fakeTts(3).model, play: async () => Promise.reject(new Error('publishing takeover-apology did not finish')) },
    ]) {
      const { room } = consultation([PERSON]);
      const early = rejoinEarly({ join: async () => room, personIdentity: PERSON, ...failing });
      expect(await early.apologised).toBe(false);
      expect(await early.take()).toBe(room);
    }
  });

  it('reports a failed join to whoever takes the room, and apologises to nobody', async () => {
    const early = rejoinEarly({ join: async () => Promise.reject(new Error('joining wt-1 did not finish')), personIdentity: PERSON, tts: fakeTts(3).model });
    expect(await early.apologised).toBe(false);
    await expect(early.take()).rejects.toThrow('joining wt-1');
    await early.release(); // taken: nothing of its own to leave
  });
});
