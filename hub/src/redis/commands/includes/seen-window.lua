--[[
  The seqs a cluster applied within the replay window, as a ring of bits in one string key:
  bits 0-63 hold the highest seq recorded (i64), bits 64-95 the ring's size (the window it
  was built for), then one bit per seq at 96 + seq mod size. When the highest seq moves up,
  the slots it passes over are cleared (they held seqs now below the window), so the key
  stays 12 + size/8 bytes however long the cluster reports (128 + 12 for a window of 1,024).
  The caller refuses seqs at or below (highest - window) before asking, as late; every seq
  asked about is therefore inside the ring.

  A hub before this one kept a sorted set of the applied seqs (member = score = seq) under
  the same key: the first report after an upgrade converts it, keeping the seqs inside the
  window, as it does a ring built for another window size, so no seq applied before is
  applied again.
]]
local SEEN_BITS = 96

-- Runs one BITFIELD of `ops` (SET operations, flattened) and sets each slot in `slots` to
-- `value`, in calls of at most 500 operations (Lua's unpack is bounded).
local function setSlots(seenKey, ops, slots, value)
  local args = { 'BITFIELD', seenKey, unpack(ops) }
  for _, slot in ipairs(slots) do
    args[#args + 1], args[#args + 2], args[#args + 3], args[#args + 4] = 'SET', 'u1', SEEN_BITS + slot, value
    if #args >= 2000 then
      rcall(unpack(args))
      args = { 'BITFIELD', seenKey }
    end
  end
  if #args > 2 then rcall(unpack(args)) end
end

local function slotsOf(seqs, size)
  local slots = {}
  for index, s in ipairs(seqs) do slots[index] = s % size end
  return slots
end

-- Replaces the key with a ring of `size` slots whose highest seq is `top`, the listed seqs marked.
local function rebuildSeen(seenKey, top, size, seqs)
  rcall('DEL', seenKey)
  setSlots(seenKey, { 'SET', 'i64', 0, string.format('%d', top), 'SET', 'u32', 64, size }, slotsOf(seqs, size), 1)
end

-- The ring's highest seq, after converting the key to a ring of `window` slots if it is
-- missing, an older hub's sorted set, or a ring of another size.
local function openSeen(seenKey, maxSeq, window)
  local header = redis.pcall('BITFIELD', seenKey, 'GET', 'i64', 0, 'GET', 'u32', 64)
  if header.err then
    -- WRONGTYPE: the sorted set of seqs an older hub kept.
    rebuildSeen(seenKey, maxSeq, window, rcall('ZRANGEBYSCORE', seenKey, '(' .. (maxSeq - window), maxSeq))
    return maxSeq
  end
  local top, size = header[1], header[2]
  if size == window then return top end
  local keep = {}
  if size > 0 then
    for s = top - math.min(size, window) + 1, top do
      if rcall('GETBIT', seenKey, SEEN_BITS + s % size) == 1 then keep[#keep + 1] = s end
    end
  else
    -- No key yet: the ring starts at the cluster's highest seq.
    top = maxSeq
  end
  rebuildSeen(seenKey, top, window, keep)
  return top
end

-- Records `seq` as applied (the cluster's highest seq is `maxSeq`); false when it was before.
local function markSeen(seenKey, seq, maxSeq, window)
  local top = openSeen(seenKey, maxSeq, window)
  if seq <= top then return rcall('SETBIT', seenKey, SEEN_BITS + seq % window, 1) == 0 end
  if seq - top >= window then
    rebuildSeen(seenKey, seq, window, { seq })
    return true
  end
  -- Moving up: the slots passed over now belong to seqs not yet seen.
  local passed = {}
  for s = top + 1, seq - 1 do passed[#passed + 1] = s % window end
  setSlots(seenKey, { 'SET', 'i64', 0, string.format('%d', seq), 'SET', 'u1', SEEN_BITS + seq % window, 1 }, passed, 0)
  return true
end
