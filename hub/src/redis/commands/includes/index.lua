--[[
  Moves a cluster between the sorted sets of one index family when its value changes.
  Members have score 0, so each index is ordered by name and pages with ZRANGEBYLEX.
  Index keys are <prefix>:idx:<kind>:<value>, as HubKeys.index builds them; all share the
  prefix hash tag, so they live in the same Redis Cluster slot as the script's KEYS.
]]
local function moveIndex(prefix, kind, member, old, new)
  if old == new then return end
  if old and old ~= '' then rcall('ZREM', prefix .. ':idx:' .. kind .. ':' .. old, member) end
  if new and new ~= '' then rcall('ZADD', prefix .. ':idx:' .. kind .. ':' .. new, 0, member) end
end
