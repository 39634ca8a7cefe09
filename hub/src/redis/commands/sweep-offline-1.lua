--[[
  Marks clusters offline whose last report is older than the cutoff, in one batch.

  Input:
    KEYS[1] last-seen sorted set
    ARGV[1] key prefix (hash tag), for cluster, event and index keys
    ARGV[2] cutoff (ms): last report at or before it means offline
    ARGV[3] now (ms)
    ARGV[4] batch size: most clusters taken from the stale end of last-seen
    ARGV[5] events cap

  Output: { taken, name, region, revision, name, region, revision, ... }: how many clusters
  this call took from last-seen (fewer than the batch size: none is left), then each one that
  went offline in this call, with its labels for the offline alert
]]
local rcall = redis.call
--- @include "includes/index"
--- @include "includes/event"

local prefix, now, cap = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[5])
local names = rcall('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[4]))
local result = { #names }
for _, name in ipairs(names) do
  local clusterKey = prefix .. ':cluster:' .. name
  rcall('ZREM', KEYS[1], name)
  local cluster = rcall('HMGET', clusterKey, 'state', 'region', 'revision')
  local state = cluster[1]
  if state == 'online' then
    rcall('HSET', clusterKey, 'state', 'offline', 'offlineSince', now)
    moveIndex(prefix, 'state', name, state, 'offline')
    pushEvent(clusterKey .. ':events',
      cjson.encode({ time = now, type = 'offline', message = 'missed 2 heartbeats' }), cap)
    result[#result + 1] = name
    result[#result + 1] = cluster[2] or ''
    result[#result + 1] = cluster[3] or ''
  end
end
return result
