// The transfer record's writes as Redis scripts (store.ts), so that the fence check and the write are one
// atomic step.

// KEYS[1] record, KEYS[2] leases; ARGV[1] fence, ARGV[2] patch JSON, ARGV[3] now, ARGV[4] lease ms ('' = keep),
// ARGV[5] new owner (optional: a job adopting a record a watcher claimed for it), ARGV[6] the asks channel's
// prefix (optional): a patch with a handoff is published on <prefix><the owner's worker key> (see store.ts asks).
export const WRITE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return -1 end
local record = cjson.decode(raw)
if record.fence ~= tonumber(ARGV[1]) then return -1 end
local patch = cjson.decode(ARGV[2])
for key, value in pairs(patch) do record[key] = value end
record.version = record.version + 1
record.updatedAt = tonumber(ARGV[3])
record.renewedAt = tonumber(ARGV[3])
if ARGV[5] ~= nil and ARGV[5] ~= '' then record.owner = ARGV[5] end
if ARGV[4] ~= '' then
  record.leaseUntil = tonumber(ARGV[3]) + tonumber(ARGV[4])
  redis.call('ZADD', KEYS[2], record.leaseUntil, record.id)
end
redis.call('SET', KEYS[1], cjson.encode(record))
if ARGV[6] ~= nil and ARGV[6] ~= '' and patch.handoff ~= nil then
  local worker = string.match(record.owner, '^(.*)/%d+$') or record.owner
  redis.call('PUBLISH', ARGV[6] .. worker, record.id)
end
return record.version
`;

// KEYS[1] record, KEYS[2] leases; ARGV[1] new owner, ARGV[2] now, ARGV[3] lease ms, ARGV[4] '1' = even if the lease holds.
export const CLAIM = `
local raw = redis.call('GET', KEYS[1])
if not raw then return -1 end
local record = cjson.decode(raw)
if ARGV[4] ~= '1' and record.leaseUntil > tonumber(ARGV[2]) then return -2 end
record.fence = record.fence + 1
record.owner = ARGV[1]
record.resumes = record.resumes + 1
record.version = record.version + 1
record.leaseUntil = tonumber(ARGV[2]) + tonumber(ARGV[3])
record.updatedAt = tonumber(ARGV[2])
redis.call('SET', KEYS[1], cjson.encode(record))
redis.call('ZADD', KEYS[2], record.leaseUntil, record.id)
return record.fence
`;

// KEYS[1] record, KEYS[2] leases; ARGV[1] fence it must have, ARGV[2] new owner, ARGV[3] now, ARGV[4] lease ms.
export const HAND_OVER = `
local raw = redis.call('GET', KEYS[1])
if not raw then return -1 end
local record = cjson.decode(raw)
if record.fence ~= tonumber(ARGV[1]) then return -1 end
record.fence = record.fence + 1
record.owner = ARGV[2]
record.version = record.version + 1
record.leaseUntil = tonumber(ARGV[3]) + tonumber(ARGV[4])
record.updatedAt = tonumber(ARGV[3])
record.renewedAt = tonumber(ARGV[3])
redis.call('SET', KEYS[1], cjson.encode(record))
redis.call('ZADD', KEYS[2], record.leaseUntil, record.id)
return record.fence
`;

// KEYS[1] record, KEYS[2] leases, KEYS[3] call; ARGV[1] fence, ARGV[2] id.
export const REMOVE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return -1 end
if cjson.decode(raw).fence ~= tonumber(ARGV[1]) then return -1 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return 1
`;
