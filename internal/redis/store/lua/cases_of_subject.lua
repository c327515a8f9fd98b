-- casesOfSubjectScript (after case_docs.lua) in scripts.go says what it takes and returns.
return case_docs(KEYS[1], ARGV[1])
