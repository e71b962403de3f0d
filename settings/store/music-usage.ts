// Hold music bytes per organization, counted and checked in the same Redis script that stores the music, so
// two uploads at once cannot both slip under the quota. The usage is not kept anywhere: it is added up from
// the organization's own set of agents (store/agent-owners.ts) and the length of each one's stored file and
// samples (HSTRLEN, no copy). So music cleared, an agent deleted with its music or moved to another
// organization, and music stored before the quota existed all count exactly where they are now.
import type { Redis } from 'ioredis';
import type { StoreKeys } from './keys.ts';

/** What the store keeps about an agent's uploaded hold music, beside the file and its decoded samples. */
export interface HoldMusicInfo {
  /** SHA-256 (hex) of the uploaded file: tells workers whether their decoded copy is current. */
  sha256: string;
  format: 'mp3' | 'wav';
  bytes: number;
  name: string;
  durationMs: number;
  uploadedAt: string;
}

export class MusicQuotaError extends Error {
  constructor(
    readonly organizationId: string,
    /** Bytes in use by the organization's other agents. */
    readonly usedBytes: number,
    readonly neededBytes: number,
    readonly quotaBytes: number,
  ) {
    super(`organization ${organizationId} would exceed its hold music quota`);
  }
}

export class MissingAgentError extends Error {}

// Lua: what the organization's agents other than ARGV[1] keep, from the organization set key (its prefix and
// suffix around the organization id) and the hold-music key (around an agent id).
const USED = `
local function used(org, except, setBefore, setAfter, musicBefore, musicAfter)
  local total = 0
  for _, id in ipairs(redis.call('SMEMBERS', setBefore .. org .. setAfter)) do
    if id ~= except then
      local key = musicBefore .. id .. musicAfter
      total = total + redis.call('HSTRLEN', key, 'original') + redis.call('HSTRLEN', key, 'pcm')
    end
  end
  return total
end
`;

// KEYS: the agent's hash, its hold-music hash. ARGV: agent id, needed bytes, quota (-1: none), the hold-music
// key around an agent id, the organization set key around an organization id, original, pcm, sha256, info
// JSON. Returns {version}, {-1, used, organization} or {-2} (no such agent). The organization comes from
// the agent's stored document, so it is the one the agent belongs to at this very moment.
const STORE = `${USED}
local document = redis.call('HGET', KEYS[1], 'document')
if not document then return {-2} end
local org = tostring(cjson.decode(document).organizationId)
local taken = used(org, ARGV[1], ARGV[6], ARGV[7], ARGV[4], ARGV[5])
local needed = tonumber(ARGV[2])
local quota = tonumber(ARGV[3])
if quota >= 0 and taken + needed > quota then return {-1, taken, org} end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'original', ARGV[8], 'pcm', ARGV[9], 'sha256', ARGV[10])
redis.call('HSET', KEYS[1], 'holdMusic', ARGV[11])
return {redis.call('HINCRBY', KEYS[1], 'version', 1)}
`;

const READ = `${USED}
return used(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
`;

/** The parts of a key around an id: keys.holdMusic('\0') -> [before, after]. */
function around(key: (id: string) => string): [string, string] {
  const [before = '', after = ''] = key('\0').split('\0');
  return [before, after];
}

/**
 * Stores an agent's hold music (the file and its decoded samples) with the agent's new version, unless the
 * organization's other agents and this music together would pass `quotaBytes` (undefined: no quota). The
 * agent's previous music does not count: replacing it needs room for the new music only. Throws
 * MusicQuotaError, or MissingAgentError when the agent is gone.
 */
export async function storeHoldMusic(
  redis: Redis,
  keys: StoreKeys,
  agentId: string,
  music: { info: HoldMusicInfo; original: Buffer; pcm: Buffer; quotaBytes: number | undefined },
): Promise<number> {
  const needed = music.original.length + music.pcm.length;
  const result = (await redis.eval(
    STORE,
    2,
    keys.agent(agentId),
    keys.holdMusic(agentId),
    agentId,
    needed,
    music.quotaBytes ?? -1,
    ...around(keys.holdMusic),
    ...around(keys.organizationAgents),
    music.original,
    music.pcm,
    music.info.sha256,
    JSON.stringify(music.info),
  )) as [number, number?, string?];
  if (result[0] === -2) throw new MissingAgentError(`agent ${agentId} no longer exists`);
  if (result[0] === -1) throw new MusicQuotaError(String(result[2]), Number(result[1]), needed, music.quotaBytes ?? 0);
  return Number(result[0]);
}

/** What the organization's agents other than `exceptAgentId` keep now: to refuse an upload before decoding it. */
export async function musicUsage(redis: Redis, keys: StoreKeys, organizationId: string, exceptAgentId: string): Promise<number> {
  return Number(await redis.eval(READ, 0, organizationId, exceptAgentId, ...around(keys.organizationAgents), ...around(keys.holdMusic)));
}
