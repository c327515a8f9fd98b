package audit

// The audit log's Lua scripts: what each needs and returns. Redis runs a
// script alone, so each is one atomic step on the keys of one log (one hash
// slot).

import (
	_ "embed"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/internal/redis/internal/plan"
)

// batchScript appends a batch, each entry with its write, if the counter
// equals the expected index and no other process holds the turn at that
// index. It begins with the plan functions (plan.Lua: plan_check and
// plan_apply).
//
// KEYS: head, stream, tree (the layout before tiles: it must not exist),
// ids, then T tile keys (tileKeysFor the batch), then the keys of the
// plans. ARGV: the expected index n, the owner, the count k, T, then for
// each entry: doc, leaf, id, its new tile hashes (tileHashes: hash j goes
// to the tile of level j), the length m of its plan, and m plan items
// (m = 0: no write).
//
// It first checks the type of the log's keys, that the tree is in tiles,
// that the last tile of each level holds as many hashes as the head's size
// gives, and that each entry's tile hashes are as many as its index gives,
// each for a declared tile (an error, nothing written, if not). For each
// entry in order it checks the plan (plan_check: everything its ops could
// fail on), adds the entry to the stream, and only then applies the plan;
// after the last entry it stores the written entries' ids and hashes, in
// one HSET and one APPEND per tile (fewer calls: each costs Redis more than
// the command itself),
// which cannot fail; on a failed check, or a stream that refuses the
// entry's id, it stops there with nothing of that entry written. A plan is
// checked right before it is applied, not with the others up front, because
// its checks must see the writes of the entries before it (two creations of
// one dossier id in a batch).
//
// It returns {status, base, written, code}: status 1 when every entry is in,
// 2 when the entry after the first written ones failed its check (code: the
// check, -1 for a type or counter), 3 when the stream refused that entry, 0
// on a conflict (base: the counter). written counts the entries of the batch
// in the log on return, from index n; a replay of a run whose reply was lost
// is recognised by the head's leaf and resumes after what that run wrote.
var batchScript = redis.NewScript(plan.Lua + batchLua)

// pushScript appends a signed checkpoint unless one of that size or larger
// was pushed already (by another process). KEYS: head, checkpoints. ARGV:
// size, signed note. It returns the list's new length when pushed, else 0.
var pushScript = redis.NewScript(pushCheckpointLua)

// dropScript removes the given notes from a list of checkpoints, each once,
// if still there. KEYS: checkpoints. ARGV: the notes. It returns how many it
// removed.
var dropScript = redis.NewScript(dropCheckpointsLua)

// renewFollowScript extends a follower's claim (follow.go) only while it is
// still the caller's. KEYS: the claim. ARGV: token, time to live in ms. It
// returns 1 when extended, else 0.
var renewFollowScript = redis.NewScript(renewClaimLua)

// releaseFollowScript deletes a follower's claim only while it is still the
// caller's. KEYS: the claim. ARGV: token. It returns 1 when deleted, else 0.
var releaseFollowScript = redis.NewScript(releaseClaimLua)

// migrateScript deletes a tree string moved into tiles (migrate.go), if
// the log is still as migrated. KEYS: head, tree, then the last tile of
// each level at size n. ARGV: n, the string's length, then the length each
// tile must have. It returns 1 when it deleted the string, 0 when it was
// gone already (another process migrated it), and an error, nothing
// deleted, when the head, the string or a tile differ.
var migrateScript = redis.NewScript(migrateLua)

// The scripts' sources, one file each under lua/ (lua_test.go runs each
// against Redis).
var (
	//go:embed lua/batch.lua
	batchLua string
	//go:embed lua/push_checkpoint.lua
	pushCheckpointLua string
	//go:embed lua/drop_checkpoints.lua
	dropCheckpointsLua string
	//go:embed lua/renew_claim.lua
	renewClaimLua string
	//go:embed lua/release_claim.lua
	releaseClaimLua string

	//go:embed lua/migrate.lua
	migrateLua string
)
