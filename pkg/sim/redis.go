package sim

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisMirror keeps a Redis list in step with the model's queue (one entry
// per waiting request, its id), so that a KEDA redis trigger or a Redis
// exporter reads a real list. Writes are batched on a goroutine of their own
// so that the model's loop never waits on the network.
type redisMirror struct {
	client *redis.Client
	list   string
	ops    chan redisOp
	wg     sync.WaitGroup
	errMu  sync.Mutex
	err    error
}

type redisOp struct {
	push bool
	id   string
}

func newRedisMirror(ctx context.Context, addr, list string) (*redisMirror, error) {
	c := redis.NewClient(&redis.Options{Addr: addr})
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Del(pctx, list).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redis %s: clear list %q: %w", addr, list, err)
	}
	r := &redisMirror{client: c, list: list, ops: make(chan redisOp, 1<<16)}
	r.wg.Add(1)
	go r.run()
	return r, nil
}

func (r *redisMirror) enqueued(req *Request) {
	r.ops <- redisOp{push: true, id: strconv.FormatUint(req.ID, 10)}
}

func (r *redisMirror) dequeued(req *Request) {
	r.ops <- redisOp{id: strconv.FormatUint(req.ID, 10)}
}

func (r *redisMirror) run() {
	defer r.wg.Done()
	ctx := context.Background()
	for op := range r.ops {
		pipe := r.client.Pipeline()
		r.add(ctx, pipe, op)
	batch:
		for range 1000 {
			select {
			case op, ok := <-r.ops:
				if !ok {
					break batch
				}
				r.add(ctx, pipe, op)
			default:
				break batch
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			r.errMu.Lock()
			r.err = err
			r.errMu.Unlock()
		}
	}
}

func (r *redisMirror) add(ctx context.Context, pipe redis.Pipeliner, op redisOp) {
	if op.push {
		pipe.RPush(ctx, r.list, op.id)
	} else {
		pipe.LRem(ctx, r.list, 1, op.id)
	}
}

// close flushes pending writes, removes the list and closes the client.
func (r *redisMirror) close() error {
	close(r.ops)
	r.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r.client.Del(ctx, r.list)
	r.errMu.Lock()
	err := r.err
	r.errMu.Unlock()
	if cerr := r.client.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("redis mirror of %q: %w", r.list, err)
	}
	return nil
}
