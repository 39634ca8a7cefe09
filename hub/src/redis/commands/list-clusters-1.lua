--[[
  One page of the cluster list with what the API shows of each cluster, in one call: the
  page by name, the fields of each cluster's hash and the revision the rollouts assign it.
  Read apart, these were two round trips in a row (the page, then the hashes beside the
  assignments), each a wait behind every report the hub ingests meanwhile. Read only.

  Input:
    KEYS[1] sorted set of every registered cluster (score 0): the page's set without filters
    ARGV[1] key prefix (hash tag), for cluster keys
    ARGV[2] page size L
    ARGV[3] cursor: the last name of the previous page ('' for the first page)
    ARGV[4] index count N, then N index keys (sorted sets, score 0) that must all hold a
            cluster for it to be listed; N = 0 lists KEYS[1]
    then    field count F, then F field names read from each cluster's hash
    then    assignments hash and the key of the revision of clusters without an assignment
            ('' and '' to read none)

  Output:
    { total, more, names, values, assigned, fallback }: how many clusters match; 1 when
    clusters follow this page; the page's names (at most L, ordered by name); their F values
    each, one flat list (nil where absent); each name's field of the assignments hash (nil
    where absent); the fallback revision (nil when absent or not asked)
]]
local rcall = redis.call

-- Redis orders members of equal score byte by byte; Lua's `<` follows the server's locale.
local function byteAfter(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return #a > #b
end

local prefix, limit, cursor = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local indexCount = tonumber(ARGV[4])
local at = 5 + indexCount
local fieldCount = tonumber(ARGV[at])
local fields = {}
for i = 1, fieldCount do fields[i] = ARGV[at + i] end
local assignmentsKey, fallbackKey = ARGV[at + fieldCount + 1], ARGV[at + fieldCount + 2]

local total, candidates
if indexCount <= 1 then
  -- One sorted set: page by name without reading the rest of it.
  local key = indexCount == 1 and ARGV[5] or KEYS[1]
  total = rcall('ZCARD', key)
  candidates = rcall('ZRANGEBYLEX', key, cursor == '' and '-' or '(' .. cursor, '+', 'LIMIT', 0, limit + 1)
else
  -- Scores are all 0, so the intersection comes back ordered by name; the page starts after
  -- the cursor, which may have left the intersection since.
  local matching = rcall('ZINTER', indexCount, unpack(ARGV, 5, 4 + indexCount))
  total = #matching
  local first = 1
  if cursor ~= '' then
    local low, high = 1, #matching + 1
    while low < high do
      local middle = math.floor((low + high) / 2)
      if byteAfter(matching[middle], cursor) then high = middle else low = middle + 1 end
    end
    first = low
  end
  candidates = {}
  for i = first, math.min(first + limit, #matching) do candidates[#candidates + 1] = matching[i] end
end

local more = #candidates > limit and 1 or 0
local names, values = {}, {}
for i = 1, math.min(limit, #candidates) do
  names[i] = candidates[i]
  local row = rcall('HMGET', prefix .. ':cluster:' .. candidates[i], unpack(fields))
  for j = 1, fieldCount do values[#values + 1] = row[j] end
end
local assigned = (assignmentsKey ~= '' and #names > 0) and rcall('HMGET', assignmentsKey, unpack(names)) or {}
local fallback = fallbackKey ~= '' and rcall('GET', fallbackKey) or false
return { total, more, names, values, assigned, fallback }
