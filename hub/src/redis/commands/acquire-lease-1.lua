--[[
  Takes or extends a lease: succeeds when the lease is free or already held by the token.

  Input:
    KEYS[1] lease key
    ARGV[1] holder token
    ARGV[2] time to live (ms)

  Output: 1 held by the token now, 0 held by another holder
]]
local rcall = redis.call
local holder = rcall('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
rcall('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 1
