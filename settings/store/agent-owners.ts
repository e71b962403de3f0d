// Who owns an agent id, kept atomic: a write or a deletion checks the owner it expects and the
// organization's agent quota in the same Redis script that writes, so two requests racing for one id (or
// for an organization's last free place) cannot both win. Each organization's agent ids are kept in a set
// of their own (`org:{orgId}:agents`), which the quota counts and the listing reads.
//
// The scripts name the old owner's set from the stored document, which only Redis knows at that moment:
// fine on one Redis (the settings store is one), not on a Redis Cluster.
import type { Redis } from 'ioredis';
import type { StoreKeys } from './keys.ts';

/** The owner a write expects: nobody (a new agent), a given organization, or whoever it is (the administrator). */
export type ExpectedOwner = { kind: 'absent' } | { kind: 'organization'; organizationId: string } | { kind: 'any' };

export interface AgentGuard {
  expected: ExpectedOwner;
  /** At most this many agents per organization (0: no limit). */
  maxAgentsPerOrganization: number;
}

/** A write refused by the store: another request changed the owner meanwhile, or the quota is reached. */
export class AgentClaimError extends Error {
  constructor(
    readonly statusCode: 403 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

const OWNER = `
local function owner_of(doc)
  if not doc then return '' end
  local ok, parsed = pcall(cjson.decode, doc)
  if ok and type(parsed) == 'table' and type(parsed.organizationId) == 'string' then return parsed.organizationId end
  return '?'
end
local function check_expected(owner, expected)
  if expected == '*' then return true end
  if expected == '' then return owner == '' end
  return owner == expected
end
`;

// KEYS: agent hash, all agents, hold music, transfers stream, messages stream.
// ARGV: agentId, document, webhookUrl ('' none), new owner, expected ('' absent, '*' any), quota, org key prefix, suffix.
const PUT = `${OWNER}
local owner = owner_of(redis.call('HGET', KEYS[1], 'document'))
if not check_expected(owner, ARGV[5]) then return {'owner', owner} end
local new_set = ARGV[7] .. ARGV[4] .. ARGV[8]
if owner ~= ARGV[4] then
  local quota = tonumber(ARGV[6])
  local count = redis.call('SCARD', new_set)
  if quota > 0 and count >= quota then return {'quota', tostring(count)} end
  if owner ~= '' then redis.call('SREM', ARGV[7] .. owner .. ARGV[8], ARGV[1]) end
end
if owner == '' then
  -- A new agent starts clean: nothing left from an earlier agent of this id (music uploaded or events
  -- written while it was being deleted) reaches its new owner.
  redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5])
end
redis.call('SADD', new_set, ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'document', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'webhookUrl', ARGV[3]) else redis.call('HDEL', KEYS[1], 'webhookUrl') end
return {'ok', tostring(redis.call('HINCRBY', KEYS[1], 'version', 1))}
`;

// KEYS: agent hash, all agents, hold music, transfers stream, messages stream. ARGV: agentId, expected, org key prefix, suffix.
const DELETE = `${OWNER}
local owner = owner_of(redis.call('HGET', KEYS[1], 'document'))
if owner == '' then return {'absent', ''} end
if not check_expected(owner, ARGV[2]) then return {'owner', owner} end
redis.call('SREM', ARGV[3] .. owner .. ARGV[4], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5])
return {'ok', owner}
`;

// KEYS: agent hash. ARGV: agentId, org key prefix, suffix. Adds an agent written before the sets existed.
const INDEX = `${OWNER}
local owner = owner_of(redis.call('HGET', KEYS[1], 'document'))
if owner ~= '' and owner ~= '?' then redis.call('SADD', ARGV[2] .. owner .. ARGV[3], ARGV[1]) end
return owner
`;

const expectedArg = (expected: ExpectedOwner) => (expected.kind === 'any' ? '*' : expected.kind === 'absent' ? '' : expected.organizationId);

function agentKeys(keys: StoreKeys, agentId: string): string[] {
  return [keys.agent(agentId), keys.agents(), keys.holdMusic(agentId), keys.stream(agentId, 'transfers'), keys.stream(agentId, 'messages')];
}

/** The org-agents key split around the organization id, for the scripts to build it. */
function orgSetAffixes(keys: StoreKeys): [string, string] {
  const marker = '\u0000';
  const [before = '', after = ''] = keys.organizationAgents(marker).split(marker);
  return [before, after];
}

function conflict(agentId: string, expected: ExpectedOwner, owner: string): AgentClaimError {
  if (expected.kind === 'absent') return new AgentClaimError(409, `agent '${agentId}' was created by another request meanwhile; nothing was changed`);
  if (owner === '') return new AgentClaimError(404, `no agent '${agentId}'`);
  return new AgentClaimError(409, `agent '${agentId}' changed hands meanwhile; nothing was changed`);
}

/** Writes an agent's document if its owner is still the expected one and the quota allows; returns its new version. */
export async function putOwnedAgent(
  redis: Redis,
  keys: StoreKeys,
  agentId: string,
  document: Record<string, unknown>,
  webhookUrl: string | undefined,
  guard: AgentGuard,
): Promise<number> {
  const owner = String(document.organizationId);
  const args = [
    agentId,
    JSON.stringify(document),
    webhookUrl ?? '',
    owner,
    expectedArg(guard.expected),
    String(guard.maxAgentsPerOrganization),
    ...orgSetAffixes(keys),
  ];
  const [outcome, value] = (await redis.eval(PUT, 5, ...agentKeys(keys, agentId), ...args)) as [string, string];
  if (outcome === 'ok') return Number(value);
  if (outcome === 'quota') {
    return Promise.reject(
      new AgentClaimError(
        403,
        `organization '${owner}' already has ${value} agents, the most it may have (${guard.maxAgentsPerOrganization}); delete one first, or ask the administrator to raise the limit`,
      ),
    );
  }
  return Promise.reject(conflict(agentId, guard.expected, value));
}

/** Deletes an agent with its music and streams if its owner is the expected one; its id is free again. */
export async function deleteOwnedAgent(redis: Redis, keys: StoreKeys, agentId: string, expected: ExpectedOwner): Promise<void> {
  const [outcome, owner] = (await redis.eval(DELETE, 5, ...agentKeys(keys, agentId), agentId, expectedArg(expected), ...orgSetAffixes(keys))) as [
    string,
    string,
  ];
  if (outcome === 'absent') throw new AgentClaimError(404, `no agent '${agentId}'`);
  if (outcome !== 'ok') throw conflict(agentId, expected, owner);
}

/** Puts every stored agent in its organization's set (agents written by versions before the sets existed). */
export async function indexAgentOwners(redis: Redis, keys: StoreKeys): Promise<void> {
  const [before, after] = orgSetAffixes(keys);
  const pipeline = redis.pipeline();
  for (const agentId of await redis.smembers(keys.agents())) pipeline.eval(INDEX, 1, keys.agent(agentId), agentId, before, after);
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}

/** The ids of an organization's agents, sorted. */
export async function organizationAgentIds(redis: Redis, keys: StoreKeys, organizationId: string): Promise<string[]> {
  return (await redis.smembers(keys.organizationAgents(organizationId))).sort();
}
