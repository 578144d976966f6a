"""The Lua scripts that make a store conditional, mark write intents and install new versions.

Each runs atomically. None is on the hit path (a hit is one MGET). Version values are random
tokens or intents (``"!<writer>@<deadline_ms>,..."``); new tokens come from the caller
(``ARGV``), never from Lua.
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

# An intent version is "!<writer>@<deadline_ms>,...": each pending writer with its own deadline
# on Redis's clock (TIME), so a writer that dies before releasing its intent stops counting
# at its deadline even while later writers keep marking the key. Both scripts first drop the
# entries whose deadline passed (deadlines are capped at now + the intent ttl: a clock set
# back cannot stretch one) and give the key the TTL of the latest deadline left.
_INTENTS = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function pending(key, v, now, limit, drop)
  local out = {}
  if not v or string.sub(v, 1, 1) ~= '!' then return out end
  for entry in string.gmatch(string.sub(v, 2), '[^,]+') do
    local id, at = string.match(entry, '^(%w+)@(%d+)$')
    if not id then id, at = 'old', now + math.max(redis.call('PTTL', key), 0) end
    at = math.min(tonumber(at), now + limit)
    if at > now and id ~= drop then out[#out + 1] = {id, at} end
  end
  return out
end
local function put(key, entries, now)
  local parts, last = {}, now + 1
  for _, e in ipairs(entries) do
    parts[#parts + 1] = e[1] .. '@' .. e[2]
    last = math.max(last, e[2])
  end
  redis.call('SET', key, '!' .. table.concat(parts, ','), 'PX', last - now)
end
"""

# KEYS: version keys.  ARGV: intent ttl_ms, writer id.  This writer is about to commit under
# each key: its entry (deadline now + ttl) joins those of the writers still pending.
INTENT = (
    _INTENTS
    + """
local now, limit = now_ms(), tonumber(ARGV[1])
for i = 1, #KEYS do
  local entries = pending(KEYS[i], redis.call('GET', KEYS[i]), now, limit, ARGV[2])
  entries[#entries + 1] = {ARGV[2], now + limit}
  put(KEYS[i], entries, now)
end
return #KEYS
"""
)

# KEYS: version keys.  ARGV: fresh token, version ttl_ms, writer id ('' = none), intent
# ttl_ms. This writer's intent is released; where no other writer's intent is pending a
# fresh token replaces the version, otherwise the others' entries stay (whatever comes after
# them is a fresh token too).
INVALIDATE = (
    _INTENTS
    + """
local now, limit = now_ms(), tonumber(ARGV[4])
for i = 1, #KEYS do
  local entries = pending(KEYS[i], redis.call('GET', KEYS[i]), now, limit, ARGV[3])
  if #entries == 0 then
    redis.call('SET', KEYS[i], ARGV[1] .. 'i' .. i, 'PX', ARGV[2])
  else
    put(KEYS[i], entries, now)
  end
end
return #KEYS
"""
)

# KEYS: owner, generation (one shard's: one slot).  ARGV: the server's identity, fresh token,
# version ttl_ms. The first connection to a Redis whose identity differs from the one recorded
# starts a new generation and records the identity; every later one finds it recorded.
IDENTITY = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[2] .. 'g' .. i, 'PX', ARGV[3]) end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""
