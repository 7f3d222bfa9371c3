package retrieval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/citebot/citebot/corpus"
)

// ErrBuildRunning is returned by [Store.Rebuild] when another rebuild is
// already under way.
var ErrBuildRunning = errors.New("a rebuild is already running")

// DocInfo describes one indexed document (for /sources and autocomplete).
type DocInfo struct {
	Source   string `json:"source"`
	Title    string `json:"title"`
	Date     string `json:"date"`
	URL      string `json:"url"`
	Passages int    `json:"passages"`
}

// Change reports what a rebuild did.
type Change struct {
	// Documents and passages added, removed and changed, by source path.
	// Documents are compared by content hash, passages by text.
	DocsAdded, DocsRemoved, DocsChanged []string
	PassagesAdded, PassagesRemoved      int
	// Documents and Passages are the totals in the new index.
	Documents, Passages int
	// Skipped lists the files the corpus load skipped, with reasons.
	Skipped []corpus.Skipped
	// Warnings lists the files loaded with a repair (such as invalid
	// UTF-8 replaced), with what was done.
	Warnings []corpus.Skipped
	// Took is the wall time of the build and switch.
	Took time.Duration
}

// Files and folders under a store's root.
const (
	currentFile = "CURRENT"
	genPrefix   = "idx-"
)

// Store keeps the live index under one folder. It opens the last good index
// when its corpus fingerprint matches, rebuilds into a fresh sub-folder
// otherwise, and swaps indexes atomically: searches in flight finish on the
// old index, which is closed after them. Safe for concurrent use.
//
// The folder holds generation sub-folders (idx-<unix nanoseconds>) and a
// file CURRENT naming the live one. CURRENT is replaced atomically and
// only after a build has finished, so an interrupted build is never
// opened; leftover generations are deleted by the next open or rebuild.
type Store struct {
	dir  string
	opts Options
	log  *slog.Logger

	cur      atomic.Pointer[gen]
	building atomic.Bool

	mu     sync.Mutex // guards swaps against Close
	closed bool
}

// gen is one generation: an open index plus what the store serves from it.
type gen struct {
	name string
	ix   *Index
	docs []DocInfo
	// first maps a document's source to the index of its first passage.
	first map[string]int

	// refs counts the store's own reference (while current) and each
	// search in flight. The index closes when it drops to 0.
	refs     atomic.Int64
	done     chan struct{}
	closeErr error
}

func newGen(name string, ix *Index) *gen {
	g := &gen{name: name, ix: ix, first: map[string]int{}, done: make(chan struct{})}
	ord := 0
	for _, d := range ix.docs {
		g.docs = append(g.docs, DocInfo{Source: d.Source, Title: d.Title, Date: d.Date, URL: d.URL, Passages: d.Passages})
		g.first[d.Source] = ord
		ord += d.Passages
	}
	g.refs.Store(1)
	return g
}

func (g *gen) acquire() bool {
	for {
		n := g.refs.Load()
		if n <= 0 {
			return false
		}
		if g.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (g *gen) release() {
	if g.refs.Add(-1) == 0 {
		g.closeErr = g.ix.Close()
		close(g.done)
	}
}

// OpenStore opens the last good index under dir if it was built from a
// corpus with c's fingerprint, and otherwise builds one from c. built
// reports whether it built. An index that fails to open is rebuilt.
func OpenStore(ctx context.Context, dir string, c *corpus.Corpus, opts Options) (s *Store, built bool, err error) {
	s = &Store{dir: dir, opts: opts, log: discardLogger(opts.Logger)}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, false, fmt.Errorf("open store %s: %w", dir, err)
	}
	if name, err := s.readCurrent(); err == nil {
		ix, err := s.openGen(name, c.Fingerprint())
		if err == nil {
			s.cur.Store(newGen(name, ix))
			s.removeStale(name)
			s.log.Info("opened index", "dir", ix.dir, "passages", ix.Len())
			return s, false, nil
		}
		s.log.Info("rebuilding index", "reason", err.Error())
	} else if !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("rebuilding index", "reason", err.Error())
	}
	name, ix, err := s.build(ctx, c)
	if err != nil {
		return nil, false, fmt.Errorf("open store %s: %w", dir, err)
	}
	s.cur.Store(newGen(name, ix))
	s.removeStale(name)
	return s, true, nil
}

// openGen opens generation name if it was built from a corpus with
// fingerprint fp.
func (s *Store) openGen(name, fp string) (*Index, error) {
	dir := filepath.Join(s.dir, name)
	m, err := readMeta(dir)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	if m.Fingerprint != fp {
		return nil, fmt.Errorf("index %s was built from another corpus", dir)
	}
	return Open(dir, s.opts)
}

// build builds c into a fresh generation folder and points CURRENT at it.
func (s *Store) build(ctx context.Context, c *corpus.Corpus) (string, *Index, error) {
	name := genPrefix + strconv.FormatInt(time.Now().UnixNano(), 10)
	for {
		if _, err := os.Lstat(filepath.Join(s.dir, name)); err != nil {
			break // free, or Build will say why not
		}
		name += "x"
	}
	ix, err := Build(ctx, filepath.Join(s.dir, name), c, s.opts)
	if err != nil {
		return "", nil, err
	}
	if err := s.writeCurrent(name); err != nil {
		ix.Close()
		os.RemoveAll(filepath.Join(s.dir, name))
		return "", nil, err
	}
	return name, ix, nil
}

func (s *Store) readCurrent() (string, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, currentFile))
	if err != nil {
		return "", err
	}
	name := strings.TrimSpace(string(b))
	if !strings.HasPrefix(name, genPrefix) || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("read %s: bad generation %q", filepath.Join(s.dir, currentFile), name)
	}
	return name, nil
}

// writeCurrent points CURRENT at generation name: it writes a temporary
// file, syncs it and renames it over CURRENT.
func (s *Store) writeCurrent(name string) error {
	f, err := os.CreateTemp(s.dir, currentFile+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", currentFile, err)
	}
	tmp := f.Name()
	_, err = f.WriteString(name + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.dir, currentFile))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", currentFile, err)
	}
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("write %s: %w", currentFile, err)
	}
	return nil
}

// removeStale deletes generation folders other than keep, and leftover
// temporary files.
func (s *Store) removeStale(keep string) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if n == keep || !(strings.HasPrefix(n, genPrefix) || strings.HasPrefix(n, currentFile+".tmp-")) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.dir, n)); err != nil {
			s.log.Warn("remove old index failed", "dir", filepath.Join(s.dir, n), "err", err)
		}
	}
}

// Search searches the current index. It fails only with [ErrClosed] after
// [Store.Close], or with ctx's error.
func (s *Store) Search(ctx context.Context, question string, opts SearchOptions) (Result, error) {
	for {
		g := s.cur.Load()
		if g == nil {
			return Result{}, ErrClosed
		}
		if !g.acquire() {
			continue // swapped out and closed meanwhile: take the new one
		}
		res, err := g.ix.Search(ctx, question, opts)
		g.release()
		return res, err
	}
}

// Rebuild builds a new index from c in a fresh folder and switches to it.
// On failure the current index keeps serving and the error says why. A
// second call while one runs returns [ErrBuildRunning].
func (s *Store) Rebuild(ctx context.Context, c *corpus.Corpus) (Change, error) {
	start := time.Now()
	if !s.building.CompareAndSwap(false, true) {
		return Change{}, ErrBuildRunning
	}
	defer s.building.Store(false)
	if s.cur.Load() == nil {
		return Change{}, ErrClosed
	}
	name, ix, err := s.build(ctx, c)
	if err != nil {
		return Change{}, fmt.Errorf("rebuild index: %w", err)
	}
	ng := newGen(name, ix)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ix.Close()
		return Change{}, ErrClosed
	}
	old := s.cur.Swap(ng)
	s.mu.Unlock()

	ch := diff(old.ix, ix)
	ch.Skipped = c.Skipped
	ch.Warnings = c.Warnings
	old.release()
	select {
	case <-old.done:
		if old.closeErr != nil {
			s.log.Warn("close old index failed", "dir", old.ix.dir, "err", old.closeErr)
		}
		s.removeStale(name)
	case <-ctx.Done():
		// Searches still hold the old index; the next open or rebuild
		// removes its folder.
	}
	ch.Took = time.Since(start)
	s.log.Info("rebuilt index", "dir", ix.dir, "documents", ch.Documents, "passages", ch.Passages,
		"docs_added", len(ch.DocsAdded), "docs_removed", len(ch.DocsRemoved), "docs_changed", len(ch.DocsChanged),
		"took_ms", ch.Took.Milliseconds())
	return ch, nil
}

// diff compares the documents (by hash) and passages (by text) of two
// indexes.
func diff(old, cur *Index) Change {
	var ch Change
	oldDocs := map[string]string{}
	for _, d := range old.docs {
		oldDocs[d.Source] = d.Hash
	}
	newDocs := map[string]bool{}
	for _, d := range cur.docs {
		newDocs[d.Source] = true
		h, ok := oldDocs[d.Source]
		switch {
		case !ok:
			ch.DocsAdded = append(ch.DocsAdded, d.Source)
		case h != d.Hash:
			ch.DocsChanged = append(ch.DocsChanged, d.Source)
		}
	}
	for _, d := range old.docs {
		if !newDocs[d.Source] {
			ch.DocsRemoved = append(ch.DocsRemoved, d.Source)
		}
	}
	slices.Sort(ch.DocsAdded)
	slices.Sort(ch.DocsRemoved)
	slices.Sort(ch.DocsChanged)

	texts := map[string]int{}
	for _, p := range old.passages {
		texts[p.Text]++
	}
	for _, p := range cur.passages {
		if texts[p.Text] > 0 {
			texts[p.Text]--
		} else {
			ch.PassagesAdded++
		}
	}
	for _, n := range texts {
		ch.PassagesRemoved += n
	}
	ch.Documents, ch.Passages = len(cur.docs), len(cur.passages)
	return ch
}

// Documents lists the documents of the current index, in corpus order;
// nil after Close.
func (s *Store) Documents() []DocInfo {
	g := s.cur.Load()
	if g == nil {
		return nil
	}
	return slices.Clone(g.docs)
}

// Passage returns passage seq (0-based, [corpus.Passage.Seq]) of document
// source from the current index.
func (s *Store) Passage(source string, seq int) (corpus.Passage, bool) {
	g := s.cur.Load()
	if g == nil {
		return corpus.Passage{}, false
	}
	first, ok := g.first[source]
	if !ok || seq < 0 {
		return corpus.Passage{}, false
	}
	i := first + seq
	if i >= len(g.ix.passages) || g.ix.passages[i].Source != source {
		return corpus.Passage{}, false
	}
	return g.ix.passages[i], true
}

// Dir returns the folder of the index being served, "" after Close.
func (s *Store) Dir() string {
	g := s.cur.Load()
	if g == nil {
		return ""
	}
	return g.ix.dir
}

// Close closes the current index after searches in flight finish.
// Searches after Close fail with [ErrClosed].
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	g := s.cur.Swap(nil)
	s.mu.Unlock()
	if g == nil {
		return nil
	}
	g.release()
	<-g.done
	return g.closeErr
}
