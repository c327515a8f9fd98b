package audit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

func TestEntriesAfter(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell := context.Background(), redistest.NewCell(t, c)
		l := New(c)
		for i := range 7 {
			if err := l.Append(ctx, entry(cell, i)); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name       string
			after      int64
			n          int
			first, len int64
		}{
			{"from the start", -1, 3, 0, 3},
			{"a middle page", 2, 3, 3, 3},
			{"the tail, short", 4, 10, 5, 2},
			{"past the end", 6, 10, 0, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := l.EntriesAfter(ctx, cell, tc.after, tc.n)
				if err != nil {
					t.Fatal(err)
				}
				if int64(len(got)) != tc.len {
					t.Fatalf("%d entries, want %d", len(got), tc.len)
				}
				for i, e := range got {
					if e.Index != tc.first+int64(i) || e.LeafHash == "" || e.Livc != cell {
						t.Errorf("entry %d: index %d leaf %q livc %q", i, e.Index, e.LeafHash, e.Livc)
					}
				}
			})
		}
		t.Run("a deleted entry is an error, not a skip", func(t *testing.T) {
			key, _ := StreamKey(cell)
			c.XDel(ctx, key, "0-4") // entry 3
			if _, err := l.EntriesAfter(ctx, cell, 1, 5); err == nil || !strings.Contains(err.Error(), "entry 3 expected") {
				t.Errorf("got %v, want entry 3 expected", err)
			}
		})
		t.Run("bad arguments", func(t *testing.T) {
			if _, err := l.EntriesAfter(ctx, cell, -2, 5); err == nil {
				t.Error("after -2 accepted")
			}
			if _, err := l.EntriesAfter(ctx, "{bad}", -1, 5); err == nil {
				t.Error("a bad cell id accepted")
			}
		})
	})
}

func TestFollowCursor(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell := context.Background(), redistest.NewCell(t, c)
		l := New(c)
		if i, err := l.FollowCursor(ctx, cell, "file"); err != nil || i != -1 {
			t.Fatalf("a new cursor: %d, %v; want -1", i, err)
		}
		if err := l.SetFollowCursor(ctx, cell, "file", 41); err != nil {
			t.Fatal(err)
		}
		if i, _ := l.FollowCursor(ctx, cell, "file"); i != 41 {
			t.Errorf("cursor %d, want 41", i)
		}
		if i, _ := l.FollowCursor(ctx, cell, "syslog"); i != -1 {
			t.Errorf("another follower's cursor %d, want -1", i)
		}
		for _, name := range []string{"", "File", "a/b", strings.Repeat("x", 33)} {
			if err := l.SetFollowCursor(ctx, cell, name, 1); err == nil {
				t.Errorf("follower name %q accepted", name)
			}
		}
		key, _ := StreamKey(cell)
		c.Set(ctx, key+":follow:file", "not a number", 0)
		if _, err := l.FollowCursor(ctx, cell, "file"); err == nil {
			t.Error("a corrupt cursor read as an index")
		}
	})
}

func TestClaimFollow(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, cell := context.Background(), redistest.NewCell(t, c)
		a, b := New(c), New(c) // two broker processes
		renew, release, ok, err := a.ClaimFollow(ctx, cell, "file", time.Minute)
		if err != nil || !ok {
			t.Fatalf("first claim: %v %v", ok, err)
		}
		if _, _, ok, _ := b.ClaimFollow(ctx, cell, "file", time.Minute); ok {
			t.Fatal("a second process claimed a held log")
		}
		if _, rel, ok, _ := b.ClaimFollow(ctx, cell, "syslog", time.Minute); !ok {
			t.Error("another output's claim refused")
		} else {
			rel()
		}
		if !renew() {
			t.Error("the holder could not renew")
		}
		release()
		if renew() {
			t.Error("renewed a released claim")
		}
		_, release2, ok, _ := b.ClaimFollow(ctx, cell, "file", time.Minute)
		if !ok {
			t.Fatal("claim refused after release")
		}
		release() // the old holder's release must not free the new claim
		if _, _, ok, _ := a.ClaimFollow(ctx, cell, "file", time.Minute); ok {
			t.Error("a stale release freed another's claim")
		}
		release2()
	})
}
