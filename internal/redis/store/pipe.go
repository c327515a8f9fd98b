package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// readPipe sends the reads of the hot path (ReadSubject on every card read,
// LookupSubject on every submission) of concurrent requests to Redis
// together, in one pipeline: one MULTI, so each read sees one moment of the
// store. A Store has one readPipe per cell, so that a MULTI stays within the
// cell's hash slot on a Redis Cluster. Each round trip costs Redis and the
// broker system calls that, on a busy two-core machine, cost more than the
// reads themselves: four reads pipelined take Redis about half the CPU each
// that four round trips take (BENCHMARKS.md). While no pipeline is in flight, a
// read is sent at once by its own goroutine; reads that arrive while one is
// in flight queue, and go together in the next, sent when it returns. A
// read waits for no write: the audit log's batches have connections of
// their own.
type readPipe struct {
	c        redis.UniversalClient
	mu       sync.Mutex
	inFlight bool        // a pipeline is out
	queue    []*pipeRead // reads waiting for the next one
}

// maxPipeBatch bounds the reads of one pipeline.
const (
	maxPipeBatch = 64
	// pipeTimeout bounds one pipeline, whose reads outlive the requests
	// that asked for them: a read already sent is not withdrawn.
	pipeTimeout = 10 * time.Second
)

// pipeRead is one read waiting for its pipeline. queue adds its commands
// to the pipeline and returns them; it may be called again, alone, when a
// script it runs had to be loaded first (scripts).
type pipeRead struct {
	queue   func(ctx context.Context, p redis.Pipeliner) []redis.Cmder
	scripts []*redis.Script
	err     error // set before done is closed
	done    chan struct{}
}

func newReadPipe(c redis.UniversalClient) *readPipe { return &readPipe{c: c} }

// run sends the commands queue adds (to a pipeline, within a MULTI), at
// once or with the next pipeline, and returns once they are answered: nil
// when Redis answered them all (each command then holds its reply or its
// own error), else the error of the round trip. scripts are those queue
// runs with EvalSha, loaded again when Redis has dropped them (NOSCRIPT,
// after a restart or a failover). A ctx that ends first returns ctx's
// error; the read may still be sent, and its replies are dropped: the
// caller must not look at its commands then.
func (p *readPipe) run(ctx context.Context, scripts []*redis.Script, queue func(ctx context.Context, p redis.Pipeliner) []redis.Cmder) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &pipeRead{queue: queue, scripts: scripts, done: make(chan struct{})}
	p.mu.Lock()
	if !p.inFlight {
		p.inFlight = true
		p.mu.Unlock()
		p.lead([]*pipeRead{r})
		return r.err
	}
	p.queue = append(p.queue, r)
	p.mu.Unlock()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// next sends the reads that queued while a pipeline was out, up to
// maxPipeBatch, in a goroutine that goes on while more queue; with none
// queued, the pipe is idle again.
func (p *readPipe) next() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		p.inFlight = false
		return
	}
	n := min(len(p.queue), maxPipeBatch)
	batch := p.queue[:n:n]
	p.queue = p.queue[n:]
	if len(p.queue) == 0 {
		p.queue = nil
	}
	go p.lead(batch)
}

// errPipeBroken answers the reads of a pipeline whose sending panicked.
var errPipeBroken = errors.New("store: the read pipeline failed")

// lead sends batch, then hands the pipe on (next). Even if sending panics
// (a driver's bug; the gateway recovers the request as a 500) the pipe is
// handed on and every read of batch is answered, with errPipeBroken: a
// panic fails its own reads, never every read after it.
func (p *readPipe) lead(batch []*pipeRead) {
	defer p.next()
	defer func() {
		for _, r := range batch {
			select {
			case <-r.done:
			default:
				r.err = errPipeBroken
				close(r.done)
			}
		}
	}()
	p.send(batch)
}

// send runs batch in one pipeline, within one MULTI, and answers each read.
// A read whose script Redis does not have cached (NOSCRIPT) is run again
// alone once its scripts are loaded.
func (p *readPipe) send(batch []*pipeRead) {
	ctx, cancel := context.WithTimeout(context.Background(), pipeTimeout)
	defer cancel()
	cmds := make([][]redis.Cmder, len(batch))
	_, err := p.c.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		for i, r := range batch {
			cmds[i] = r.queue(ctx, tx)
		}
		return nil
	})
	if roundTripFailed(err) {
		for _, r := range batch {
			r.err = err
			close(r.done)
		}
		return
	}
	for i, r := range batch {
		if anyNoScript(cmds[i]) {
			r.err = p.again(ctx, r)
		}
		close(r.done)
	}
}

// again loads r's scripts and runs r alone.
func (p *readPipe) again(ctx context.Context, r *pipeRead) error {
	for _, s := range r.scripts {
		if err := s.Load(ctx, p.c).Err(); err != nil {
			return err
		}
	}
	_, err := p.c.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		r.queue(ctx, tx)
		return nil
	})
	if roundTripFailed(err) {
		return err
	}
	return nil
}

// roundTripFailed reports whether err, the error of a pipeline, is its own
// (Redis did not answer) rather than one of its commands' (an error reply,
// or redis.Nil for a missing key), which each command holds for its reader.
func roundTripFailed(err error) bool {
	var reply redis.Error
	return err != nil && !errors.As(err, &reply)
}

// anyNoScript reports whether a command failed for a script Redis does not
// have.
func anyNoScript(groups ...[]redis.Cmder) bool {
	for _, cmds := range groups {
		for _, c := range cmds {
			if err := c.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
				return true
			}
		}
	}
	return false
}
