// Hold music without audio: each play names the room it plays in, and the stop is reported too.
import type { Room } from '@livekit/rtc-node';
import type { MusicSource } from '../../../agent/transfer/hold/topology.ts';

export interface FakeMusicOptions {
  onPlay?: (room: Room) => void;
  onStop?: () => void;
  /** Playing fails with this (music that will not publish). */
  fails?: Error;
}

export function fakeMusic(options: FakeMusicOptions = {}): MusicSource {
  return {
    async play(room) {
      if (options.fails) throw options.fails;
      options.onPlay?.(room);
      return { stop: async () => options.onStop?.() };
    },
  };
}
