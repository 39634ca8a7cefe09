--[[
  Registers a cluster with a bootstrap token, atomically: the token's use is counted only
  when the cluster is created.

  Input:
    KEYS[1] bootstrap token hash
    KEYS[2] cluster hash
    KEYS[3] clusters sorted set

    ARGV[1] key prefix (hash tag), for index keys
    ARGV[2] cluster name
    ARGV[3] sha256 of the presented bootstrap token
    ARGV[4] now (ms)
    ARGV[5] region
    ARGV[6] labels JSON
    ARGV[7] sha256 of the new cluster API token
    ARGV[8..] label index values (key=value)

  Output:
     1 registered
   -10 bootstrap token unknown or wrong
   -11 bootstrap token expired
   -12 bootstrap token used up
   -13 a cluster with this name exists
]]
local rcall = redis.call
--- @include "includes/index"

local token = rcall('HMGET', KEYS[1], 'hash', 'expiresAt', 'maxUses', 'uses')
if not token[1] or token[1] ~= ARGV[3] then return -10 end
local now = tonumber(ARGV[4])
if tonumber(token[2]) <= now then return -11 end
if tonumber(token[4]) >= tonumber(token[3]) then return -12 end
if rcall('EXISTS', KEYS[2]) == 1 then return -13 end

local prefix, name = ARGV[1], ARGV[2]
rcall('HINCRBY', KEYS[1], 'uses', 1)
rcall('HSET', KEYS[2],
  'name', name, 'region', ARGV[5], 'labels', ARGV[6], 'registeredAt', now,
  'keyGeneration', 1, 'tokenHash', ARGV[7], 'revoked', '0', 'state', 'registered',
  'revision', '', 'syncStatus', '', 'driftCount', 0, 'reports', 0, 'maxSeq', 0)
rcall('ZADD', KEYS[3], 0, name)
moveIndex(prefix, 'region', name, '', ARGV[5])
moveIndex(prefix, 'state', name, '', 'registered')
for i = 8, #ARGV do moveIndex(prefix, 'label', name, '', ARGV[i]) end
return 1
