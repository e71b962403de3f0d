// Hold music bytes per organization, counted and checked in the same Redis script that stores the music, so
// two uploads at once cannot both slip under the quota. An organization's usage is a hash of agent id ->
// bytes (the file and its decoded samples). An entry counts only while that agent's hold music is still
// stored and still the organization's: music cleared, an agent deleted (deleteAgent removes its music) or
// moved elsewhere stops counting at once, without every deleting path having to know about the usage.
import type { Redis } from 'ioredis';
import type { HoldMusicInfo } from './store.ts';
import type { StoreKeys } from './keys.ts';

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

// KEYS: the agent's hash, its hold-music hash. ARGV: agent id, needed bytes, quota (-1: none), the hold-music
// key before and after an agent id, original, pcm, sha256, info JSON, the usage key before and after an
// organization id. Returns {version}, {-1, used, organization} or {-2} (no such agent). The organization
// comes from the agent's stored document, so it is the one the agent belongs to at this very moment.
const SCRIPT = `
local document = redis.call('HGET', KEYS[1], 'document')
if not document then return {-2} end
local org = tostring(cjson.decode(document).organizationId)
local usage = ARGV[10] .. org .. ARGV[11]
local used = 0
local entries = redis.call('HGETALL', usage)
for i = 1, #entries, 2 do
  local id = entries[i]
  if id ~= ARGV[1] then
    local owner = redis.call('HGET', ARGV[4] .. id .. ARGV[5], 'organizationId')
    if owner == org then used = used + tonumber(entries[i + 1]) else redis.call('HDEL', usage, id) end
  end
end
local needed = tonumber(ARGV[2])
local quota = tonumber(ARGV[3])
if quota >= 0 and used + needed > quota then return {-1, used, org} end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'original', ARGV[6], 'pcm', ARGV[7], 'sha256', ARGV[8], 'organizationId', org, 'bytes', needed)
redis.call('HSET', usage, ARGV[1], needed)
redis.call('HSET', KEYS[1], 'holdMusic', ARGV[9])
return {redis.call('HINCRBY', KEYS[1], 'version', 1)}
`;

/**
 * Stores an agent's hold music (the file and its decoded samples) with the agent's new version, unless the
 * organization's other agents and this music together would pass `quotaBytes` (undefined: no quota, the
 * usage is still counted). The agent's previous music does not count: replacing it needs room for the new
 * file only. Throws MusicQuotaError, or MissingAgentError when the agent is gone.
 */
export async function storeHoldMusic(
  redis: Redis,
  keys: StoreKeys,
  agentId: string,
  music: { info: HoldMusicInfo; original: Buffer; pcm: Buffer; quotaBytes: number | undefined },
): Promise<number> {
  const [before = '', after = ''] = keys.holdMusic('\0').split('\0');
  const [usageBefore = '', usageAfter = ''] = keys.musicUsage('\0').split('\0');
  const needed = music.original.length + music.pcm.length;
  const result = (await redis.eval(
    SCRIPT,
    2,
    keys.agent(agentId),
    keys.holdMusic(agentId),
    agentId,
    needed,
    music.quotaBytes ?? -1,
    before,
    after,
    music.original,
    music.pcm,
    music.info.sha256,
    JSON.stringify(music.info),
    usageBefore,
    usageAfter,
  )) as [number, number?, string?];
  if (result[0] === -2) throw new MissingAgentError(`agent ${agentId} no longer exists`);
  if (result[0] === -1) throw new MusicQuotaError(String(result[2]), Number(result[1]), needed, music.quotaBytes ?? 0);
  return Number(result[0]);
}

/**
 * The bytes the organization's agents other than `exceptAgentId` keep now, counted as the storing script
 * counts them. A plain read: it lets an upload be refused before it is decoded; the script decides.
 */
export async function musicUsage(redis: Redis, keys: StoreKeys, organizationId: string, exceptAgentId: string): Promise<number> {
  const entries = Object.entries(await redis.hgetall(keys.musicUsage(organizationId))).filter(([agentId]) => agentId !== exceptAgentId);
  if (entries.length === 0) return 0;
  const owners = await Promise.all(entries.map(([agentId]) => redis.hget(keys.holdMusic(agentId), 'organizationId')));
  return entries.reduce((total, [, bytes], i) => (owners[i] === organizationId ? total + Number(bytes) : total), 0);
}
