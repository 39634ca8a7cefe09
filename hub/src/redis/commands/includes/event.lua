--[[
  Appends one JSON event to a cluster's capped history (newest first).
]]
local function pushEvent(eventsKey, eventJson, cap)
  rcall('LPUSH', eventsKey, eventJson)
  rcall('LTRIM', eventsKey, 0, cap - 1)
end
