--[[
  Revokes a cluster: its reports and API token are refused from now on. State and history
  stay readable for admins.

  Input:
    KEYS[1] cluster hash
    KEYS[2] last-seen sorted set
    KEYS[3] cluster events list
    ARGV[1] key prefix (hash tag), for index keys
    ARGV[2] cluster name
    ARGV[3] event JSON
    ARGV[4] events cap

  Output: 1 revoked, 0 already revoked, -1 unknown cluster
]]
local rcall = redis.call
--- @include "includes/index"
--- @include "includes/event"
--- @include "includes/link-change"

local current = rcall('HMGET', KEYS[1], 'revoked', 'state')
if not current[1] then return -1 end
if current[1] == '1' then return 0 end
rcall('HSET', KEYS[1], 'revoked', '1', 'tokenHash', '', 'state', 'revoked')
rcall('ZREM', KEYS[2], ARGV[2])
moveIndex(ARGV[1], 'state', ARGV[2], current[2], 'revoked')
noteLinkChange(ARGV[1], ARGV[2])
pushEvent(KEYS[3], ARGV[3], tonumber(ARGV[4]))
return 1
