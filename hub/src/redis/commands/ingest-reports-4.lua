--[[
  Applies the verified reports of one cluster (one request's), in order, each atomically and
  all in one round trip: a report sees the state the reports before it left.

  Input:
    KEYS[1] cluster hash
    KEYS[2] cluster seen-seq window (a ring of bits, see includes/seen-window)
    KEYS[3] cluster events list
    KEYS[4] last-seen sorted set

    ARGV[1] key prefix (hash tag), for index keys
    ARGV[2] cluster name
    ARGV[3] key generation the signatures were verified with
    ARGV[4] now (ms)
    ARGV[5] replay window (how many seqs below the highest are still accepted once)
    ARGV[6] events cap
    ARGV[7] largest jump above the highest seq accepted (further ahead is refused, so one
            bogus seq cannot make every later report a replay)
    ARGV[8] number of reports, then per report:
            seq, event JSON ('' for none), number of field groups, then per group:
            guard field, field count N, then N pairs of field, value,
            then a first-seen field ('' for none), key count M, then M keys.
            A group is written only when seq is above the group's guard (its last seq),
            so a late report never overwrites newer state of the same kind.
            A first-seen field holds a JSON object of key -> ms when the key was first
            listed: keys listed again keep their time, new keys get now, keys no longer
            listed are dropped (so the hub knows since when a link fails).

  Output: one entry per report, in order:
    { code, prevState, state, prevSync, sync, prevRevision, revision, prevDrift, drift, region }
    code  1  applied
         -1  unknown cluster
         -2  cluster revoked
         -3  key generation changed (credentials rotated meanwhile)
         -4  replay: seq below the window
         -5  duplicate: seq already applied
         -6  seq too far ahead of the highest
]]
local rcall = redis.call
--- @include "includes/index"
--- @include "includes/event"
--- @include "includes/seen-window"
--- @include "includes/link-change"

local clusterKey, seenKey, eventsKey, lastSeenKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local prefix, name, keyGen, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local window, eventsCap, maxJump = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local fixed = { 'keyGeneration', 'revoked', 'state', 'syncStatus', 'revision', 'driftCount', 'maxSeq', 'region', 'reports' }

-- Applies the report whose arguments start at ARGV[i]; returns its result and where the next one starts.
local function apply(i)
  local seq, event = tonumber(ARGV[i]), ARGV[i + 1]
  -- Parse the field groups first, so one HMGET reads the cluster and every guard.
  local groups, fields = {}, { unpack(fixed) }
  i = i + 3
  for g = 1, tonumber(ARGV[i - 1]) do
    local count = tonumber(ARGV[i + 1])
    local group = { guard = ARGV[i], first = i + 2, count = count }
    i = i + 2 + 2 * count
    group.sinceField, group.sinceCount, group.sinceFirst = ARGV[i], tonumber(ARGV[i + 1]), i + 2
    i = i + 2 + group.sinceCount
    groups[g] = group
    fields[#fields + 1] = group.guard
  end
  -- The first-seen fields' current values follow the guards in the same HMGET.
  for _, group in ipairs(groups) do
    if group.sinceField ~= '' then
      fields[#fields + 1] = group.sinceField
      group.sinceIndex = #fields
    end
  end

  local current = rcall('HMGET', clusterKey, unpack(fields))
  if not current[1] then return { -1 }, i end
  if current[2] == '1' then return { -2 }, i end
  if current[1] ~= keyGen then return { -3 }, i end

  local maxSeq = tonumber(current[7] or '0')
  if seq <= maxSeq - window then return { -4 }, i end
  if seq > maxSeq + maxJump then return { -6 }, i end
  if not markSeen(seenKey, seq, maxSeq, window) then return { -5 }, i end

  local writes = { 'state', 'online', 'lastSeen', now, 'offlineSince', '', 'reports', tonumber(current[9] or '0') + 1 }
  if seq > maxSeq then
    maxSeq = seq
    writes[#writes + 1] = 'maxSeq'
    writes[#writes + 1] = seq
  end

  local prevState, prevSync, prevRevision, prevDrift = current[3], current[4] or '', current[5] or '', current[6] or '0'
  local after = { syncStatus = prevSync, revision = prevRevision, driftCount = prevDrift }
  local linksChanged = false
  for g, group in ipairs(groups) do
    if seq > tonumber(current[#fixed + g] or '0') then
      if group.guard == 'linkSeq' then linksChanged = true end
      writes[#writes + 1] = group.guard
      writes[#writes + 1] = seq
      for j = 0, group.count - 1 do
        local field, value = ARGV[group.first + 2 * j], ARGV[group.first + 2 * j + 1]
        writes[#writes + 1] = field
        writes[#writes + 1] = value
        if after[field] ~= nil then after[field] = value end
      end
      if group.sinceField ~= '' then
        local before = current[group.sinceIndex] and cjson.decode(current[group.sinceIndex]) or {}
        local since, listed = {}, false
        for j = 0, group.sinceCount - 1 do
          local key = ARGV[group.sinceFirst + j]
          since[key] = before[key] or now
          listed = true
        end
        writes[#writes + 1] = group.sinceField
        -- cjson encodes an empty table as an array; an empty map is written as such.
        writes[#writes + 1] = listed and cjson.encode(since) or '{}'
      end
    end
  end
  rcall('HSET', clusterKey, unpack(writes))

  moveIndex(prefix, 'state', name, prevState, 'online')
  moveIndex(prefix, 'sync', name, prevSync, after.syncStatus)
  moveIndex(prefix, 'revision', name, prevRevision, after.revision)
  if linksChanged or after.revision ~= prevRevision then noteLinkChange(prefix, name) end

  if event ~= '' then pushEvent(eventsKey, event, eventsCap) end
  if prevState == 'offline' then
    pushEvent(eventsKey, cjson.encode({ time = now, type = 'back', message = 'cluster reports again' }), eventsCap)
  end

  return { 1, prevState, 'online', prevSync, after.syncStatus, prevRevision, after.revision, prevDrift, tostring(after.driftCount), current[8] or '' }, i
end

local results, applied, i = {}, false, 9
for r = 1, tonumber(ARGV[8]) do
  results[r], i = apply(i)
  if results[r][1] == 1 then applied = true end
end
if applied then rcall('ZADD', lastSeenKey, now, name) end
return results
