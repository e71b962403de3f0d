// The bridge publishes its two relay tracks (silent) when the destination answers, so an acceptance only
// has to start them. What it publishes must come down again whenever that destination is not connected.
import type { Room } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { BridgeTopology } from '../../agent/transfer/hold/bridge-topology.ts';
import { fakeMusic, fakeRoom, fakeRoomApi } from '../support/fakes/index.ts';

/** A room whose local participant records what is published and unpublished in it. */
function recordingRoom(name: string, log: string[]): Room {
  return fakeRoom(name, {
    onEffect: (effect) => {
      if (effect.kind === 'publish') log.push(`publish ${name} ${effect.track}`);
      if (effect.kind === 'unpublish') log.push(`unpublish ${effect.sid}`);
    },
  });
}

const api = fakeRoomApi();

function bridge() {
  const log: string[] = [];
  const callerRoom = recordingRoom('call', log);
  const topology = new BridgeTopology({
    caller: { room: callerRoom, identity: 'sip_caller', muteAgent: () => undefined },
    music: fakeMusic({ onStop: () => void log.push('music stopped') }),
    api,
  });
  return { log, topology };
}

/** Waits (up to 2 s) until `log` holds `count` lines starting with `prefix`: publishing runs in the background. */
async function until(log: string[], prefix: string, count: number): Promise<void> {
  for (let waited = 0; log.filter((l) => l.startsWith(prefix)).length < count && waited < 2000; waited += 10) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the bridge prepares at the answer', () => {
  it('publishes one silent track each way, once per consultation', async () => {
    const { log, topology } = bridge();
    await topology.hold();
    const consultation = recordingRoom('wt-1', log);
    topology.prepare(consultation);
    topology.prepare(consultation);
    await until(log, 'publish', 2);
    await new Promise((r) => setTimeout(r, 50)); // room for a second, wrong, publication to show up
    expect(log.filter((l) => l.startsWith('publish')).sort()).toEqual(['publish call transfer-destination', 'publish wt-1 transfer-caller']);
    await topology.close();
  });

  it('takes both tracks down when the caller comes back off hold', async () => {
    const { log, topology } = bridge();
    await topology.hold();
    topology.prepare(recordingRoom('wt-1', log));
    await until(log, 'publish', 2);
    await topology.unhold();
    // The caller's agent is back once the music is silent; the tracks come down right after, in the background.
    await until(log, 'unpublish', 2);
    expect(log.filter((l) => l.startsWith('unpublish')).sort()).toEqual(['unpublish TR_call_1', 'unpublish TR_wt-1_1']);
  });

  it('replaces the tracks of a destination that was not connected when the next one answers', async () => {
    const { log, topology } = bridge();
    await topology.hold();
    topology.prepare(recordingRoom('wt-1', log));
    await until(log, 'publish', 2);
    topology.prepare(recordingRoom('wt-2', log));
    await until(log, 'publish', 4);
    await until(log, 'unpublish', 2);
    expect(log.filter((l) => l.startsWith('unpublish')).sort()).toEqual(['unpublish TR_call_1', 'unpublish TR_wt-1_1']);
    expect(
      log
        .filter((l) => l.startsWith('publish'))
        .slice(-2)
        .sort(),
    ).toEqual(['publish call transfer-destination', 'publish wt-2 transfer-caller']);
    await topology.close();
    expect(log.filter((l) => l.startsWith('unpublish'))).toHaveLength(4);
  });
});
