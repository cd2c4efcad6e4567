package client

import (
	"context"
	"sync"
	"time"
)

// LoadOptions describe a load run: Readers concurrent readers of URL,
// each playing for Duration.
type LoadOptions struct {
	URL      string
	Readers  int
	Duration time.Duration
	// Timeout bounds each exchange and read; DefaultTimeout when 0.
	Timeout time.Duration
}

// ReaderResult is one reader's outcome.
type ReaderResult struct {
	Stats Stats
	Err   error
}

// Summary totals a load run.
type Summary struct {
	Readers int
	Packets uint64
	Bytes   uint64
	Gaps    uint64
	Errors  int
	// Results holds every reader's counts, in start order.
	Results []ReaderResult
}

// Load starts opts.Readers readers at once, lets each play for
// opts.Duration from the moment its PLAY was answered, and returns their
// totals. It stops early when ctx ends.
func Load(ctx context.Context, opts LoadOptions) *Summary {
	s := &Summary{Readers: opts.Readers, Results: make([]ReaderResult, opts.Readers)}
	var wg sync.WaitGroup
	for i := range opts.Readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := &s.Results[i]
			st, err := playFor(ctx, opts)
			if st != nil {
				res.Stats = *st
			}
			res.Err = err
		}()
	}
	wg.Wait()
	for i := range s.Results {
		r := &s.Results[i]
		if r.Err != nil {
			s.Errors++
		}
		s.Packets += r.Stats.Packets()
		s.Bytes += r.Stats.Bytes()
		s.Gaps += r.Stats.Gaps()
	}
	return s
}

func playFor(ctx context.Context, opts LoadOptions) (*Stats, error) {
	r, err := Dial(ctx, opts.URL)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	r.Timeout = opts.Timeout
	if err := r.Play(); err != nil {
		return r.Stats(), err
	}
	pctx, cancel := context.WithTimeout(ctx, opts.Duration)
	defer cancel()
	return r.Stats(), r.Run(pctx)
}
