--[[
  Gives a cluster new credentials: a new key generation (the report key derives from it)
  and a new API token hash. The old key and token stop working at once.

  Input:
    KEYS[1] cluster hash
    ARGV[1] sha256 of the new API token

  Output: the new key generation, or
    -1 unknown cluster
    -2 cluster revoked
]]
local rcall = redis.call
local revoked = rcall('HGET', KEYS[1], 'revoked')
if not revoked then return -1 end
if revoked == '1' then return -2 end
rcall('HSET', KEYS[1], 'tokenHash', ARGV[1])
return rcall('HINCRBY', KEYS[1], 'keyGeneration', 1)
