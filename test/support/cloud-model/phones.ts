// The phones: a caller already in their call's room, and the people a job dials, each answering as the test
// scripted (by default picking up after 20 ms). The SIP status of a dialled leg is the 'sip.callStatus' attribute.
import type { DialRequest, DialResult } from '../../../agent/transfer/dial/dial.ts';
import { processDead } from './errors.ts';
import { dtmfCode, type CloudRoom, type CloudRooms, type Member } from './rooms.ts';

export type PhoneAnswer = 'answer' | 'busy' | 'no_answer' | 'decline';

/** What a dial answers for a phone that does not pick up, with the SIP status the SIP service reports. */
const NOT_ANSWERED = {
  busy: { ok: false, reason: 'busy', sipStatus: 486, message: '486 Busy Here' },
  no_answer: { ok: false, reason: 'no_answer', sipStatus: 480, message: '480 Temporarily Unavailable' },
  decline: { ok: false, reason: 'declined', sipStatus: 603, message: '603 Decline' },
} as const satisfies Record<Exclude<PhoneAnswer, 'answer'>, DialResult>;

const STATUS = 'sip.callStatus';

export class Phones {
  readonly #scripts = new Map<string, { answer: PhoneAnswer; delayMs: number }>();

  constructor(private readonly rooms: CloudRooms) {}

  script(identity: string, answer: PhoneAnswer, delayMs: number): void {
    this.#scripts.set(identity, { answer, delayMs });
  }

  callIn(roomName: string, identity: string): void {
    const room = this.rooms.get(roomName) ?? this.rooms.open(roomName, 'by the SIP service, for an inbound call');
    const member = this.rooms.newMember(identity, 'sip', { [STATUS]: 'active' });
    this.rooms.enter(room, member);
    this.rooms.log.push(`call ${identity} -> ${roomName} (sid ${member.sid})`);
  }

  /** CreateSIPParticipant waiting for the answer, as dial.ts makes it; an abort hangs the ringing leg up. */
  dial(job: string, request: DialRequest, signal: AbortSignal): Promise<DialResult> {
    const { rooms } = this;
    if (rooms.dead.has(job)) return Promise.reject(processDead(job));
    if (signal.aborted) return Promise.reject(signal.reason);
    const room = rooms.get(request.room);
    if (!room) {
      rooms.log.push(`dial ${request.identity} -> ${request.room} (${job}): no such room`);
      return Promise.resolve({ ok: false, reason: 'dial_failed', message: `room not found: ${request.room}` });
    }
    const { answer, delayMs } = this.#scripts.get(request.identity) ?? { answer: 'answer', delayMs: 20 };
    return new Promise<DialResult>((resolve, reject) => {
      let settled = false;
      // A dead process hears no answer: its dial never settles.
      const settle = (answerCaller: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (!rooms.dead.has(job)) answerCaller();
      };
      const member = rooms.newMember(request.identity, 'sip', { [STATUS]: 'dialing' });
      // Assumed: a leg removed (or its room closed) while ringing fails the dial; Cloud's exact error is not modelled.
      member.onGone = (why) => settle(() => resolve({ ok: false, reason: 'dial_failed', message: `call ended before it was answered (${why})` }));
      const onAbort = () => {
        settle(() => reject(signal.reason));
        const at = rooms.roomOf(member);
        if (at) rooms.leave(at, member, 'dial cancelled');
      };
      signal.addEventListener('abort', onAbort, { once: true });
      rooms.enter(room, member);
      rooms.log.push(`dial ${request.identity} -> ${room.name} (${job}, sid ${member.sid})`);
      rooms.setAttributes(room, member, { [STATUS]: 'ringing' });
      rooms.timer(delayMs, () => {
        const at = rooms.roomOf(member);
        if (at && !settled) this.#pickUp(at, member, answer, (result) => settle(() => resolve(result)));
      });
    });
  }

  press(identity: string, digit: string): void {
    const { room, member } = this.#onCall(identity);
    this.rooms.log.push(`press ${digit} by ${identity} in ${room.name}`);
    this.rooms.dtmf(room, member, dtmfCode(digit), digit);
  }

  hangUp(identity: string): void {
    const { room, member } = this.#onCall(identity);
    this.rooms.leave(room, member, 'hung up');
  }

  #pickUp(room: CloudRoom, member: Member, answer: PhoneAnswer, settle: (result: DialResult) => void): void {
    member.onGone = undefined;
    if (answer === 'answer') {
      this.rooms.setAttributes(room, member, { [STATUS]: 'active' });
      this.rooms.log.push(`answer ${member.identity} in ${room.name}`);
      settle({ ok: true });
    } else {
      this.rooms.leave(room, member, NOT_ANSWERED[answer].message);
      settle(NOT_ANSWERED[answer]);
    }
  }

  #onCall(identity: string): { room: CloudRoom; member: Member } {
    const found = this.rooms.find(identity);
    if (found?.member.kind !== 'sip') throw new Error(`${identity} is on no call`);
    return found;
  }
}
