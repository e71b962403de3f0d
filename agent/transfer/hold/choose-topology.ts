// Which topology a hold uses: forced by configuration (TRANSFER_TOPOLOGY), or `auto`, which tries a move at the
// first accept on a server: an open-source server answers "not implemented", the call is relayed instead, and
// from then on that server gets the bridge. The hold itself is the same either way (the caller's own room).
// What a server taught is kept in the worker's Redis (agent/redis.ts), where every job process and every worker
// sharing it reads it; Redis away or slow only costs one more try.
import type { Redis } from 'ioredis';
import { bounded } from '../../../core/bounded.ts';
import { BridgeTopology } from './bridge-topology.ts';
import { MoveTopology } from './move-topology.ts';
import type { Topology, TopologyDeps, TopologyKind } from './topology.ts';

/** Reading what a server taught; the caller waits for it before the hold starts, so it is short. */
export const TOPOLOGY_READ_TIMEOUT_MS = 500;
/** Writing what a server taught (nobody waits for it). */
export const TOPOLOGY_WRITE_TIMEOUT_MS = 2000;
/** A server may be upgraded (or replaced behind its URL): what it taught is tried again after this long. */
export const TOPOLOGY_MEMORY_TTL_MS = 7 * 24 * 3600_000;

/** What each server taught about moving participants. */
export interface TopologyMemory {
  recall(serverUrl: string): Promise<TopologyKind | undefined>;
  learn(serverUrl: string, kind: TopologyKind): Promise<void>;
}

/** Remembers nothing: every `auto` hold tries a move first. */
export const NO_TOPOLOGY_MEMORY: TopologyMemory = { recall: async () => undefined, learn: async () => undefined };

/** The memory in the worker's Redis, one key per server URL under `prefix`; never throws. */
export function redisTopologyMemory(redis: Redis, prefix = 'wt:'): TopologyMemory {
  const key = (serverUrl: string) => `${prefix}topology:${serverUrl}`;
  return {
    async recall(serverUrl) {
      const kind = await bounded(redis.get(key(serverUrl)), TOPOLOGY_READ_TIMEOUT_MS, 'reading the learned topology').catch(() => null);
      return kind === 'move' || kind === 'bridge' ? kind : undefined;
    },
    async learn(serverUrl, kind) {
      const write = redis.set(key(serverUrl), kind, 'PX', TOPOLOGY_MEMORY_TTL_MS);
      await bounded(write, TOPOLOGY_WRITE_TIMEOUT_MS, 'writing the learned topology').catch(() => undefined);
    },
  };
}

/** Puts the caller on hold with the topology forced by configuration, learned for this server, or to be tried. */
export async function holdWithTopology(
  mode: 'auto' | TopologyKind,
  serverUrl: string,
  deps: TopologyDeps,
  memory: TopologyMemory = NO_TOPOLOGY_MEMORY,
): Promise<Topology> {
  const learned = mode === 'auto' ? await memory.recall(serverUrl) : undefined;
  const kind = mode === 'auto' ? (learned ?? 'move') : mode;
  const topology =
    kind === 'bridge'
      ? new BridgeTopology(deps)
      : new MoveTopology(deps, {
          // Not known to move: the relay is made ready at the answer too, so falling back to it costs nothing.
          mayRelay: mode === 'auto' && learned === undefined,
          learn: (taught) => void (taught !== learned && memory.learn(serverUrl, taught)),
        });
  await topology.hold();
  return topology;
}
