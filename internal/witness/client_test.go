package witness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestClientFollowsNoRedirect: a witness that redirects gets no second
// request; the 3xx is the answer (no verdict, tried again later).
func TestClientFollowsNoRedirect(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/add-checkpoint", http.StatusTemporaryRedirect)
	}))
	defer moved.Close()
	ans, err := (&Client{URL: moved.URL}).Add(context.Background(), AddCheckpoint{Checkpoint: []byte("o\n1\nAAAA\n")})
	if err != nil || ans.Status != http.StatusTemporaryRedirect || elsewhere.Load() != 0 {
		t.Fatalf("answer %+v, err %v, %d requests to the redirect's target", ans, err, elsewhere.Load())
	}
}
