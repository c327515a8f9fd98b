package redisstore

import (
	"context"
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
// four round trips take (BENCHMARKS.md). A read is sent at once while fewer
// than pipeSlots pipelines are in flight; past that, reads queue and go
// together in the next one. A read waits for no write: the audit log's
// batches have connections of their own.
type readPipe struct {
	c     redis.UniversalClient
	once  sync.Once
	reqs  chan *pipeRead
	slots chan struct{}
}

// pipeSlots bounds the pipelines in flight; maxPipeBatch the reads of one.
// With one, reads that arrive while a pipeline is out go together in the
// next (four on average under the load tool's card reads at 16 clients);
// with two, hardly any did, and nothing was saved.
const (
	pipeSlots    = 1
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

func newReadPipe(c redis.UniversalClient) *readPipe {
	return &readPipe{c: c, reqs: make(chan *pipeRead, maxPipeBatch), slots: make(chan struct{}, pipeSlots)}
}

// run runs script with keys and args in the next pipeline and returns its
// reply, as script.Run would. A ctx that ends first returns ctx's error;
// the read may still be sent, and its reply is dropped.
func (p *readPipe) run(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	if err := ctx.Err(); err != nil {
		return failedCmd(ctx, err)
	}
	p.once.Do(func() { go p.dispatch() })
	r := &pipeRead{script: script, keys: keys, args: args, done: make(chan struct{})}
	select {
	case p.reqs <- r:
	case <-ctx.Done():
		return failedCmd(ctx, ctx.Err())
	}
	select {
	case <-r.done:
		return r.cmd
	case <-ctx.Done():
		return failedCmd(ctx, ctx.Err())
	}
}

// dispatch takes the reads waiting, up to maxPipeBatch, once a slot is
// free, and sends them. It lives as long as the process, like the audit
// log's batchers.
func (p *readPipe) dispatch() {
	for r := range p.reqs {
		p.slots <- struct{}{}
		batch := []*pipeRead{r}
	more:
		for len(batch) < maxPipeBatch {
			select {
			case q := <-p.reqs:
				batch = append(batch, q)
			default:
				break more
			}
		}
		go func() {
			defer func() { <-p.slots }()
			p.send(batch)
		}()
	}
}

// send runs batch in one pipeline and answers each read. A script Redis does
// not have cached yet (NOSCRIPT, after a restart or a failover) is run again
// alone with script.Run, which loads it.
func (p *readPipe) send(batch []*pipeRead) {
	ctx, cancel := context.WithTimeout(context.Background(), pipeTimeout)
	defer cancel()
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
