package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
)

// newServer is the HTTP server with the limits of l: a slow client is cut
// off (read header, read and write timeouts), an idle connection closed, and
// oversized headers answered 431 by net/http before any handler runs.
//
// Shutdown (SIGTERM) stops accepting, lets requests in flight finish within
// --shutdown-timeout, then closes Redis. Appends are batched, but every
// handler waits for its own entry to be in the log (or to have failed), so
// once the server has shut down no append is pending and Redis may close.
func newServer(l limitsConf, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}

// serveAdmin serves h (the metrics) on --admin-listen, and returns a function
// that stops it.
func serveAdmin(c serveConf, h http.Handler, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", c.AdminListen)
	if err != nil {
		return nil, err
	}
	srv := newServer(c.Limits, h)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin listener failed", "err", err)
		}
	}()
	log.Info("livc-broker admin (metrics) listening", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.Limits.ShutdownTimeout)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
