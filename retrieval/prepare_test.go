package retrieval

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/document"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/citebot/citebot/corpus"
)

// fieldFreqs is what Bleve indexes for one field: its length in tokens and
// each term's frequency.
func fieldFreqs(f index.Field) string {
	f.Analyze()
	freqs := f.AnalyzedTokenFrequencies()
	var terms []string
	for _, t := range slices.Sorted(maps.Keys(freqs)) {
		terms = append(terms, fmt.Sprintf("%s:%d", t, freqs[t].Frequency()))
	}
	return fmt.Sprintf("%s len=%d %s", f.Name(), f.AnalyzedLength(), strings.Join(terms, " "))
}

func docFreqs(d *document.Document) []string {
	var out []string
	for _, f := range d.Fields {
		out = append(out, fieldFreqs(f))
	}
	return out
}

// TestPrepareMatchesBleve checks that a document whose fields carry the
// ranking's tokens indexes exactly as Bleve would index it from the
// mapping, for each ranking's mapping.
func TestPrepareMatchesBleve(t *testing.T) {
	an, err := newAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	ps := []corpus.Passage{
		{Source: "a.txt", Title: "MI5's Annual Report", Section: "Threats", Text: "MI5's director general, Ken McCallum, said 20,000 people were of interest; the UK's threat level stays at 'substantial'."},
		{Source: "a.txt", Title: "MI5's Annual Report", Section: "", Text: "Über café naïve résumé — 東京 and Москва: stemming running runners ran."},
		{Source: "b/c.md", Title: "", Section: "", Text: "The the THE of and a an."},
		{Source: "b/c.md", Title: "", Section: "", Text: ""},
	}
	for _, r := range []Ranking{RankingCitebot, RankingBleveDefault, RankingBleveEnBM25} {
		t.Run(r.String(), func(t *testing.T) {
			im := newMapping(r)
			pr := newPreparer(an, im)
			for i := range ps {
				var got prepared
				if err := pr.prepare(&ps[i], docID(i), &got); err != nil {
					t.Fatal(err)
				}
				want := document.NewDocument(docID(i))
				if err := im.MapDocument(want, bleveDoc{Text: ps[i].Text, Source: ps[i].Source}); err != nil {
					t.Fatal(err)
				}
				if g, w := docFreqs(got.doc), docFreqs(want); !slices.Equal(g, w) {
					t.Errorf("passage %d: got fields\n%s\nwant\n%s", i, strings.Join(g, "\n"), strings.Join(w, "\n"))
				}
				if w := an.analyze(ps[i].Text); !slices.Equal(got.toks, w) {
					t.Errorf("passage %d: got tokens %v, want %v", i, got.toks, w)
				}
			}
		})
	}
}

// TestPrepareReuse checks when the text field gets the ranking's tokens:
// when the mapping analyses it with the English analyzer, and only then.
func TestPrepareReuse(t *testing.T) {
	an, err := newAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		r     Ranking
		reuse bool
	}{
		{"citebot", RankingCitebot, true},
		{"bleve-en-bm25", RankingBleveEnBM25, false}, // plain "en": no folding
		{"bleve-default", RankingBleveDefault, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := newPreparer(an, newMapping(tt.r))
			if pr.reuse != tt.reuse {
				t.Errorf("got reuse %v, want %v", pr.reuse, tt.reuse)
			}
		})
	}
}

// TestBuildBatches builds in small batches, which run on several
// goroutines: progress must rise to the total, every passage must be
// found, and the statistics must not depend on the batch size.
func TestBuildBatches(t *testing.T) {
	c := makeCorpus(testDocs...)
	n := len(c.Passages())
	defer func(b int) { batchSize = b }(batchSize)

	batchSize = 1000
	whole := buildTest(t, c, testLogger(t))

	batchSize = 2
	var calls [][2]int
	opts := testLogger(t)
	opts.Progress = func(done, total int) { calls = append(calls, [2]int{done, total}) }
	ix := buildTest(t, c, opts)
	if want := (n+1)/2 + 1; len(calls) != want {
		t.Errorf("got %d progress calls, want %d (one before and one per batch of 2)", len(calls), want)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] <= calls[i-1][0] || calls[i][1] != n {
			t.Errorf("got progress %v, want rising to %d/%d", calls, n, n)
			break
		}
	}
	if last := calls[len(calls)-1]; last != [2]int{n, n} {
		t.Errorf("got last progress %v, want %d/%d", last, n, n)
	}
	if got, want := ix.meta.FieldTokens, whole.meta.FieldTokens; !maps.Equal(got, want) {
		t.Errorf("got field tokens %v, want %v as built in one batch", got, want)
	}
	if !slices.Equal(ix.df, whole.df) || !maps.Equal(ix.terms, whole.terms) {
		t.Error("got other document frequencies than built in one batch")
	}
	for i := range n {
		if got := ix.info(i); !slices.Equal(got.ids, whole.info(i).ids) {
			t.Errorf("passage %d: got term ids %v, want %v", i, got.ids, whole.info(i).ids)
		}
	}
	if cnt, err := ix.bi.DocCount(); err != nil || int(cnt) != n {
		t.Errorf("got %d documents in Bleve (%v), want %d", cnt, err, n)
	}
	// The segments of the small batches were merged into one, and the
	// files they were in removed.
	zaps, err := filepath.Glob(filepath.Join(ix.Dir(), bleveDir, "store", "*.zap"))
	if err != nil || len(zaps) != 1 {
		t.Errorf("got segment files %v (%v), want one", zaps, err)
	}
}

// TestBuildCancelledMidway cancels a build from its progress callback:
// the build must stop with the context's error and leave nothing behind.
func TestBuildCancelledMidway(t *testing.T) {
	c := makeCorpus(testDocs...)
	defer func(b int) { batchSize = b }(batchSize)
	batchSize = 1
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := testLogger(t)
	opts.Progress = func(done, total int) {
		if done > 0 {
			cancel()
		}
	}
	dir := filepath.Join(t.TempDir(), "ix")
	if _, err := Build(ctx, dir, c, opts); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v for the half-built folder, want it removed", err)
	}
}
