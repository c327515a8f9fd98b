package store

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// brokerACLRules reads the rules of the livc-broker user from
// deploy/users.acl, without its password.
func brokerACLRules(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../../../deploy/users.acl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "user ") {
			t.Fatalf("deploy/users.acl: %q: Redis takes only user lines in an ACL file, no comment", sc.Text())
		}
		fields := strings.Fields(sc.Text())
		if len(fields) > 2 && fields[0] == "user" && fields[1] == "livc-broker" {
			return slices.DeleteFunc(fields[2:], func(r string) bool { return strings.HasPrefix(r, "#") || strings.HasPrefix(r, ">") })
		}
	}
	t.Fatal("deploy/users.acl has no user livc-broker")
	return nil
}

// TestACLFileAgrees: deploy/users.acl grants the broker's user exactly the
// commands of ACLCommands, by name, on livc:* only, no channel, no
// category.
func TestACLFileAgrees(t *testing.T) {
	rules := brokerACLRules(t)
	var granted []string
	for _, r := range rules {
		switch {
		case strings.HasPrefix(r, "+@") || r == "allcommands" || r == "allkeys" || r == "allchannels" || r == "~*" || r == "&*":
			t.Errorf("%q grants more than the broker needs", r)
		case strings.HasPrefix(r, "+"):
			granted = append(granted, r[1:])
		case strings.HasPrefix(r, "~") && r != "~"+ACLKeyPattern:
			t.Errorf("key pattern %q: the broker needs ~%s only", r, ACLKeyPattern)
		}
	}
	for _, want := range []string{"on", "resetkeys", "~" + ACLKeyPattern, "resetchannels", "-@all"} {
		if !slices.Contains(rules, want) {
			t.Errorf("the broker's ACL lacks %q", want)
		}
	}
	slices.Sort(granted)
	want := slices.Sorted(slices.Values(ACLCommands))
	if !slices.Equal(granted, want) {
		t.Errorf("deploy/users.acl grants\n%v\nthe broker runs\n%v", granted, want)
	}
}

// aclUser creates a Redis user with the documented rules changed by edits
// and returns a store connected as it.
func aclUser(t *testing.T, admin redis.UniversalClient, edits ...string) *Store {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 8)
	rand.Read(b)
	name, pass := "livc-acl-test-"+hex.EncodeToString(b), hex.EncodeToString(b)+"-pw"
	args := []any{"ACL", "SETUSER", name, "reset", ">" + pass}
	for _, r := range append(brokerACLRules(t), edits...) {
		args = append(args, r)
	}
	if err := admin.Do(ctx, args...).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Do(ctx, "ACL", "DELUSER", name) })
	opt := admin.(*redis.Client).Options()
	c := redis.NewClient(&redis.Options{Addr: opt.Addr, Username: name, Password: pass, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return New(c)
}

// TestPingACL: under the documented ACL Ping passes, and changes no key;
// each command taken away, or the key pattern, fails it with a detail that
// names what is missing.
func TestPingACL(t *testing.T) {
	ctx := context.Background()
	admin := redistest.OpenReal(t)
	if err := aclUser(t, admin).Ping(ctx); err != nil {
		t.Fatalf("Ping under the documented ACL: %v", err)
	}
	before, err := admin.HGetAll(ctx, aclProbeKeys[1]).Result()
	if err != nil || admin.Get(ctx, aclProbeKeys[0]).Val() != "1" || admin.Exists(ctx, aclProbeKeys[2]).Val() != 0 {
		t.Fatalf("the probe keys are not as the probe leaves them: %v %v", before, err)
	}
	if err := aclUser(t, admin).Ping(ctx); err != nil {
		t.Fatalf("Ping again: %v", err)
	}
	after, _ := admin.HGetAll(ctx, aclProbeKeys[1]).Result()
	if len(after) != 1 || after["f"] != "1" || admin.Get(ctx, aclProbeKeys[0]).Val() != "1" || admin.Exists(ctx, aclProbeKeys[2]).Val() != 0 {
		t.Fatalf("the probe wrote: hash %v", after)
	}
	for _, tc := range []struct {
		name  string
		edits []string
		want  string
	}{
		{"no scripts", []string{"-evalsha"}, "may not run its scripts"},
		{"no EVAL", []string{"-eval"}, "may not run EVAL"},
		{"no MULTI", []string{"-multi"}, "may not run MULTI/EXEC"},
		{"no HSET", []string{"-hset"}, "may not run HSET"},
		{"no XADD nor TIME", []string{"-xadd", "-time"}, "may not run TIME, XADD"},
		{"no SET", []string{"-set"}, "may not run SET"},
		{"no deletion", []string{"-del", "-getdel"}, "may not run DEL, GETDEL"},
		{"no SCAN", []string{"-scan"}, "may not run SCAN"},
		{"read-only keys", []string{"resetkeys", "%R~livc:*"}, "it needs ~livc:*"},
		{"other keys", []string{"resetkeys", "~other:*"}, "may not use the broker's keys (it needs ~livc:*)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := aclUser(t, admin, tc.edits...).Ping(ctx)
			var be *broker.Error
			if !errors.As(err, &be) || be.Kind != broker.KindUnavailable || !strings.Contains(be.Detail, tc.want) {
				t.Fatalf("Ping: %v; want unavailable saying %q", err, tc.want)
			}
			if strings.Contains(be.Detail, "livc-acl-test") {
				t.Fatalf("the detail names the user: %s", be.Detail)
			}
		})
	}
	// The embedded store (miniredis) runs the probe too.
	if err := New(redistest.OpenMini(t)).Ping(ctx); err != nil {
		t.Fatalf("Ping on the embedded store: %v", err)
	}
}

// TestPingACLProbeKeyTaken: if the key the probe's reads and deletions go
// to exists, the probe refuses and leaves it as it was (its GETDEL, DEL,
// HDEL, LREM... would otherwise change it), and /readyz's detail names no
// key.
func TestPingACLProbeKeyTaken(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		set  func(c redis.UniversalClient) error
		kind string
	}{
		{"string", func(c redis.UniversalClient) error { return c.Set(ctx, aclProbeKeys[2], "keep", 0).Err() }, "string"},
		{"hash", func(c redis.UniversalClient) error { return c.HSet(ctx, aclProbeKeys[2], "f", "keep").Err() }, "hash"},
		{"list", func(c redis.UniversalClient) error { return c.RPush(ctx, aclProbeKeys[2], "x").Err() }, "list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := redistest.OpenMini(t)
			if err := tc.set(c); err != nil {
				t.Fatal(err)
			}
			err := New(c).Ping(ctx)
			var be *broker.Error
			if !errors.As(err, &be) || be.Kind != broker.KindUnavailable || !strings.Contains(be.Detail, "probe's own keys") {
				t.Fatalf("Ping: %v; want unavailable about the probe's keys", err)
			}
			if strings.Contains(be.Detail, "livc:") {
				t.Fatalf("the detail names a key: %s", be.Detail)
			}
			if got := c.Type(ctx, aclProbeKeys[2]).Val(); got != tc.kind || c.PTTL(ctx, aclProbeKeys[2]).Val() >= 0 {
				t.Fatalf("the probe changed %s: type %q, ttl %v", aclProbeKeys[2], got, c.PTTL(ctx, aclProbeKeys[2]).Val())
			}
		})
	}
}
