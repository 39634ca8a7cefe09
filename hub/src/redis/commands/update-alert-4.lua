--[[
  Fires or resolves one alert with deduplication.

  Input:
    KEYS[1] alert hash
    KEYS[2] alerts sorted set (by last change)
    KEYS[3] firing alerts set; `<it>:<rule>` is the set of one rule's firing alerts (the
            reads that need a few rules take only those)
    KEYS[4] resolved alerts sorted set (by resolve time): the only ones the history cap deletes
    ARGV[1] fingerprint
    ARGV[2] action: fire | resolve | repeat
    ARGV[3] now (ms)
    ARGV[4] repeat interval (ms): a firing alert is notified again after it
    ARGV[5] alert fields JSON for fire (rule, severity, summary, labels), '' otherwise
    ARGV[6] history cap: resolved alerts beyond it are deleted, oldest first

  Output:
    1 newly firing: notify
    2 still firing and the repeat interval passed: notify again
    3 resolved: notify
    0 nothing to notify
]]
local rcall = redis.call
local alertKey, indexKey, firingKey, resolvedKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local fingerprint, action, now, repeatMs = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local status = rcall('HGET', alertKey, 'status')
local function ruleKey(rule) return firingKey .. ':' .. rule end

-- Every alert is firing or resolved. A hub before this script kept no resolved set (and an
-- older replica sharing the Redis does not keep it up): when the counts disagree, rebuild it
-- once from the alerts not firing.
local function trackResolved()
  if rcall('ZCARD', indexKey) == rcall('SCARD', firingKey) + rcall('ZCARD', resolvedKey) then return end
  rcall('DEL', resolvedKey)
  local all = rcall('ZRANGE', indexKey, 0, -1, 'WITHSCORES')
  for i = 1, #all, 2 do
    if rcall('SISMEMBER', firingKey, all[i]) == 0 then rcall('ZADD', resolvedKey, all[i + 1], all[i]) end
  end
end

-- Deletes the oldest resolved alerts beyond the cap: work in proportion to what it deletes,
-- however many alerts fire (firing ones are never deleted, so they may exceed the cap).
local function trimHistory()
  local excess = rcall('ZCARD', indexKey) - tonumber(ARGV[6])
  if excess <= 0 then return end
  local keyPrefix = string.sub(alertKey, 1, #alertKey - #fingerprint)
  for _, old in ipairs(rcall('ZRANGE', resolvedKey, 0, excess - 1)) do
    rcall('ZREM', resolvedKey, old)
    -- Only an older replica's write can leave a firing alert here: it stays.
    if rcall('SISMEMBER', firingKey, old) == 0 then
      rcall('ZREM', indexKey, old)
      rcall('DEL', keyPrefix .. old)
    end
  end
end

trackResolved()

if action == 'resolve' then
  if status ~= 'firing' then return 0 end
  rcall('HSET', alertKey, 'status', 'resolved', 'endsAt', now, 'updatedAt', now)
  rcall('SREM', firingKey, fingerprint)
  rcall('SREM', ruleKey(rcall('HGET', alertKey, 'rule')), fingerprint)
  rcall('ZADD', indexKey, now, fingerprint)
  rcall('ZADD', resolvedKey, now, fingerprint)
  return 3
end

if status == 'firing' then
  -- Also indexes an alert fired before its rule's set existed: the repeat pass reaches every firing alert.
  rcall('SADD', ruleKey(rcall('HGET', alertKey, 'rule')), fingerprint)
  if action == 'fire' then rcall('HSET', alertKey, 'lastFiredAt', now) end
  local last = tonumber(rcall('HGET', alertKey, 'notifiedAt') or '0')
  if now - last < repeatMs then return 0 end
  rcall('HSET', alertKey, 'notifiedAt', now)
  return 2
end
if action ~= 'fire' then return 0 end

local fields = cjson.decode(ARGV[5])
rcall('DEL', alertKey)
rcall('HSET', alertKey, 'fingerprint', fingerprint, 'rule', fields.rule, 'severity', fields.severity,
  'summary', fields.summary, 'labels', cjson.encode(fields.labels), 'status', 'firing',
  'startsAt', now, 'endsAt', '', 'notifiedAt', now, 'lastFiredAt', now, 'updatedAt', now)
rcall('SADD', firingKey, fingerprint)
rcall('SADD', ruleKey(fields.rule), fingerprint)
rcall('ZREM', resolvedKey, fingerprint)
rcall('ZADD', indexKey, now, fingerprint)
trimHistory()
return 1
