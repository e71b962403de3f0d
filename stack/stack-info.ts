// What a running stack looks like to its clients (the demo, the benchmark, the tests): where the server
// is, its keys, where logs go, and the IDs of the SIP trunks applied to it.
import type { TrunkIds } from '../sip-trunk/apply.ts';

/** A livekit-server node of the stack, as its clients see it. */
export interface StackNode {
  url: string;
  /** As Redis's `room_node_map` names it. */
  nodeId: string;
  region: string;
}

export interface StackInfo extends TrunkIds {
  /** The first node's URL (livekit-sip's, and every worker's unless a test points one at another node). */
  livekitUrl: string;
  /** Every node, the first one first (one unless the stack was started with more). */
  nodes?: StackNode[];
  apiKey: string;
  apiSecret: string;
  logDir: string;
  /** host:port of the stack's Redis (tests that use it directly take their own database index). */
  redisAddress?: string;
  /** The stack's Redis, as a worker's REDIS_URL (default: the worker's own default, 127.0.0.1:6379). */
  redisUrl?: string;
}

/** The agent's number, as sip-trunk/inbound.json lists it: callers dial sip:<AGENT_NUMBER>@127.0.0.1:5060. */
export const AGENT_NUMBER = '+15550100';
