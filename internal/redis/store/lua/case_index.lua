-- reindex(P, id, seq, old, new), prepended to create_case.lua and update_case.lua:
-- caseIndexLua in scripts.go says what it does.
local function roster_of(doc)
  if not doc then return {} end
  local r = doc['roster']
  if type(r) ~= 'table' then return {} end
  return r
end
local function open_of(doc)
  return doc and doc['state'] ~= 'closed'
end
local function prio_of(doc)
  local p = doc['priority']
  if type(p) ~= 'number' or p == 0 then return 'none' end
  return tostring(p)
end
local function count(P, doc, by)
  if not doc then return end
  redis.call('HINCRBY', P .. 'stats:cases', 'state:' .. doc['state'], by)
  redis.call('HINCRBY', P .. 'stats:cases', 'category:' .. doc['category'], by)
  redis.call('HINCRBY', P .. 'stats:cases', 'priority:' .. prio_of(doc), by)
end
local function reindex(P, id, seq, old, new)
  local keep = {}
  if open_of(new) then
    for _, a in ipairs(roster_of(new)) do
      keep[a] = true
      redis.call('ZADD', P .. 'actor:' .. a .. ':cases', seq, id)
    end
  end
  for _, a in ipairs(roster_of(old)) do
    if not keep[a] then redis.call('ZREM', P .. 'actor:' .. a .. ':cases', id) end
  end
  count(P, old, -1)
  count(P, new, 1)
end
