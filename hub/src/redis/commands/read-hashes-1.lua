--[[
  Reads the same fields of many hashes in one call: what a pipeline of HMGETs reads, without
  a command per hash for the client to build, send and parse (the rollout controller reads
  every cluster of a rollout's started waves on each tick). Read only.

  Input:
    KEYS[1] any key of the hub's slot: a Redis Cluster sends the call to the master holding
            it, and with it every hash read here (all under the hub prefix)

    ARGV[1] field count F, then F field names, then the hash keys

  Output:
    for each key in order, its F values (nil for a missing field or hash), in one flat list
]]
local rcall = redis.call
local count = tonumber(ARGV[1])
local fields = {}
for i = 1, count do fields[i] = ARGV[1 + i] end
local values, n = {}, 0
for i = count + 2, #ARGV do
  local row = rcall('HMGET', ARGV[i], unpack(fields))
  for j = 1, count do
    n = n + 1
    values[n] = row[j]
  end
end
return values
