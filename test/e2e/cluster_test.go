package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/conn"
	"github.com/livc/livc-broker/internal/redis/store"
)

// startCluster starts n redis-servers in cluster mode, gives each an equal
// share of the 16,384 slots, joins them, and returns their addresses once
// every node reports the cluster ok.
func startCluster(t testing.TB, n int) []string {
	t.Helper()
	ctx := context.Background()
	var addrs []string
	var nodes []*redis.Client
	for i := range n {
		r := startRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
		c := r.client(t)
		lo, hi := i*16384/n, (i+1)*16384/n-1
		must(t, c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err())
		addrs, nodes = append(addrs, r.Addr), append(nodes, c)
	}
	for _, a := range addrs[1:] {
		host, port, _ := strings.Cut(a, ":")
		must(t, nodes[0].Do(ctx, "CLUSTER", "MEET", host, port).Err())
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, c := range nodes {
		for {
			info := c.ClusterInfo(ctx).Val()
			if strings.Contains(info, "cluster_state:ok") && strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", n)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the cluster did not form:\n%s", info)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return addrs
}

// TestBrokerOnRedisCluster runs the broker on a three-node Redis Cluster:
// submissions (one script with the audit entry), a dossier, card reads (one
// MULTI of a script and plain reads, pipelined) and the audit log's verify,
// over HTTP with real tokens and age envelopes; then the store read by
// concurrent requests of several cells, whose keys sit in other slots and
// nodes, so that a pipeline mixing cells would fail with CROSSSLOT.
func TestBrokerOnRedisCluster(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	addrs := startCluster(t, 3)
	url := "redis+cluster://" + strings.Join(addrs, ",")
	b := startBroker(t, addrs[0], iss, "--config", examplePath, "--redis-url", url)

	people := make([]*person, 8)
	for i := range people {
		people[i] = &person{nn: validNN("800101", 100+i), family: fmt.Sprintf("Cluster%d", i), text: fmt.Sprintf("cluster-text-%d", i)}
	}
	submitPeople(t, b, iss, m.Livc, recipientsOf(t, b)[0], people)
	var wg sync.WaitGroup
	for range 4 {
		for _, p := range people {
			wg.Go(func() {
				if r := readBack(t, b, iss, m.Livc, p); r.Status != 200 {
					t.Errorf("card of %s: %d %s", p.ref, r.Status, r.Body)
				}
			})
		}
	}
	wg.Wait()
	r := do(t, "GET", b.URL+"/v1/audit/verify", nil, "Authorization", "Bearer "+iss.token(t, m.Livc, "dpo"), "LIVC-Purpose", "audit_review")
	if r.Status != 200 || !strings.Contains(string(r.Body), `"ok":true`) {
		t.Fatalf("audit verify on the cluster: %d %s", r.Status, r.Body)
	}

	t.Run("store, cells in other slots", func(t *testing.T) {
		c, err := conn.Open(url)
		must(t, err)
		defer c.Close()
		ctx, s := context.Background(), store.New(c)
		cells := []string{"cl-a", "cl-b", "cl-c", "cl-d", "cl-e", "cl-f"}
		for _, cell := range cells {
			must(t, s.PutRecord(ctx, cell, "s_x", broker.SealedRecord{ID: "sig_1", Sealed: []byte(cell)}))
			_, err := s.LinkSubject(ctx, cell, []string{"alias-x"}, "s_x")
			must(t, err)
		}
		var wg sync.WaitGroup
		for i := range 64 {
			cell := cells[i%len(cells)]
			wg.Go(func() {
				d, err := s.ReadSubject(ctx, cell, "s_x")
				if err != nil || len(d.Sealed) != 1 || string(d.Sealed[0].Sealed) != cell {
					t.Errorf("%s: %+v, %v", cell, d, err)
				}
				look, err := s.LookupSubject(ctx, cell, []string{"alias-x"}, "s_new")
				if err != nil || look.Ref != "s_x" {
					t.Errorf("lookup in %s: %+v, %v", cell, look, err)
				}
			})
		}
		wg.Wait()
	})
}
