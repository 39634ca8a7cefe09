--[[
  Moves a cluster between the sets of one index family when its value changes.
  Index keys are <prefix>:idx:<kind>:<value>, as HubKeys.index builds them; all share the
  prefix hash tag, so they live in the same Redis Cluster slot as the script's KEYS.
]]
local function moveIndex(prefix, kind, member, old, new)
  if old == new then return end
  if old and old ~= '' then rcall('SREM', prefix .. ':idx:' .. kind .. ':' .. old, member) end
  if new and new ~= '' then rcall('SADD', prefix .. ':idx:' .. kind .. ':' .. new, member) end
end
