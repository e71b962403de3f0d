// Takeover, the attempt's side: a resumed attempt goes back into the consultation room the dead job left, to
// find the person where they were. Still ringing: wait for the answer (the consultation's watch sees the SIP leg
// turn active); gone before answering: dial again; answered: brief from the start. Past the answer, a person
// who has left ends the transfer. The join begins alongside the hold (or was begun earlier, early-rejoin.ts).
// On Cloud the person may be in the caller's room instead: moved there by the accept (bridged by the server,
// or the job died before it wrote so). Then the consultation room may be gone, closed once only agents were left.
import type { Room } from '@livekit/rtc-node';
import { errorFields } from '../../core/pii.ts';
import { bounded, DISCONNECT_TIMEOUT_MS, ROOM_API_TIMEOUT_MS, settleWithin } from '../../core/bounded.ts';
import type { RoomApi } from '../livekit/room-api.ts';
import type { AttemptContext } from '../transfer/attempt-context.ts';
import type { BriefingScript } from '../transfer/briefing/script.ts';
import { type Consultation, DESTINATION_IDENTITY } from '../transfer/consultation.ts';
import type { TransferLinks } from '../transfer/links.ts';
import type { EarlyRejoin } from './early-rejoin.ts';

/** How long a resumed briefing waits for the early apology to be queued before starting its session anyway. */
const APOLOGY_QUEUED_WAIT_MS = 3000;
/** How long a taken-over bridged call looks for the person in the caller's room before taking them for gone. */
const PERSON_LOOKUP_MS = 1500;

export interface RejoinOptions {
  context: AttemptContext;
  links: TransferLinks;
  api: RoomApi;
  consultation: Consultation;
  /** The caller's room: where a person moved by the accept is. */
  callerRoom: Room;
  /** Bridged by the server in the caller's room: nothing to join, only the person to find there. */
  bridgedInCallerRoom: boolean;
  briefing: BriefingScript;
  /** The consultation room joined (and the person apologised to) as soon as the job knew the record. */
  early?: EarlyRejoin | undefined;
  /** The transfer is attended again: noted once, when the caller hears music or the person is spoken to. */
  onAttended(): void;
}

export class Rejoin {
  /** The way back into the consultation room, begun while the caller is put on hold again. */
  #joining: Promise<Room> | undefined;

  constructor(private readonly options: RejoinOptions) {}

  /** Starts joining: every resume rejoins (phase.ts), and joining alongside the hold brings the person back a join sooner. */
  begin(): void {
    const { early, links, consultation, bridgedInCallerRoom } = this.options;
    if (bridgedInCallerRoom) return;
    // The job may have joined already, while it connected to the caller's room.
    this.#joining = early?.take() ?? links.join(consultation.name);
    this.#joining.catch(() => undefined); // its failure is the rejoin effect's to report
  }

  /** The rejoin effect. A failure reaches the machine as resume_failed (machine.ts). */
  async run(signal: AbortSignal): Promise<void> {
    const { context, consultation, briefing, links } = this.options;
    if (this.options.bridgedInCallerRoom) return this.#findMovedPerson();
    const joining = this.#joining ?? links.join(consultation.name);
    const joined = await this.#joinUnlessDestinationGone(joining);
    if (joined === 'destination_gone') {
      // Owned here from the take: a join that still completes is let go at once.
      void joining.then((late) => settleWithin(late.disconnect(), DISCONNECT_TIMEOUT_MS)).catch(() => undefined);
      this.#destinationLeftUnattended();
      return;
    }
    const room = joined;
    consultation.adopt(room);
    // The phase now, not the one rejoin was declared for: the caller may have hung up meanwhile.
    const phase = context.phase();
    const destination = room.remoteParticipants.get(DESTINATION_IDENTITY);
    if (phase.kind === 'ended') return;
    if (phase.kind === 'dialing') {
      if (!destination) return this.#redial(room, signal);
      briefing.open(room);
      if (destination.attributes['sip.callStatus'] === 'active') consultation.answered();
      return;
    }
    if (!destination) {
      // Moved to the caller by the accept before the job died: the bridge effect finds them there.
      if (phase.kind !== 'connecting' || !this.#movedToCaller()) this.#destinationLeftUnattended();
      return;
    }
    if (phase.kind === 'briefing' || phase.kind === 'notifying') {
      // The apology first: starting the session takes the process's CPU for a second, which would delay it.
      await settleWithin(this.options.early?.queued, APOLOGY_QUEUED_WAIT_MS);
      // Meanwhile the person may have pressed 1 (a bridge needs no briefing) or the caller hung up (the notice does).
      const now = context.phase().kind;
      if (now === 'briefing' || now === 'notifying') briefing.open(room);
    }
    if (phase.kind === 'notifying' || phase.kind === 'bridged') this.options.onAttended();
  }

  /** Taken over while dialling, and the person is no longer on the line: dial them again. */
  async #redial(room: Room, signal: AbortSignal): Promise<void> {
    const { context, consultation, briefing } = this.options;
    context.timeline.record('redialing', { reason: 'the destination was no longer on the line' });
    // The destination came from the record in Redis: it is checked like any other before it is dialled.
    const authorised = await consultation.authorise();
    if (!authorised || signal.aborted) return;
    briefing.open(room);
    try {
      await consultation.dialInto(authorised, signal);
    } catch (error) {
      // As for a first dial: once the phase has moved on (the answer seen by the watch), the dial's own
      // ending is news nobody waits for; before that, it is a failed dial, not a failed takeover.
      if (signal.aborted) return;
      context.timeline.record('error', { effect: 'dial', ...errorFields(error) });
      context.send({ type: 'dial_failed', reason: 'dial_failed' });
    }
  }

  /** A call the server bridged: the person should be in the caller's room (the job's view of it may lag its join). */
  async #findMovedPerson(): Promise<void> {
    const deadline = Date.now() + PERSON_LOOKUP_MS;
    while (!this.#movedToCaller() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (this.#movedToCaller()) this.options.onAttended();
    else this.#destinationLeftUnattended();
  }

  #movedToCaller(): boolean {
    return this.options.callerRoom.remoteParticipants.has(DESTINATION_IDENTITY);
  }

  #destinationLeftUnattended(): void {
    this.options.onAttended();
    this.options.context.timeline.record('participant_left', { side: 'destination', whileUnattended: true });
    this.options.context.send({ type: 'destination_left' });
  }

  /**
   * Past the answer, a destination who hung up while nobody attended leaves the consultation room empty, and
   * joining an emptied room can outlast its bound on a loaded machine. The server is asked who is there
   * alongside the join: a definite "not there" settles it at once; any other answer waits for the join.
   */
  async #joinUnlessDestinationGone(joining: Promise<Room>): Promise<Room | 'destination_gone'> {
    const { api, consultation, context } = this.options;
    const ask = api.participantIdentities;
    // Not in the consultation room may mean moved to the caller (Cloud): then only the join settles it.
    if (context.phase().kind === 'dialing' || !ask || this.#movedToCaller()) return joining;
    const gone = bounded(ask.call(api, consultation.name), ROOM_API_TIMEOUT_MS, 'listing the consultation room')
      .then((who) => who === 'no_room' || !who.includes(DESTINATION_IDENTITY))
      .catch(() => false);
    const settled = (async (): Promise<Room | 'destination_gone'> => ((await gone) ? 'destination_gone' : joining))();
    return Promise.race([joining, settled]);
  }
}
