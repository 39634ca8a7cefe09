--[[
  Commits one rollout transition, atomically: the rollout's new header, the progress of the
  clusters that changed, the assignments it made, its notices, and the fleet-wide pointers.
  A compare-and-set on the rollout's version makes it safe under a lease hand-over: a
  leader that lost the lease and commits a transition computed from an old state gets a
  conflict, never a second wave advance.

  Input:
    KEYS[1] rollout hash (fields: version, phase, revision, header JSON, plan JSON; earlier
            hubs kept the whole rollout in a `state` field instead of header, plan and KEYS[2])
    KEYS[2] rollout clusters hash (cluster → progress JSON)
    KEYS[3] rollouts sorted set (ids by creation time)
    KEYS[4] active rollout id (string)
    KEYS[5] assignments hash (cluster → assignment JSON)
    KEYS[6] last fully rolled-out revision (string)
    KEYS[7] events list of the rollout (capped, newest first)

    ARGV[1] rollout id
    ARGV[2] expected version (-1: create the rollout; no other rollout may be active)
    ARGV[3] new version
    ARGV[4] new header JSON (the rollout without its plan and clusters)
    ARGV[5] new phase
    ARGV[6] 1 when the new phase is terminal, else 0
    ARGV[7] revision
    ARGV[8] created at (ms), the sort score
    ARGV[9] 1 when the rollout is done (its revision becomes the last fully rolled-out one)
    ARGV[10] pub/sub channel for assignment changes: a cluster name, or `*` when the last
             fully rolled-out revision changed (the default of clusters without an assignment)
    ARGV[11] events cap
    ARGV[12] rollouts kept (0: all): on a terminal commit, rollouts beyond the newest this many
             are deleted, except the one of the last fully rolled-out revision
    ARGV[13] rollout key prefix (`<prefix>:rollout:`): a rollout's keys are `<it><id>`,
             `<it><id>:clusters` and `<it><id>:events`, as HubKeys builds them
    ARGV[14] plan JSON with every cluster's progress following (create, or the first commit
             of a rollout an earlier hub stored whole in `state`, which is then removed);
             '' when only the clusters that changed follow
    ARGV[15] cluster count K, then K pairs of cluster, progress JSON,
             then notice count N, then N notice JSONs,
             then assignment count M, then M pairs of cluster, assignment JSON

  Output:
     1  committed
     0  already committed (the same version with the same header is stored)
    -1  version conflict: the stored rollout moved on; reload and reduce again
    -2  another rollout is active (create only)
    -3  the rollout is stored whole in `state` (an earlier hub's layout): commit again with
        the plan and every cluster
]]
local rcall = redis.call
local rolloutKey, clustersKey, indexKey, activeKey, assignmentsKey, lastGoodKey, eventsKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local id, expected, version = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local state, phase, terminal, plan = ARGV[4], ARGV[5], ARGV[6] == '1', ARGV[14]

local stored = rcall('HMGET', rolloutKey, 'version', 'header')
local storedVersion = tonumber(stored[1])
if storedVersion == version and stored[2] == state then return 0 end
if expected == -1 then
  if storedVersion then return -1 end
  local active = rcall('GET', activeKey)
  if active and active ~= id then return -2 end
elseif storedVersion ~= expected then
  return -1
end
if plan == '' and not stored[2] then return -3 end

rcall('HSET', rolloutKey, 'version', version, 'phase', phase, 'revision', ARGV[7], 'header', state)
if plan ~= '' then
  -- Without `state`, hubs of the earlier layout see the rollout as absent and never write it.
  rcall('HDEL', rolloutKey, 'state')
  rcall('HSET', rolloutKey, 'plan', plan)
  rcall('DEL', clustersKey)
end
local i = 15
local clusters = tonumber(ARGV[i])
for n = 1, clusters do
  rcall('HSET', clustersKey, ARGV[i + 2 * n - 1], ARGV[i + 2 * n])
end
i = i + 2 * clusters + 1

rcall('ZADD', indexKey, tonumber(ARGV[8]), id)
if terminal then
  if rcall('GET', activeKey) == id then rcall('DEL', activeKey) end
else
  rcall('SET', activeKey, id)
end
if ARGV[9] == '1' and rcall('GET', lastGoodKey) ~= ARGV[7] then
  rcall('SET', lastGoodKey, ARGV[7])
  rcall('PUBLISH', ARGV[10], '*')
end
local kept = tonumber(ARGV[12])
if terminal and kept > 0 then
  -- The last good revision's rollout is the rollback target's record: it stays.
  local lastGood, active = rcall('GET', lastGoodKey), rcall('GET', activeKey)
  for _, old in ipairs(rcall('ZREVRANGE', indexKey, kept, -1)) do
    local key = ARGV[13] .. old
    if old ~= active and rcall('HGET', key, 'revision') ~= lastGood then
      rcall('UNLINK', key, key .. ':clusters', key .. ':events')
      rcall('ZREM', indexKey, old)
    end
  end
end

local notices = tonumber(ARGV[i])
for n = 1, notices do
  rcall('LPUSH', eventsKey, ARGV[i + n])
end
if notices > 0 then rcall('LTRIM', eventsKey, 0, tonumber(ARGV[11]) - 1) end
i = i + notices + 1
local assignments = tonumber(ARGV[i])
for n = 1, assignments do
  local cluster, assignment = ARGV[i + 2 * n - 1], ARGV[i + 2 * n]
  rcall('HSET', assignmentsKey, cluster, assignment)
  rcall('PUBLISH', ARGV[10], cluster)
end
return 1
