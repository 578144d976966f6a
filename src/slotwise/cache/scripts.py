"""The Lua scripts that make a store conditional and an invalidation O(1), run atomically."""

# KEYS: value, gen, version keys..., lock, guards..., deps...  ARGV: token ('' = only release
# the lock, '*' = the current versions), payload, ttl_ms, lock token, guard token, #guards,
# #deps. Stores only if the versions still equal the token and the guards the guard token
# (nothing the value may depend on changed since the miss); the value's header records the
# current version of each dep key, which a hit checks. Releases the lock if we hold it.
STORE = """
local g = tonumber(ARGV[6])
local d = tonumber(ARGV[7])
local n = #KEYS - g - d
local stored = 0
local tok = redis.call('GET', KEYS[2])
if tok and ARGV[1] ~= '' then
  for i = 3, n - 1 do tok = tok .. ',' .. (redis.call('GET', KEYS[i]) or '0') end
  local ok = tok == ARGV[1] or ARGV[1] == '*'
  if ok and g > 0 then
    local seen = {}
    for i = n + 1, n + g do seen[#seen + 1] = redis.call('GET', KEYS[i]) or '0' end
    ok = table.concat(seen, ',') == ARGV[5]
  end
  if ok then
    local head = tok
    for i = n + g + 1, n + g + d do
      head = head .. ';' .. KEYS[i] .. '=' .. (redis.call('GET', KEYS[i]) or '0')
    end
    redis.call('SET', KEYS[1], head .. '|' .. ARGV[2], 'PX', ARGV[3])
    stored = 1
  end
end
if ARGV[4] ~= '' and redis.call('GET', KEYS[n]) == ARGV[4] then redis.call('DEL', KEYS[n]) end
return stored
"""

# KEYS: gen, version keys...  ARGV: version ttl_ms, new generation ('' = keep).
INVALIDATE = """
for i = 2, #KEYS do
  redis.call('INCR', KEYS[i])
  redis.call('PEXPIRE', KEYS[i], ARGV[1])
end
if ARGV[2] ~= '' then redis.call('SET', KEYS[1], ARGV[2]) end
return #KEYS - 1
"""
