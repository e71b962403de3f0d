// A job of the worker on the Cloud model: the product's transfer tools (callTransfers, through fakeCall), with
// the model's RoomService, rooms, dialler and a briefing agent that only keeps what it was told to say (its
// keys come from the model's phones, as they come from a real room). What the caller hears from the job is kept
// too: the room its hold music plays in, if any.
import type { Room } from '@livekit/rtc-node';
import type { BriefingSession } from '../../../agent/transfer/briefing/session.ts';
import type { TransferRecordStore } from '../../../agent/transfer/record/store.ts';
import type { CallTransfersOptions } from '../../../agent/transfer/call-context.ts';
import type { AgentSettings } from '../../../settings/settings.ts';
import { fakeCall, type FakeCall } from '../fakes/call.ts';
import type { CloudModel } from './model.ts';

export interface CloudJob extends FakeCall {
  name: string;
  /** The job's view of the call's room (its own, as the framework's ctx.room). */
  room: Room;
  /** The room the job's hold music plays in now, if it plays. */
  musicIn(): string | undefined;
  /** What the briefing agent said to the person, in order. */
  briefed: string[];
  /** Whether another owner claimed this job's record (it must stop acting). */
  fenced(): boolean;
}

export interface CloudJobOptions {
  settings: AgentSettings;
  records: TransferRecordStore;
  callRoom: string;
  callerIdentity: string;
  topology?: 'auto' | 'move' | 'bridge';
  /** The worker's keeper as the job sees it (job.ts): bridged calls it carries are handed to it. */
  keeper?: CallTransfersOptions['keeper'];
}

export async function cloudJob(model: CloudModel, name: string, options: CloudJobOptions): Promise<CloudJob> {
  const room = await model.join(name, options.callRoom);
  let music: string | undefined;
  let fenced = false;
  const briefed: string[] = [];
  const briefing: BriefingSession = {
    hears: false,
    say: async (text) => {
      briefed.push(text);
      return 'played';
    },
    heard: async () => 'nothing',
    quiet: async () => undefined,
    interrupt: () => undefined,
    close: async () => undefined,
  };
  const call = fakeCall({
    settings: options.settings,
    records: options.records,
    room,
    callerIdentity: options.callerIdentity,
    api: model.api(name),
    links: { join: (roomName) => model.join(name, roomName), dial: model.dialer(name), startBriefing: async () => briefing },
    music: {
      async play(where) {
        music = where.name;
        return {
          stop: async () => void (music = undefined),
          silence: async () => void (music = undefined),
        };
      },
    },
    topology: options.topology ?? 'move',
    owner: `${name}/1`,
    onFenced: () => void (fenced = true),
    ...(options.keeper ? { keeper: options.keeper } : {}),
  });
  return { ...call, name, room, briefed, musicIn: () => music, fenced: () => fenced };
}
