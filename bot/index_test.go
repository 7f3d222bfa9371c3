package bot

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/citebot/citebot/corpus"
	"github.com/citebot/citebot/retrieval"
)

// testIndex is the index end-to-end tests run on: the real one (corpus.Load
// plus a retrieval.Store on disk in t.TempDir(), as production runs) when
// those packages are implemented, else a [fakeSearcher] over the same
// files, so that the bot's tests do not wait for them.
type testIndex struct {
	Searcher
	reindex Reindexer
	dir     string // the corpus folder; add files and reindex
	real    bool
}

// hostileDoc is a corpus file whose paragraph tries to ping and to format.
const hostileDoc = `Seminar notes on zebra migration

The seminar announcement pinged @everyone and <@&123456789012345678> about the zebra migration schedule, with **bold claims**, _underscores_, ||spoilers|| and ` + "`code`" + ` that must stay verbatim.

A second paragraph about the zebra herds crossing the river in the dry season, so that the notes have some context around them.
`

// newTestIndex writes files (name -> text) into a fresh corpus folder and
// indexes them. With withDefault, the shipped default corpus is added.
func newTestIndex(t testing.TB, withDefault bool, files map[string]string) *testIndex {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "corpus")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if withDefault {
		err := fs.WalkDir(corpus.Default(), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(corpus.Default(), p)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, p), data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ix := &testIndex{dir: dir}
	c, err := corpus.Load(os.DirFS(dir), corpus.Options{})
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var st *retrieval.Store
		st, _, err = retrieval.OpenStore(ctx, filepath.Join(root, "index"), c, retrieval.Options{Logger: slog.New(slog.DiscardHandler)})
		if err == nil {
			t.Cleanup(func() { st.Close() })
			ix.Searcher, ix.real = st, true
			ix.reindex = func(ctx context.Context) (retrieval.Change, error) {
				c, err := corpus.Load(os.DirFS(dir), corpus.Options{})
				if err != nil {
					return retrieval.Change{}, err
				}
				return st.Rebuild(ctx, c)
			}
			return ix
		}
	}
	if !strings.Contains(err.Error(), "not implemented") {
		t.Fatalf("index the test corpus: %v", err)
	}
	t.Logf("corpus/retrieval not implemented yet: using the fake searcher")
	fake := newFakeSearcher(readFakeCorpus(t, dir)...)
	var mu sync.Mutex
	ix.Searcher = fake
	ix.reindex = func(ctx context.Context) (retrieval.Change, error) {
		mu.Lock()
		defer mu.Unlock()
		start := time.Now()
		before := map[string]bool{}
		for _, d := range fake.Documents() {
			before[d.Source] = true
		}
		docs := readFakeCorpus(t, dir)
		fake.set(docs...)
		ch := retrieval.Change{Documents: len(docs)}
		for _, d := range docs {
			ch.Passages += len(d.Passages)
			if !before[d.Source] {
				ch.DocsAdded = append(ch.DocsAdded, d.Source)
				ch.PassagesAdded += len(d.Passages)
			}
		}
		ch.Took = time.Since(start)
		return ch, nil
	}
	return ix
}

// add writes a new corpus file (indexed at the next reindex).
func (ix *testIndex) add(t testing.TB, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(ix.dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readFakeCorpus is a crude loader for the fake: first line title,
// blank-line paragraphs of 40 characters or more.
func readFakeCorpus(t testing.TB, dir string) []corpus.Document {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var docs []corpus.Document
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(data), "\r\n", "\n")
		title, rest, _ := strings.Cut(strings.TrimSpace(text), "\n")
		var paras []string
		for _, p := range strings.Split(rest, "\n\n") {
			if p = oneLine(p); len(p) >= 40 {
				paras = append(paras, p)
			}
		}
		docs = append(docs, fakeDoc(e.Name(), strings.TrimSpace(title), "", paras...))
	}
	return docs
}
