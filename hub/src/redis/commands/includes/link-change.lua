--[[
  Notes that what link health reads of a cluster changed (its link report, its applied
  revision, its revocation): the cluster takes the next number of <prefix>:link-changes in
  the sorted set <prefix>:link-changed, so each replica's pass reads only the clusters whose
  number is above the last it read (HubKeys.linkChanges / linkChanged build the same names).
]]
local function noteLinkChange(prefix, member)
  rcall('ZADD', prefix .. ':link-changed', rcall('INCR', prefix .. ':link-changes'), member)
end
