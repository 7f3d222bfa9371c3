package retrieval

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/citebot/citebot/corpus"
)

// fuzzIx is the index FuzzSearch searches: the default corpus, built once
// on disk.
var fuzzIx struct {
	once sync.Once
	ix   *Index
	err  error
	dir  string
}

func fuzzIndex(f *testing.F) *Index {
	f.Helper()
	fuzzIx.once.Do(func() {
		c, err := corpus.Load(corpus.Default(), corpus.Options{})
		if err != nil {
			fuzzIx.err = err
			return
		}
		fuzzIx.dir = f.TempDir()
		fuzzIx.ix, fuzzIx.err = Build(context.Background(), filepath.Join(fuzzIx.dir, "ix"), c, Options{Logger: slog.New(slog.DiscardHandler)})
	})
	if fuzzIx.err != nil {
		f.Fatal(fuzzIx.err)
	}
	return fuzzIx.ix
}

// fuzzSearchBudget bounds one search whatever the question holds. A normal
// search takes about a millisecond; the budget is generous for the race
// detector and a loaded machine, and still catches a search that
// explodes.
const fuzzSearchBudget = 3 * time.Second

// hostileQueries are the seeds of FuzzSearch (testdata/fuzz/FuzzSearch
// holds more): long repetition, thousands of distinct terms, combining
// characters, direction marks, NUL and control characters, and Bleve query
// syntax, which must be read as plain text.
var hostileQueries = []string{
	"How many Britons travelled to Syria and Iraq?",
	strings.Repeat("terror ", 72),
	strings.Repeat("a", 500),
	distinctTerms(3000),
	strings.Repeat("e\u0301\u0302\u0303\u0304", 100),
	"\u202e\u200fMI5 \u202d\u200eoperations\u2066\u2069",
	"MI5\x00live\x01\x02operations\x7f\r\n\t\x1b[31m",
	`title:MI5 +operations -Syria "unterminated phrase`,
	`*:* OR text:/.*/ AND Bri?ons~2 operations^100 (((( [1 TO 9] {a TO z} field:>5 \`,
	"\ufffd\ufeff\u200b\U0001F600 @everyone <@&123>",
	"",
}

// distinctTerms returns n different made-up words.
func distinctTerms(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("w")
		for k := i; k > 0; k /= 26 {
			b.WriteByte(byte('a' + k%26))
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// FuzzSearch searches the default corpus with arbitrary questions: no
// panic, no error, an answer within fuzzSearchBudget, and a well-formed
// result (hits within the limit, best sentences and highlights inside
// their passage, the query cut to at most 500 characters).
//
//	go test ./retrieval -run '^$' -fuzz FuzzSearch -fuzztime 60s
func FuzzSearch(f *testing.F) {
	for _, q := range hostileQueries {
		f.Add(q, 3, 0)
	}
	ix := fuzzIndex(f)
	f.Fuzz(func(t *testing.T, q string, limit, offset int) {
		limit = min(max(limit, 0), 10)
		offset = min(max(offset, 0), 50)
		ctx, cancel := context.WithTimeout(context.Background(), 10*fuzzSearchBudget)
		defer cancel()
		start := time.Now()
		res, err := ix.Search(ctx, q, SearchOptions{Limit: limit, Offset: offset})
		took := time.Since(start)
		if err != nil {
			t.Fatalf("Search(%q): %v", clipQ(q), err)
		}
		if took > fuzzSearchBudget {
			t.Errorf("Search(%q) took %v, want under %v", clipQ(q), took, fuzzSearchBudget)
		}
		want := limit
		if want == 0 {
			want = 3
		}
		if len(res.Hits) > want {
			t.Errorf("got %d hits, want at most %d", len(res.Hits), want)
		}
		if res.NoneRelevant && len(res.Hits) > 0 {
			t.Errorf("NoneRelevant with %d hits", len(res.Hits))
		}
		if n := utf8.RuneCountInString(res.Query); n > defaultMaxQuestion {
			t.Errorf("query of %d characters, want at most %d", n, defaultMaxQuestion)
		}
		for i, h := range res.Hits {
			text := h.Passage.Text
			if h.BestSentence != "" && !strings.Contains(text, h.BestSentence) {
				t.Errorf("hit %d: best sentence %q is not in the passage", i, clipQ(h.BestSentence))
			}
			end := 0
			for _, sp := range h.Highlights {
				if sp.Start < end || sp.End <= sp.Start || sp.End > len(text) {
					t.Errorf("hit %d: highlight %+v out of order or range (passage %d bytes)", i, sp, len(text))
				}
				end = sp.End
			}
		}
	})
}

func clipQ(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
