// A call whose agent's settings cannot be read (the settings store away or too slow) is not left in silence:
// the caller hears a short apology in the worker's own voice, and then the call ends. Every wait is bounded.
import { type JobContext, log, voice } from '@livekit/agents';
import { settingsUnavailableApology } from '../../prompts/unavailable.ts';
import type { Models } from './models.ts';
import type { Phrases } from './speech/phrases.ts';
import { SESSION_INPUT_RATE } from './models.ts';
import { bounded, ROOM_API_TIMEOUT_MS, SESSION_CLOSE_TIMEOUT_MS, SESSION_START_TIMEOUT_MS, settleWithin } from '../../core/bounded.ts';
import type { RoomApi } from '../livekit/room-api.ts';

/** Waiting for the caller to be in the room (they normally are already). */
export const CALLER_WAIT_MS = 15_000;
/** The apology is about six seconds long. */
export const APOLOGY_PLAYOUT_MS = 15_000;

export async function apologiseAndEnd(ctx: JobContext, models: Pick<Models, 'vad' | 'tts'>, phrases: Phrases | undefined, api: RoomApi): Promise<void> {
  const apology = settingsUnavailableApology();
  try {
    await ctx.connect();
    const caller = await bounded(ctx.waitForParticipant(), CALLER_WAIT_MS, 'waiting for the caller');
    const session = new voice.AgentSession({ vad: models.vad, tts: models.tts });
    await bounded(
      session.start({
        agent: new voice.Agent({ instructions: '' }),
        room: ctx.room,
        inputOptions: { participantIdentity: caller.identity, audioSampleRate: SESSION_INPUT_RATE },
      }),
      SESSION_START_TIMEOUT_MS,
      'starting the apology',
    );
    const said = session.say(apology, { allowInterruptions: false, ...phrases?.audioFor(apology) });
    await bounded(said.waitForPlayout(), APOLOGY_PLAYOUT_MS, 'saying the apology');
    await settleWithin(session.close(), SESSION_CLOSE_TIMEOUT_MS);
  } catch (error) {
    log().error({ error: String(error) }, 'the apology for a call without settings could not be said');
  } finally {
    // Hanging up is better than an open line nobody answers.
    await settleWithin(api.deleteRoom(ctx.room.name!), ROOM_API_TIMEOUT_MS);
    ctx.shutdown('no settings for this call');
  }
}
