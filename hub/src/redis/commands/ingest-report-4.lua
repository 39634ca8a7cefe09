--[[
  Applies one verified report to a cluster's state, atomically.

  Input:
    KEYS[1] cluster hash
    KEYS[2] cluster seen-seq sorted set
    KEYS[3] cluster events list
    KEYS[4] last-seen sorted set

    ARGV[1] key prefix (hash tag), for index keys
    ARGV[2] cluster name
    ARGV[3] seq
    ARGV[4] key generation the signature was verified with
    ARGV[5] now (ms)
    ARGV[6] replay window (how many seqs below the highest are still accepted once)
    ARGV[7] events cap
    ARGV[8] event JSON ('' for none)
    ARGV[9] number of field groups, then per group:
            guard field, field count N, then N pairs of field, value.
            A group is written only when seq is above the group's guard (its last seq),
            so a late report never overwrites newer state of the same kind.

  Output: { code, prevState, state, prevSync, sync, prevRevision, revision, prevDrift, drift, region }
    code  1  applied
         -1  unknown cluster
         -2  cluster revoked
         -3  key generation changed (credentials rotated meanwhile)
         -4  replay: seq below the window
         -5  duplicate: seq already applied
]]
local rcall = redis.call
--- @include "includes/index"
--- @include "includes/event"

local clusterKey, seenKey, eventsKey, lastSeenKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local prefix, name = ARGV[1], ARGV[2]
local seq, keyGen, now = tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local window, eventsCap = tonumber(ARGV[6]), tonumber(ARGV[7])

local current = rcall('HMGET', clusterKey, 'keyGeneration', 'revoked', 'state', 'syncStatus', 'revision', 'driftCount', 'maxSeq', 'region')
if not current[1] then return { -1 } end
if current[2] == '1' then return { -2 } end
if current[1] ~= keyGen then return { -3 } end

local maxSeq = tonumber(current[7] or '0')
if seq <= maxSeq - window then return { -4 } end
if rcall('ZSCORE', seenKey, seq) then return { -5 } end

rcall('ZADD', seenKey, seq, seq)
if seq > maxSeq then
  maxSeq = seq
  rcall('HSET', clusterKey, 'maxSeq', seq)
  rcall('ZREMRANGEBYSCORE', seenKey, '-inf', '(' .. (maxSeq - window))
end

local prevState, prevSync, prevRevision, prevDrift = current[3], current[4] or '', current[5] or '', current[6] or '0'

local i = 10
for _ = 1, tonumber(ARGV[9]) do
  local guard, count = ARGV[i], tonumber(ARGV[i + 1])
  i = i + 2
  local last = tonumber(rcall('HGET', clusterKey, guard) or '0')
  if seq > last then
    local args = { guard, seq }
    for j = 0, count - 1 do
      args[#args + 1] = ARGV[i + 2 * j]
      args[#args + 1] = ARGV[i + 2 * j + 1]
    end
    rcall('HSET', clusterKey, unpack(args))
  end
  i = i + 2 * count
end

rcall('HSET', clusterKey, 'state', 'online', 'lastSeen', now, 'offlineSince', '')
rcall('HINCRBY', clusterKey, 'reports', 1)
rcall('ZADD', lastSeenKey, now, name)

local after = rcall('HMGET', clusterKey, 'syncStatus', 'revision', 'driftCount')
moveIndex(prefix, 'state', name, prevState, 'online')
moveIndex(prefix, 'sync', name, prevSync, after[1] or '')
moveIndex(prefix, 'revision', name, prevRevision, after[2] or '')

if ARGV[8] ~= '' then pushEvent(eventsKey, ARGV[8], eventsCap) end
if prevState == 'offline' then
  pushEvent(eventsKey, cjson.encode({ time = now, type = 'back', message = 'cluster reports again' }), eventsCap)
end

return { 1, prevState, 'online', prevSync, after[1] or '', prevRevision, after[2] or '', prevDrift, after[3] or '0', current[8] or '' }
