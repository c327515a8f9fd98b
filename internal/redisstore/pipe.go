package redisstore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// readPipe sends the read scripts of the hot path (ReadSubject on every card
// read, LookupSubject on every submission) of concurrent requests to Redis
// together, in one pipeline. Each round trip costs Redis and the broker
// system calls that, on a busy two-core machine, cost more than the scripts
// themselves: four reads pipelined take Redis about half the CPU each that
// four round trips take (BENCHMARKS.md). While no pipeline is in flight, a
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

// pipeRead is one script run waiting for its pipeline.
type pipeRead struct {
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
	done   chan struct{}
}

func newReadPipe(c redis.UniversalClient) *readPipe { return &readPipe{c: c} }

// run runs script with keys and args, at once or in the next pipeline, and
// returns its reply, as script.Run would. A ctx that ends first returns
// ctx's error; the read may still be sent, and its reply is dropped.
func (p *readPipe) run(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	if err := ctx.Err(); err != nil {
		return failedCmd(ctx, err)
	}
	r := &pipeRead{script: script, keys: keys, args: args, done: make(chan struct{})}
	p.mu.Lock()
	if !p.inFlight {
		p.inFlight = true
		p.mu.Unlock()
		p.lead([]*pipeRead{r})
		return r.cmd
	}
	p.queue = append(p.queue, r)
	p.mu.Unlock()
	select {
	case <-r.done:
		return r.cmd
	case <-ctx.Done():
		return failedCmd(ctx, ctx.Err())
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
var errPipeBroken = errors.New("redisstore: the read pipeline failed")

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
				r.cmd = failedCmd(context.Background(), errPipeBroken)
				close(r.done)
			}
		}
	}()
	p.send(batch)
}

// send runs batch in one pipeline and answers each read. A script Redis does
// not have cached yet (NOSCRIPT, after a restart or a failover) is run again
// alone with script.Run, which loads it.
func (p *readPipe) send(batch []*pipeRead) {
	ctx, cancel := context.WithTimeout(context.Background(), pipeTimeout)
	defer cancel()
	if len(batch) == 1 { // no pipeline to build: the read as it comes
		r := batch[0]
		r.cmd = r.script.Run(ctx, p.c, r.keys, r.args...)
		close(r.done)
		return
	}
	pipe := p.c.Pipeline()
	for _, r := range batch {
		r.cmd = r.script.EvalSha(ctx, pipe, r.keys, r.args...)
	}
	pipe.Exec(ctx) // each command holds its own reply or error
	for _, r := range batch {
		if err := r.cmd.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			r.cmd = r.script.Run(ctx, p.c, r.keys, r.args...)
		}
		close(r.done)
	}
}

func failedCmd(ctx context.Context, err error) *redis.Cmd {
	cmd := redis.NewCmd(ctx)
	cmd.SetErr(err)
	return cmd
}
