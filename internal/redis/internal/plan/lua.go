package plan

import _ "embed"

// Lua defines plan_check and plan_apply, for a script that executes plans;
// it reads key names from the script's KEYS.
//
// plan_check(A, pos) checks the plan encoded at A[pos…]: it returns 0 when
// every check holds and no op of the plan can fail, i for the first check
// (1-based) that does not hold, and -1 when an op would fail on what is
// stored (a key of the wrong type, a counter INCR or HINCRBY cannot add to)
// or for an unknown check or command. It writes nothing, so a script may
// stop after it with nothing done.
//
// plan_apply(A, pos) runs the plan's ops, in order. Called only after
// plan_check returned 0 in the same script run, on a plan Validate accepted,
// none of its commands can fail: Redis does not roll back a script, so an
// error there would leave the writes before it stored.
//
// The source is lua/plan.lua; lua_test.go runs it against Redis.
//
//go:embed lua/plan.lua
var Lua string
