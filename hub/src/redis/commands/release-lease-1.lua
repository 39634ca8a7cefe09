--[[
  Gives up a lease if the token still holds it.

  Input:
    KEYS[1] lease key
    ARGV[1] holder token

  Output: 1 released, 0 not held by the token
]]
local rcall = redis.call
if rcall('GET', KEYS[1]) == ARGV[1] then
  rcall('DEL', KEYS[1])
  return 1
end
return 0
