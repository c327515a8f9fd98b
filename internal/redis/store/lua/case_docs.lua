-- case_docs(set, prefix), prepended to cases_of_subject.lua: caseDocsLua in
-- scripts.go says what it returns.
local function case_docs(set, prefix)
  local docs = {}
  for _, id in ipairs(redis.call('SMEMBERS', set)) do
    local doc = redis.call('GET', prefix .. id)
    if doc then docs[#docs + 1] = doc end
  end
  return docs
end
