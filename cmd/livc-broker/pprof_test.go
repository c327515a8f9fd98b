package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
)

// The profiler listens on loopback only.
func TestStartPprof(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:0", true},
		{"localhost:0", true},
		{"0.0.0.0:0", false},
		{":0", false},
		{"10.1.2.3:0", false},
		{"no-port", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			err := startPprof(ctx, tt.addr, log)
			if (err == nil) != tt.ok {
				t.Fatalf("startPprof(%q) = %v, want ok %v", tt.addr, err, tt.ok)
			}
		})
	}
}
