package retrieval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/citebot/citebot/corpus"
)

// corpusA and corpusB differ: B drops chess.txt, changes rail.txt and adds
// moon.txt.
func corpusA() *corpus.Corpus { return makeCorpus(testDocs...) }

func corpusB() *corpus.Corpus {
	docs := slices.Clone(testDocs[:3])
	docs[2] = tdoc{"rail.txt", "Railways", []string{
		testDocs[2].paras[0],
		"The Gotthard Base Tunnel is the longest railway tunnel in the world.",
	}}
	docs = append(docs, tdoc{"moon.txt", "The Moon", []string{
		"Apollo 11 landed on the Moon in July 1969 with Neil Armstrong and Buzz Aldrin.",
	}})
	return makeCorpus(docs...)
}

func openTestStore(t *testing.T, dir string, c *corpus.Corpus, opts Options) (*Store, bool) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slogFor(t)
	}
	s, built, err := OpenStore(context.Background(), dir, c, opts)
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, built
}

// generations lists the generation folders under dir.
func generations(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), genPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

func firstHit(t *testing.T, s *Store, q string) string {
	t.Helper()
	res, err := s.Search(context.Background(), q, SearchOptions{})
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	if len(res.Hits) == 0 {
		return ""
	}
	return where(res.Hits[0].Passage)
}

func TestOpenStoreReusesMatchingIndex(t *testing.T) {
	dir := t.TempDir()
	s, built := openTestStore(t, dir, corpusA(), Options{})
	if !built {
		t.Fatal("first open: got built false, want true")
	}
	first := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, built = openTestStore(t, dir, corpusA(), Options{})
	if built {
		t.Error("same corpus: got built true, want the index reused")
	}
	if s.Dir() != first {
		t.Errorf("same corpus: got index %s, want %s", s.Dir(), first)
	}
	if got := firstHit(t, s, "longest railway line"); got != "rail.txt#1" {
		t.Errorf("got %s, want rail.txt#1", got)
	}
	s.Close()

	s, built = openTestStore(t, dir, corpusB(), Options{})
	if !built {
		t.Error("changed corpus: got built false, want a rebuild")
	}
	if got := firstHit(t, s, "Apollo landed on the Moon"); got != "moon.txt#0" {
		t.Errorf("after rebuild got %s, want moon.txt#0", got)
	}
	if g := generations(t, dir); len(g) != 1 || filepath.Join(dir, g[0]) != s.Dir() {
		t.Errorf("got generations %v, want only %s", g, filepath.Base(s.Dir()))
	}
}

func TestOpenStoreIgnoresHalfBuiltGeneration(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTestStore(t, dir, corpusA(), Options{})
	good := s.Dir()
	s.Close()

	// A build that died before it wrote meta.json and CURRENT.
	half := filepath.Join(dir, genPrefix+"9999999999999999999")
	if err := os.MkdirAll(filepath.Join(half, bleveDir), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(half, passagesFile), []byte("{"), 0o644)

	s, built := openTestStore(t, dir, corpusA(), Options{})
	if built || s.Dir() != good {
		t.Errorf("got built %v, index %s; want the last good index %s reused", built, s.Dir(), good)
	}
	if _, err := os.Stat(half); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("half-built folder: got %v, want it removed", err)
	}

	// With no CURRENT at all, a half-built folder is not opened either.
	dir2 := t.TempDir()
	half2 := filepath.Join(dir2, genPrefix+"1")
	os.MkdirAll(half2, 0o755)
	s2, built := openTestStore(t, dir2, corpusA(), Options{})
	if !built || s2.Dir() == half2 {
		t.Errorf("got built %v, index %s; want a fresh build", built, s2.Dir())
	}
}

func TestOpenStoreRebuildsCorruptIndex(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTestStore(t, dir, corpusA(), Options{})
	old := s.Dir()
	s.Close()
	if err := os.RemoveAll(filepath.Join(old, bleveDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, bleveDir), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, built := openTestStore(t, dir, corpusA(), Options{})
	if !built {
		t.Error("got built false, want a rebuild of the corrupt index")
	}
	if got := firstHit(t, s, "longest railway line"); got != "rail.txt#1" {
		t.Errorf("got %s, want rail.txt#1", got)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("corrupt generation: got %v, want it removed", err)
	}
}

func TestRebuildUnderConcurrentSearches(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTestStore(t, dir, corpusA(), Options{})
	old := s.Dir()

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var searches, failures atomic.Int64
	var firstErr atomic.Pointer[error]
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, err := s.Search(context.Background(), "longest railway in the world", SearchOptions{})
				searches.Add(1)
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	ch, err := s.Rebuild(context.Background(), corpusB())
	time.Sleep(20 * time.Millisecond)
	stop()
	wg.Wait()
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if n := failures.Load(); n > 0 {
		t.Errorf("got %d failed searches of %d during the swap (first: %v), want none", n, searches.Load(), *firstErr.Load())
	}
	if searches.Load() == 0 {
		t.Error("no searches ran")
	}
	if got := firstHit(t, s, "longest railway tunnel"); got != "rail.txt#1" {
		t.Errorf("after rebuild got %s, want rail.txt#1", got)
	}
	res, err := s.Search(context.Background(), "longest railway tunnel", SearchOptions{})
	if err != nil || len(res.Hits) == 0 || !strings.Contains(res.Hits[0].Passage.Text, "Gotthard") {
		t.Errorf("after rebuild got %+v, %v; want the Gotthard passage from the new corpus", res.Hits, err)
	}
	if got := firstHit(t, s, "Magnus Carlsen chess champion"); got != "" {
		t.Errorf("removed document still found: got %s", got)
	}
	if s.Dir() == old {
		t.Error("still serving the old index")
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old generation: got %v, want it removed", err)
	}

	want := Change{
		DocsAdded: []string{"moon.txt"}, DocsRemoved: []string{"chess.txt"}, DocsChanged: []string{"rail.txt"},
		PassagesAdded: 2, PassagesRemoved: 3, Documents: 4, Passages: 8,
	}
	if !slices.Equal(ch.DocsAdded, want.DocsAdded) || !slices.Equal(ch.DocsRemoved, want.DocsRemoved) ||
		!slices.Equal(ch.DocsChanged, want.DocsChanged) || ch.PassagesAdded != want.PassagesAdded ||
		ch.PassagesRemoved != want.PassagesRemoved || ch.Documents != want.Documents || ch.Passages != want.Passages {
		t.Errorf("got change %+v, want %+v", ch, want)
	}
	if ch.Took <= 0 {
		t.Errorf("got took %v, want > 0", ch.Took)
	}
	if d := s.Documents(); len(d) != 4 || d[3].Source != "moon.txt" || d[3].Passages != 1 {
		t.Errorf("got documents %+v, want 4 ending with moon.txt", d)
	}
}

func TestRebuildFailureKeepsServing(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTestStore(t, dir, corpusA(), Options{})
	old := s.Dir()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Rebuild(ctx, corpusB())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "rebuild") {
		t.Errorf("got error %q, want it to say what failed", err)
	}
	if s.Dir() != old {
		t.Errorf("got index %s, want the old %s still serving", s.Dir(), old)
	}
	if got := firstHit(t, s, "Magnus Carlsen chess champion"); got != "chess.txt#0" {
		t.Errorf("got %s, want chess.txt#0 from the old index", got)
	}
	if g := generations(t, dir); len(g) != 1 {
		t.Errorf("got generations %v, want only the old one", g)
	}
	cur, err := os.ReadFile(filepath.Join(dir, currentFile))
	if err != nil || strings.TrimSpace(string(cur)) != filepath.Base(old) {
		t.Errorf("CURRENT: got %q, %v; want %s", cur, err, filepath.Base(old))
	}

	// Unwritable: a file where the store's folder should be.
	blocked := s.dir
	s.dir = filepath.Join(t.TempDir(), "file")
	os.WriteFile(s.dir, []byte("x"), 0o644)
	_, err = s.Rebuild(context.Background(), corpusB())
	s.dir = blocked
	if err == nil {
		t.Error("unwritable folder: got no error, want one")
	}
	if got := firstHit(t, s, "Magnus Carlsen chess champion"); got != "chess.txt#0" {
		t.Errorf("got %s, want chess.txt#0 from the old index", got)
	}
}

func TestRebuildRunning(t *testing.T) {
	dir := t.TempDir()
	var block atomic.Bool
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	opts := Options{Progress: func(done, total int) {
		if block.Load() && done == 0 {
			started <- struct{}{}
			<-release
		}
	}}
	s, _ := openTestStore(t, dir, corpusA(), opts)
	block.Store(true)
	errc := make(chan error, 1)
	go func() {
		_, err := s.Rebuild(context.Background(), corpusB())
		errc <- err
	}()
	<-started
	if _, err := s.Rebuild(context.Background(), corpusB()); !errors.Is(err, ErrBuildRunning) {
		t.Errorf("second rebuild: got %v, want ErrBuildRunning", err)
	}
	if got := firstHit(t, s, "Magnus Carlsen chess champion"); got != "chess.txt#0" {
		t.Errorf("during rebuild got %s, want chess.txt#0 from the old index", got)
	}
	block.Store(false)
	close(release)
	if err := <-errc; err != nil {
		t.Fatalf("first rebuild: %v", err)
	}
	if _, err := s.Rebuild(context.Background(), corpusA()); err != nil {
		t.Errorf("rebuild after the first finished: got %v, want none", err)
	}
}

func TestStoreDocumentsAndPassage(t *testing.T) {
	s, _ := openTestStore(t, t.TempDir(), corpusA(), Options{})
	docs := s.Documents()
	var got []string
	for _, d := range docs {
		got = append(got, d.Source+":"+itoa(d.Passages))
	}
	if want := []string{"volcano.txt:3", "bees.txt:2", "rail.txt:2", "chess.txt:2"}; !slices.Equal(got, want) {
		t.Errorf("got documents %v, want %v", got, want)
	}
	if docs[0].Title != "Volcanoes of Europe" {
		t.Errorf("got title %q, want %q", docs[0].Title, "Volcanoes of Europe")
	}
	tests := []struct {
		name   string
		source string
		seq    int
		want   string // "" for not found
	}{
		{"first", "volcano.txt", 0, testDocs[0].paras[0]},
		{"middle doc", "rail.txt", 1, testDocs[2].paras[1]},
		{"past end", "bees.txt", 2, ""},
		{"negative", "bees.txt", -1, ""},
		{"unknown", "nope.txt", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := s.Passage(tt.source, tt.seq)
			if ok != (tt.want != "") || p.Text != tt.want {
				t.Errorf("got %q, %v; want %q", p.Text, ok, tt.want)
			}
			if ok && (p.Source != tt.source || p.Seq != tt.seq) {
				t.Errorf("got passage %s#%d, want %s#%d", p.Source, p.Seq, tt.source, tt.seq)
			}
		})
	}
}

func TestStoreClose(t *testing.T) {
	s, _ := openTestStore(t, t.TempDir(), corpusA(), Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Search(context.Background(), "railway", SearchOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("search: got %v, want ErrClosed", err)
	}
	if _, err := s.Rebuild(context.Background(), corpusA()); !errors.Is(err, ErrClosed) {
		t.Errorf("rebuild: got %v, want ErrClosed", err)
	}
	if d := s.Documents(); d != nil {
		t.Errorf("documents: got %v, want nil", d)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: got %v, want nil", err)
	}
}
