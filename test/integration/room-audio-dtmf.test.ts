// Two rtc-node participants in one room on the real server: audio flows both ways, and DTMF published by
// one arrives at the other with the right digit and the sender's identity.
import { randomUUID } from 'node:crypto';
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  type RemoteAudioTrack,
  type RemoteParticipant,
  type RemoteTrack,
  type Room,
  RoomEvent,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { joinRoom, within } from '../support/rooms.ts';

const stack = inject('stack');
const rooms: Room[] = [];

afterEach(async () => {
  await Promise.all(rooms.splice(0).map((room) => room.disconnect()));
});

async function publishTone(room: Room, freqHz: number): Promise<() => void> {
  const source = new AudioSource(48000, 1);
  const track = LocalAudioTrack.createAudioTrack('tone', source);
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_MICROPHONE;
  await room.localParticipant!.publishTrack(track, options);
  let running = true;
  let t = 0;
  void (async () => {
    while (running) {
      const data = new Int16Array(480);
      for (let i = 0; i < data.length; i++, t++) data[i] = Math.round(8000 * Math.sin((2 * Math.PI * freqHz * t) / 48000));
      await source.captureFrame(new AudioFrame(data, 48000, 1, 480)).catch(() => (running = false));
    }
  })();
  return () => {
    running = false;
  };
}

async function loudestLevel(track: RemoteAudioTrack, frames: number): Promise<number> {
  const reader = new AudioStream(track, { sampleRate: 48000, numChannels: 1 }).getReader();
  let best = 0;
  try {
    for (let i = 0; i < frames; i++) {
      const { value, done } = await reader.read();
      if (done) break;
      let sum = 0;
      for (const sample of value.data) sum += sample * sample;
      best = Math.max(best, Math.sqrt(sum / value.data.length));
    }
  } finally {
    await reader.cancel();
  }
  return best;
}

function firstAudioTrack(room: Room): Promise<RemoteAudioTrack> {
  return within(15_000, 'a subscribed audio track', (resolve) => {
    const onTrack = (track: RemoteTrack) => resolve(track as RemoteAudioTrack);
    room.on(RoomEvent.TrackSubscribed, onTrack);
    return () => room.off(RoomEvent.TrackSubscribed, onTrack);
  });
}

describe('participants in a room on the local server', () => {
  it('hear each other and receive DTMF with the sender identity', async () => {
    const name = `test-${randomUUID()}`;
    const alice = await joinRoom(stack, name, 'alice');
    rooms.push(alice);
    const aliceHears = firstAudioTrack(alice);
    const bob = await joinRoom(stack, name, 'bob');
    rooms.push(bob);
    const bobHears = firstAudioTrack(bob);
    const stopAlice = await publishTone(alice, 440);
    const stopBob = await publishTone(bob, 880);
    try {
      expect(await loudestLevel(await bobHears, 100)).toBeGreaterThan(1000);
      expect(await loudestLevel(await aliceHears, 100)).toBeGreaterThan(1000);

      const received = within<{ digit: string; code: number; from: string }>(10_000, 'DTMF at bob', (resolve) => {
        const onDtmf = (code: number, digit: string, participant: RemoteParticipant) => resolve({ code, digit, from: participant.identity });
        bob.on(RoomEvent.DtmfReceived, onDtmf);
        return () => bob.off(RoomEvent.DtmfReceived, onDtmf);
      });
      await alice.localParticipant!.publishDtmf(7, '7');
      expect(await received).toEqual({ code: 7, digit: '7', from: 'alice' });
    } finally {
      stopAlice();
      stopBob();
    }
  });
});
