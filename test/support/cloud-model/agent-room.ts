// The rtc-node Room a job's join gets: an event emitter the model sends the room's events to, the others in the
// room as remote participants, and a local participant whose doings (publishing, key presses, leaving) the
// model applies. It is cast to Room where it is handed out, as the fakes in ../fakes/room.ts are.
import { EventEmitter } from 'node:events';
import type { RemoteParticipant } from '@livekit/rtc-node';

/** What the model does for a Room's local participant. */
export interface AgentHooks {
  publish(trackName: string): string;
  unpublish(sid: string): void;
  dtmf(code: number, digit: string): void;
  leave(): void;
}

export class AgentRoom extends EventEmitter {
  readonly remoteParticipants = new Map<string, RemoteParticipant>();
  readonly localParticipant;
  /** False once this participant has left, been removed, or its room closed. */
  connected = true;
  readonly #hooks: AgentHooks;

  constructor(
    readonly name: string,
    readonly job: string,
    identity: string,
    sid: string,
    hooks: AgentHooks,
  ) {
    super();
    this.#hooks = hooks;
    this.localParticipant = {
      identity,
      sid,
      // Async like the real calls, so a refusal (a dead process, a room left) is a rejected promise.
      publishTrack: async (track: { name: string }) => ({ sid: hooks.publish(track.name), track }),
      unpublishTrack: async (sid: string) => hooks.unpublish(sid),
      publishDtmf: async (code: number, digit: string) => hooks.dtmf(code, digit),
    };
  }

  async disconnect(): Promise<void> {
    this.#hooks.leave();
  }

  get isConnected(): boolean {
    return this.connected;
  }
}
