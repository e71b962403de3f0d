// Helpers for tests that join rooms as plain rtc-node participants.
import { AccessToken } from 'livekit-server-sdk';
import { Room } from '@livekit/rtc-node';
import type { StackInfo } from '../../stack/stack-info.ts';

export async function joinRoom(stack: StackInfo, roomName: string, identity: string): Promise<Room> {
  const token = new AccessToken(stack.apiKey, stack.apiSecret, { identity, ttl: '10m' });
  token.addGrant({ roomJoin: true, room: roomName, canPublish: true, canSubscribe: true, canPublishData: true });
  const room = new Room();
  await room.connect(stack.livekitUrl, await token.toJwt(), { autoSubscribe: true, dynacast: false });
  return room;
}

/** Resolves with the first value `register` produces, or rejects after `ms`. */
export function within<T>(ms: number, what: string, register: (resolve: (value: T) => void) => void | (() => void)): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // Not const: `register` may resolve at once, before its return value is assigned (a const would be in its TDZ).
    // eslint-disable-next-line prefer-const
    let cleanup: void | (() => void);
    const timer = setTimeout(() => {
      if (cleanup) cleanup();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    cleanup = register((value) => {
      clearTimeout(timer);
      if (cleanup) cleanup();
      resolve(value);
    });
  });
}

export async function eventually(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
