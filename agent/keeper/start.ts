// The keeper as the worker's main process runs it (keeper.ts): the forwarder this checkout built (or none, and
// then only calls the server carries are kept), tokens made here (the forwarder holds no API secret), and the
// timeline of kept calls on stdout and, with the settings store, in the agent's stream.
import { AccessToken } from 'livekit-server-sdk';
import { bounded } from '../../core/bounded.ts';
import { errorFields } from '../../core/pii.ts';
import { SettingsStore } from '../../settings/store/store.ts';
import { KEEPER_ENV, type WorkerConfig } from '../config.ts';
import { forwarderBinary } from '../livekit/forwarder-bin.ts';
import { roomServiceApi } from '../livekit/room-api.ts';
import type { WorkerMetrics } from '../metrics/registry.ts';
import type { TopologyKind } from '../transfer/hold/topology.ts';
import type { TransferRecordStore } from '../transfer/record/store.ts';
import { BridgeKeeper } from './keeper.ts';
import { processAlive } from '../takeover/watcher.ts';
import { ForwarderLink } from './forwarder-link.ts';

/** Writing one timeline entry of a kept call to the settings store. */
const TIMELINE_WRITE_TIMEOUT_MS = 2000;

/**
 * The keeper for this worker, and which bridged calls its jobs may hand it (also put in the environment its job
 * processes inherit, KEEPER_ENV). None with BRIDGE_CARRIER=relay: jobs keep their bridged calls to the end.
 */
export function startKeeper(config: WorkerConfig, records: TransferRecordStore, workerKey: string, metrics?: WorkerMetrics): BridgeKeeper | undefined {
  if (config.transfer.bridgeCarrier === 'relay') {
    delete process.env[KEEPER_ENV];
    return undefined;
  }
  let binary: string | undefined;
  try {
    binary = forwarderBinary();
  } catch (error) {
    console.error(`${(error as Error).message}: bridged calls between two rooms stay with their jobs (relayed); calls the server carries are kept`);
  }
  const carries: TopologyKind[] = binary ? ['bridge', 'move'] : ['move'];
  process.env[KEEPER_ENV] = carries.join(',');
  const { livekit } = config;
  const store = config.settingsStore ? SettingsStore.connect(config.settingsStore.url, config.settingsStore.prefix) : undefined;
  const observe = metrics?.timelineObserver();
  const keeper = new BridgeKeeper({
    store: records,
    workerKey,
    api: roomServiceApi(livekit) as Required<ReturnType<typeof roomServiceApi>>,
    url: livekit.url,
    token: async (room, identity) => {
      const token = new AccessToken(livekit.apiKey, livekit.apiSecret, { identity, name: 'Warm transfer', ttl: '24h' });
      token.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true });
      return token.toJwt();
    },
    ...(binary ? { startForwarder: () => ForwarderLink.start(binary) } : {}),
    maxBridgedMs: config.transfer.maxBridgedMs,
    jobAlive: processAlive,
    onTimeline: (record, entry) => {
      observe?.(record.agentId, entry);
      if (!store || !record.agentId) return;
      void bounded(
        store.appendEvent(record.agentId, 'transfer.timeline', { ...entry }, record.organizationId),
        TIMELINE_WRITE_TIMEOUT_MS,
        'storing an event',
      ).catch((error: unknown) => console.error(JSON.stringify({ event: 'timeline_not_stored', transferId: entry.transferId, ...errorFields(error) })));
    },
  });
  keeper.warm();
  return keeper;
}
