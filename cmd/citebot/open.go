package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/citebot/citebot/corpus"
	"github.com/citebot/citebot/retrieval"
)

// loadCorpus loads the corpus, reporting progress on stderr.
func loadCorpus(src source, stderr io.Writer) (*corpus.Corpus, error) {
	p := newProgress(stderr, "loading files")
	c, err := corpus.Load(src.FS(), corpus.Options{Progress: p.update})
	p.done()
	if err != nil {
		return nil, fmt.Errorf("load corpus %s: %w", src, err)
	}
	return c, nil
}

// openStore loads the corpus and opens its index, building it when it is
// missing or stale. It reports progress on stderr while it builds.
func openStore(ctx context.Context, src source, dir string, logger *slog.Logger, stderr io.Writer) (*retrieval.Store, *corpus.Corpus, bool, error) {
	c, err := loadCorpus(src, stderr)
	if err != nil {
		return nil, nil, false, err
	}
	p := newProgress(stderr, "indexing passages")
	st, built, err := retrieval.OpenStore(ctx, dir, c, retrieval.Options{Logger: logger, Progress: p.update})
	p.done()
	if err != nil {
		return nil, nil, false, fmt.Errorf("open index %s: %w", dir, err)
	}
	return st, c, built, nil
}

// progress prints "label n/total" on a terminal, rewriting one line at most
// ten times a second; elsewhere (logs, pipes) it prints nothing, so output
// that is captured stays clean.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	label   string
	tty     bool
	last    time.Time
	printed bool
}

func newProgress(w io.Writer, label string) *progress {
	return &progress{w: w, label: label, tty: isTerminal(w)}
}

func (p *progress) update(done, total int) {
	if !p.tty || total < 1 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond || done == total {
		p.last = now
		fmt.Fprintf(p.w, "\r%s %d/%d (%d%%)", p.label, done, total, done*100/total)
		p.printed = true
	}
	if done == total {
		// End the line now: what is logged next starts on its own line.
		fmt.Fprintln(p.w)
		p.printed = false
	}
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.printed {
		fmt.Fprintln(p.w)
	}
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
