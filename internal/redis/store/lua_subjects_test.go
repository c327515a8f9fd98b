package store

// Tests of the subject scripts (lua/link_subject.lua, lookup_subject.lua,
// data_key.lua, replace_data_key.lua, erase_subject.lua) run directly, on
// their KEYS and ARGV, against real Redis and miniredis, each in a fresh
// cell: what they write, what they return, and what they refuse.

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// luaCell returns a fresh cell's key prefix on c.
func luaCell(t *testing.T, c redis.UniversalClient) string {
	return "livc:{livc:" + redistest.NewCell(t, c) + "}:"
}

// runLua runs script and returns its reply, nil for a nil reply; it fails
// the test on any other error.
func runLua(t *testing.T, c redis.UniversalClient, s *redis.Script, keys []string, args ...any) any {
	t.Helper()
	v, err := s.Run(context.Background(), c, keys, args...).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		t.Fatalf("script: %v", err)
	}
	return v
}

func TestLinkSubjectLua(t *testing.T) {
	tests := []struct {
		name     string
		linked   map[string]string // alias -> ref, before
		aliases  []string
		want     string
		wantLink map[string]string // alias -> ref, after
	}{
		{"fresh aliases take the new ref", nil, []string{"a1", "a2"}, "new",
			map[string]string{"a1": "new", "a2": "new"}},
		{"the first linked alias gives the ref", map[string]string{"a2": "old"}, []string{"a1", "a2"}, "old",
			map[string]string{"a1": "old", "a2": "old"}},
		{"an alias linked to another ref keeps its link", map[string]string{"a1": "r1", "a2": "r2"}, []string{"a1", "a2", "a3"}, "r1",
			map[string]string{"a1": "r1", "a2": "r2", "a3": "r1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
				ctx, p := context.Background(), luaCell(t, c)
				for a, r := range tc.linked {
					c.HSet(ctx, p+"aliases", a, r)
				}
				args := []any{p + "subject:", "new"}
				for _, a := range tc.aliases {
					args = append(args, a)
				}
				if got := runLua(t, c, linkScript, []string{p + "aliases"}, args...); got != tc.want {
					t.Fatalf("ref %v, want %s", got, tc.want)
				}
				for a, r := range tc.wantLink {
					if got := c.HGet(ctx, p+"aliases", a).Val(); got != r {
						t.Errorf("alias %s -> %q, want %s", a, got, r)
					}
					if _, before := tc.linked[a]; !before && !c.SIsMember(ctx, p+"subject:"+r+":aliases", a).Val() {
						t.Errorf("alias %s missing from the alias set of %s", a, r)
					}
				}
			})
		})
	}
}

func TestLookupSubjectLua(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, p := context.Background(), luaCell(t, c)
		keys := []string{p + "aliases"}
		got := runLua(t, c, lookupScript, keys, p+"subject:", "new", "a1", "a2").([]any)
		if got[0] != "new" || !slices.Equal(got[1].([]any), []any{"", ""}) || got[2] != nil {
			t.Fatalf("nothing linked: %v", got)
		}
		if n := c.Exists(ctx, p+"aliases", p+"subject:new:datakey").Val(); n != 0 {
			t.Fatalf("a lookup wrote %d keys", n)
		}
		c.HSet(ctx, p+"aliases", "a2", "old")
		c.Set(ctx, p+"subject:old:datakey", "dk", 0)
		got = runLua(t, c, lookupScript, keys, p+"subject:", "new", "a1", "a2").([]any)
		if got[0] != "old" || !slices.Equal(got[1].([]any), []any{"", "old"}) || got[2] != "dk" {
			t.Fatalf("a2 linked: %v", got)
		}
		if c.HExists(ctx, p+"aliases", "a1").Val() {
			t.Fatal("a lookup linked an alias")
		}
	})
}

func TestDataKeyLua(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		p := luaCell(t, c)
		keys := []string{p + "subject:r:datakey"}
		if got := runLua(t, c, dataKeyScript, keys, "first"); got != "first" {
			t.Fatalf("first call: %v", got)
		}
		if got := runLua(t, c, dataKeyScript, keys, "second"); got != "first" {
			t.Fatalf("a second candidate: %v, want the first one's key", got)
		}
		if got := c.Get(context.Background(), keys[0]).Val(); got != "first" {
			t.Fatalf("stored %q", got)
		}
	})
}

func TestReplaceDataKeyLua(t *testing.T) {
	tests := []struct {
		name, stored, prev, next string
		want                     int64
		after                    string // "" for no key
	}{
		{"holds prev: replaced", "a", "a", "b", 1, "b"},
		{"holds another: refused", "c", "a", "b", 0, "c"},
		{"gone: refused, not created", "", "a", "b", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
				ctx, key := context.Background(), luaCell(t, c)+"subject:r:datakey"
				if tc.stored != "" {
					c.Set(ctx, key, tc.stored, 0)
				}
				if got := runLua(t, c, casScript, []string{key}, tc.prev, tc.next); got != tc.want {
					t.Fatalf("reply %v, want %d", got, tc.want)
				}
				if got, _ := c.Get(ctx, key).Result(); got != tc.after {
					t.Fatalf("stored %q, want %q", got, tc.after)
				}
			})
		})
	}
}

func TestEraseSubjectLua(t *testing.T) {
	tests := []struct {
		name  string
		setup func(ctx context.Context, c redis.UniversalClient, p, sp string)
		want  any
	}{
		{"nothing stored: nil", func(context.Context, redis.UniversalClient, string, string) {}, nil},
		{"records without a data key: empty", func(ctx context.Context, c redis.UniversalClient, p, sp string) {
			c.HSet(ctx, sp+"records", "sig_1", "x")
		}, ""},
		{"everything: the data key", func(ctx context.Context, c redis.UniversalClient, p, sp string) {
			c.Set(ctx, sp+"datakey", "dk", 0)
			c.HSet(ctx, sp+"records", "sig_1", "x")
			c.RPush(ctx, sp+"record-ids", "sig_1")
			c.SAdd(ctx, sp+"cases", "case_1")
			c.HSet(ctx, p+"aliases", "mine", "r")
			c.SAdd(ctx, sp+"aliases", "mine")
			// An alias of the set that points at another ref now (relinked
			// since) keeps its link.
			c.HSet(ctx, p+"aliases", "relinked", "other")
			c.SAdd(ctx, sp+"aliases", "relinked")
		}, "dk"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
				ctx, p := context.Background(), luaCell(t, c)
				sp := p + "subject:r:"
				tc.setup(ctx, c, p, sp)
				keys := []string{p + "aliases", sp + "datakey", sp + "records", sp + "record-ids", sp + "aliases", sp + "cases"}
				if got := runLua(t, c, eraseScript, keys, "r"); got != tc.want {
					t.Fatalf("reply %v, want %v", got, tc.want)
				}
				if n := c.Exists(ctx, keys[1:]...).Val(); n != 0 {
					t.Errorf("%d of the subject's keys left", n)
				}
				if c.HExists(ctx, p+"aliases", "mine").Val() {
					t.Error("the subject's own alias is still linked")
				}
				if got := c.HGet(ctx, p+"aliases", "relinked").Val(); tc.want == "dk" && got != "other" {
					t.Errorf("an alias of another ref unlinked: %q", got)
				}
			})
		})
	}
}
