"""The Lua scripts that make a store conditional, mark write intents and install new versions.

Each runs atomically. None is on the hit path (a hit is one MGET). Version values are random
tokens or intents (``"!<n>"``); new tokens come from the caller (``ARGV``), never from Lua.
"""

# KEYS: value, versions (nv)..., lock, guards (g)..., deps (d)..., [budget]
# ARGV: 1 token ('' = only release the lock, '*' = whatever the versions are now), 2 payload,
# 3 ttl_ms, 4 lock id, 5 guard token, 6 nv, 7 g, 8 d, 9 fresh token (for versions or deps
# that are missing), 10 entry cap (0 = none), 11 version ttl_ms.
# Stores only if every version still equals the token (none missing, none an intent) and the
# guards the guard token; the header records each dep key's version (created if missing: the
# guard check has shown no write of that kind since the miss). Releases the lock if ours.
STORE = """
local nv, g, d = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local lock = KEYS[nv + 2]
local stored = 0
if ARGV[1] ~= '' then
  local ok = true
  local seen = {}
  for i = 2, nv + 1 do
    local v = redis.call('GET', KEYS[i])
    if not v and ARGV[1] == '*' then
      v = ARGV[9] .. 'v' .. i
      redis.call('SET', KEYS[i], v, 'PX', ARGV[11])
    end
    if not v or string.sub(v, 1, 1) == '!' then ok = false break end
    seen[#seen + 1] = v
  end
  local head = table.concat(seen, ',')
  ok = ok and (ARGV[1] == '*' or head == ARGV[1])
  if ok and g > 0 then
    local gs = {}
    for i = nv + 3, nv + 2 + g do gs[#gs + 1] = redis.call('GET', KEYS[i]) or '' end
    ok = table.concat(gs, ',') == ARGV[5]
  end
  if ok then
    for i = nv + 3 + g, nv + 2 + g + d do
      local v = redis.call('GET', KEYS[i])
      if not v then
        v = ARGV[9] .. 'd' .. i
        redis.call('SET', KEYS[i], v, 'PX', ARGV[11])
      end
      if string.sub(v, 1, 1) == '!' then ok = false break end
      head = head .. ';' .. KEYS[i] .. '=' .. v
    end
  end
  if ok and tonumber(ARGV[10]) > 0 then
    local n = redis.call('INCR', KEYS[#KEYS])
    if n == 1 then redis.call('PEXPIRE', KEYS[#KEYS], ARGV[3]) end
    ok = n <= tonumber(ARGV[10])
  end
  if ok then
    redis.call('SET', KEYS[1], head .. '|' .. ARGV[2], 'PX', ARGV[3])
    stored = 1
  end
end
if ARGV[4] ~= '' and redis.call('GET', lock) == ARGV[4] then redis.call('DEL', lock) end
return stored
"""

# KEYS: version keys.  ARGV: intent ttl_ms.  One more writer is about to commit under each.
INTENT = """
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  local n = 1
  if v and string.sub(v, 1, 1) == '!' then n = (tonumber(string.sub(v, 2)) or 0) + 1 end
  redis.call('SET', KEYS[i], '!' .. n, 'PX', ARGV[1])
end
return #KEYS
"""

# KEYS: version keys.  ARGV: fresh token, version ttl_ms, one '1'/'0' per key (did this writer
# mark an intent there). A fresh token replaces each version, except where another writer's
# intent is pending (it stays: whatever comes after it is a fresh token too); our own intent
# is released (decremented) when others are pending.
INVALIDATE = """
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  local pending = v and string.sub(v, 1, 1) == '!'
  local mine = string.sub(ARGV[3], i, i) == '1'
  local n = pending and (tonumber(string.sub(v, 2)) or 1) or 0
  if pending and mine and n > 1 then
    redis.call('SET', KEYS[i], '!' .. (n - 1), 'KEEPTTL')
  elseif mine or not pending then
    redis.call('SET', KEYS[i], ARGV[1] .. 'i' .. i, 'PX', ARGV[2])
  end
end
return #KEYS
"""

# KEYS: owner, generation shards...  ARGV: the server's identity, fresh token, version ttl_ms.
# The first connection to a Redis whose identity differs from the one recorded starts a new
# generation and records the identity; every later one finds it recorded.
IDENTITY = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[2] .. 'g' .. i, 'PX', ARGV[3]) end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""
