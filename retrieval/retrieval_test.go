package retrieval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/citebot/citebot/corpus"
)

// tdoc is a hand-made test document: one passage per paragraph.
type tdoc struct {
	source, title string
	paras         []string
}

func makeCorpus(docs ...tdoc) *corpus.Corpus {
	c := &corpus.Corpus{}
	for _, d := range docs {
		body := strings.Join(d.paras, "\n\n")
		sum := sha256.Sum256([]byte(d.title + "\n\n" + body))
		doc := corpus.Document{Source: d.source, Title: d.title, Size: int64(len(body)), Hash: hex.EncodeToString(sum[:])}
		for i, p := range d.paras {
			doc.Passages = append(doc.Passages, corpus.Passage{
				Source: d.source, Title: d.title, Paragraph: i + 1, Seq: i, Text: p,
			})
		}
		c.Documents = append(c.Documents, doc)
	}
	return c
}

var testDocs = []tdoc{
	{"volcano.txt", "Volcanoes of Europe", []string{
		"Mount Etna is an active volcano on the east coast of Sicily. It is one of the tallest active volcanoes in Europe.",
		"Eruptions of Etna were recorded as early as 1500 BC. The 1669 eruption destroyed part of Catania.",
		"Vesuvius buried Pompeii and Herculaneum under ash in the year 79.",
	}},
	{"bees.txt", "Honey bees", []string{
		"Honey bees communicate the location of flowers through a waggle dance. The dance encodes direction and distance.",
		"A colony of honey bees can hold up to 60,000 workers in summer.",
	}},
	{"rail.txt", "Railways", []string{
		"The Stockton and Darlington Railway opened in 1825 as the first public railway to use steam locomotives.",
		"The Trans-Siberian Railway is the longest railway line in the world, at 9,289 kilometres.",
	}},
	{"chess.txt", "Chess", []string{
		"Magnus Carlsen became world chess champion in 2013 after defeating Viswanathan Anand.",
		"The Queen's Gambit is one of the oldest known chess openings.",
	}},
}

func testLogger(t *testing.T) Options {
	return Options{Logger: slogFor(t)}
}

// buildTest builds c on disk in a fresh temporary folder.
func buildTest(t *testing.T, c *corpus.Corpus, opts Options) *Index {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slogFor(t)
	}
	ix, err := Build(context.Background(), filepath.Join(t.TempDir(), "ix"), c, opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func where(p corpus.Passage) string { return p.Source + "#" + itoa(p.Seq) }

func TestSearchRanking(t *testing.T) {
	ix := buildTest(t, makeCorpus(testDocs...), Options{})
	tests := []struct {
		name, question, want string
	}{
		{"paraphrase", "How do honey bees tell each other where flowers are?", "bees.txt#0"},
		{"date", "When did the Stockton and Darlington Railway open?", "rail.txt#0"},
		{"fact", "Which eruption destroyed part of Catania?", "volcano.txt#1"},
		{"keywords", "longest railway line", "rail.txt#1"},
		{"who", "Who did Carlsen defeat to become champion?", "chess.txt#0"},
		{"possessive", "queen's gambit openings", "chess.txt#1"},
		{"stemming", "buries ashes", "volcano.txt#2"},
		{"case", "POMPEII", "volcano.txt#2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), tt.question, SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) == 0 {
				t.Fatalf("got no hits (none relevant %v), want %s first", res.NoneRelevant, tt.want)
			}
			if got := where(res.Hits[0].Passage); got != tt.want {
				t.Errorf("got %s first, want %s", got, tt.want)
			}
		})
	}
}

func TestSearchSourceFilter(t *testing.T) {
	ix := buildTest(t, makeCorpus(testDocs...), Options{})
	res, err := ix.Search(context.Background(), "Etna railway", SearchOptions{Source: "rail.txt", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 {
		t.Fatal("got no hits, want rail.txt hits")
	}
	for _, h := range res.Hits {
		if h.Passage.Source != "rail.txt" {
			t.Errorf("got hit from %s, want only rail.txt", h.Passage.Source)
		}
	}
	if res.Total != 2 {
		t.Errorf("got total %d, want 2", res.Total)
	}
	res, err = ix.Search(context.Background(), "railway", SearchOptions{Source: "nope.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 0 || !res.NoneRelevant {
		t.Errorf("unknown source: got %d hits, none relevant %v; want 0 hits, none relevant", len(res.Hits), res.NoneRelevant)
	}
}

func TestSearchPaging(t *testing.T) {
	var paras []string
	for i := range 9 {
		paras = append(paras, "Lighthouse "+itoa(i)+" stands on a rocky coast"+strings.Repeat(" near the lighthouse", i%3)+".")
	}
	ix := buildTest(t, makeCorpus(append(slices.Clone(testDocs), tdoc{"lights.txt", "Lights", paras})...), Options{})
	const q = "lighthouse on the coast"
	all, err := ix.Search(context.Background(), q, SearchOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if all.Total != len(all.Hits) || all.Total < 6 {
		t.Fatalf("got total %d and %d hits, want equal and at least 6", all.Total, len(all.Hits))
	}
	var paged []string
	for off := 0; off < all.Total; off += 2 {
		res, err := ix.Search(context.Background(), q, SearchOptions{Limit: 2, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != all.Total {
			t.Errorf("offset %d: got total %d, want %d", off, res.Total, all.Total)
		}
		if len(res.Hits) > 2 {
			t.Errorf("offset %d: got %d hits, want at most 2", off, len(res.Hits))
		}
		for _, h := range res.Hits {
			paged = append(paged, where(h.Passage))
		}
	}
	var want []string
	for _, h := range all.Hits {
		want = append(want, where(h.Passage))
	}
	if !slices.Equal(paged, want) {
		t.Errorf("got pages %v, want %v", paged, want)
	}
	res, err := ix.Search(context.Background(), q, SearchOptions{Offset: all.Total + 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 0 {
		t.Errorf("past the end: got %d hits, want 0", len(res.Hits))
	}
	res, err = ix.Search(context.Background(), q, SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 3 {
		t.Errorf("default limit: got %d hits, want 3", len(res.Hits))
	}
}

func TestSearchQuerySyntaxIsText(t *testing.T) {
	ix := buildTest(t, makeCorpus(testDocs...), Options{})
	for _, q := range []string{
		`title:foo* ~2 /re/ +-`,
		`text:volcano^5 AND NOT etna`,
		`"unterminated phrase`,
		`field:(a OR b) [1 TO 5] {x TO y}`,
		`\ * ? ~ ^ : ! ( ) /`,
		`volcan* etn~1 /pomp.*/`,
		"",
		"   ",
	} {
		if _, err := ix.Search(context.Background(), q, SearchOptions{}); err != nil {
			t.Errorf("Search(%q): got error %v, want none", q, err)
		}
	}
	// "-" must not exclude: the dance passage is still the best match.
	res, err := ix.Search(context.Background(), "+bees -dance", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 || where(res.Hits[0].Passage) != "bees.txt#0" {
		t.Errorf("got %v, want bees.txt#0 first", hitsOf(res))
	}
}

func hitsOf(res Result) []string {
	var out []string
	for _, h := range res.Hits {
		out = append(out, where(h.Passage))
	}
	return out
}

func TestSearchTruncates(t *testing.T) {
	ix := buildTest(t, makeCorpus(testDocs...), Options{MaxQuestion: 20})
	q := "Which eruption destroyed part of Catania and also mentions Pompeii at length?"
	res, err := ix.Search(context.Background(), q, SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Truncated {
		t.Error("got Truncated false, want true")
	}
	if got := utf8.RuneCountInString(res.Query); got != 20 || !strings.HasPrefix(q, res.Query) {
		t.Errorf("got query %q (%d runes), want the first 20 runes of the question", res.Query, got)
	}
	res, err = ix.Search(context.Background(), "Which eruption ééé", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Truncated || res.Query != "Which eruption ééé" {
		t.Errorf("short question: got query %q truncated %v, want it unchanged", res.Query, res.Truncated)
	}
	if !utf8.ValidString(res.Query) {
		t.Errorf("got invalid UTF-8 query %q", res.Query)
	}
}

func TestSearchNoneRelevant(t *testing.T) {
	ix := buildTest(t, makeCorpus(testDocs...), Options{})
	for _, q := range []string{
		"What is the best recipe for chocolate cake?",
		"Who is it that was there?", // stop words only
		"",
	} {
		res, err := ix.Search(context.Background(), q, SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !res.NoneRelevant || len(res.Hits) != 0 || res.Total != 0 {
			t.Errorf("%q: got none relevant %v, %d hits, total %d; want true, 0, 0", q, res.NoneRelevant, len(res.Hits), res.Total)
		}
	}
	res, err := ix.Search(context.Background(), "Which eruption destroyed part of Catania?", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.NoneRelevant {
		t.Error("answerable question: got none relevant, want hits")
	}
}

func TestBestSentenceAndHighlights(t *testing.T) {
	ix := buildTest(t, makeCorpus(testDocs...), Options{})
	res, err := ix.Search(context.Background(), "Which eruption destroyed part of Catania?", SearchOptions{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 1 {
		t.Fatalf("got %d hits, want 1", len(res.Hits))
	}
	h := res.Hits[0]
	if want := "The 1669 eruption destroyed part of Catania."; h.BestSentence != want {
		t.Errorf("got best sentence %q, want %q", h.BestSentence, want)
	}
	text := h.Passage.Text
	var got []string
	for _, s := range h.Highlights {
		got = append(got, text[s.Start:s.End])
	}
	want := []string{"Eruptions", "eruption destroyed part", "Catania"}
	if !slices.Equal(got, want) {
		t.Errorf("got highlights %q, want %q", got, want)
	}
	for i, s := range h.Highlights {
		if s.Start < 0 || s.End > len(text) || s.Start >= s.End || (i > 0 && s.Start < h.Highlights[i-1].End) {
			t.Errorf("span %d %v out of order or range", i, s)
		}
	}
}

func TestBestSentenceIsSubstring(t *testing.T) {
	ix := buildTest(t, makeCorpus(testDocs...), Options{})
	for _, q := range []string{"honey bees dance", "Etna volcano Europe", "chess openings", "railway 1825"} {
		res, err := ix.Search(context.Background(), q, SearchOptions{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			if h.BestSentence == "" || !strings.Contains(h.Passage.Text, h.BestSentence) {
				t.Errorf("%q: best sentence %q is not in passage %q", q, h.BestSentence, h.Passage.Text)
			}
		}
	}
}

func TestTiesFollowPassageOrder(t *testing.T) {
	same := "Lighthouse keepers trimmed the lamps every evening."
	var docs []tdoc
	for _, s := range []string{"a.txt", "b.txt", "c.txt", "d.txt", "e.txt"} {
		docs = append(docs, tdoc{s, "Doc " + s, []string{same, "Unrelated filler about gardens and hedges."}})
	}
	c := makeCorpus(docs...)
	var first []string
	for i := range 3 {
		ix := buildTest(t, c, Options{})
		res, err := ix.Search(context.Background(), "lighthouse keepers lamps", SearchOptions{Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		got := hitsOf(res)
		want := []string{"a.txt#0", "b.txt#0", "c.txt#0", "d.txt#0", "e.txt#0"}
		if !slices.Equal(got, want) {
			t.Errorf("build %d: got %v, want %v", i, got, want)
		}
		if i == 0 {
			first = got
		} else if !slices.Equal(got, first) {
			t.Errorf("build %d: got %v, first build gave %v", i, got, first)
		}
	}
}

func TestCorrection(t *testing.T) {
	ix := buildTest(t, makeCorpus(testDocs...), Options{})
	res, err := ix.Search(context.Background(), "Which erupton destroyed cataina?", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Which eruption destroyed catania?"; res.Corrected != want {
		t.Errorf("got corrected %q, want %q", res.Corrected, want)
	}
	if len(res.Hits) == 0 || where(res.Hits[0].Passage) != "volcano.txt#1" {
		t.Errorf("got %v, want volcano.txt#1 first", hitsOf(res))
	}
	res, err = ix.Search(context.Background(), "Which eruption destroyed Catania?", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Corrected != "" {
		t.Errorf("correct spelling: got corrected %q, want none", res.Corrected)
	}
}

func TestBuildOpenRoundTrip(t *testing.T) {
	c := makeCorpus(testDocs...)
	dir := filepath.Join(t.TempDir(), "ix")
	ix, err := Build(context.Background(), dir, c, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	const q = "When did the Stockton and Darlington Railway open?"
	before, err := ix.Search(context.Background(), q, SearchOptions{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Search(context.Background(), q, SearchOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("search after close: got %v, want ErrClosed", err)
	}
	ix2, err := Open(dir, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ix2.Close()
	after, err := ix2.Search(context.Background(), q, SearchOptions{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(hitsOf(before), hitsOf(after)) {
		t.Errorf("after reopen got %v, want %v", hitsOf(after), hitsOf(before))
	}
	for i := range before.Hits {
		if before.Hits[i].Score != after.Hits[i].Score || before.Hits[i].Passage != after.Hits[i].Passage {
			t.Errorf("hit %d differs after reopen: got %+v, want %+v", i, after.Hits[i], before.Hits[i])
		}
	}
	if ix2.Len() != len(c.Passages()) {
		t.Errorf("got %d passages, want %d", ix2.Len(), len(c.Passages()))
	}
}

func TestBuildFailures(t *testing.T) {
	c := makeCorpus(testDocs...)
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		dir := filepath.Join(t.TempDir(), "ix")
		if _, err := Build(ctx, dir, c, Options{}); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("got %v for the half-built folder, want it removed", err)
		}
	})
	t.Run("not empty", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "keep"), []byte("x"), 0o644)
		if _, err := Build(context.Background(), dir, c, Options{}); err == nil {
			t.Error("got no error, want one for a non-empty folder")
		}
		if _, err := os.Stat(filepath.Join(dir, "keep")); err != nil {
			t.Errorf("got %v, want the existing file kept", err)
		}
	})
	t.Run("open unfinished", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ix")
		ix := buildTestAt(t, dir, c)
		ix.Close()
		os.Remove(filepath.Join(dir, metaFile))
		if _, err := Open(dir, Options{}); err == nil {
			t.Error("got no error opening a folder without meta.json, want one")
		}
	})
	t.Run("progress", func(t *testing.T) {
		var calls [][2]int
		opts := Options{Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }}
		buildTest(t, c, opts)
		n := len(c.Passages())
		if len(calls) < 2 || calls[0] != [2]int{0, n} || calls[len(calls)-1] != [2]int{n, n} {
			t.Errorf("got progress %v, want from 0/%d to %d/%d", calls, n, n, n)
		}
	})
}

func buildTestAt(t *testing.T, dir string, c *corpus.Corpus) *Index {
	t.Helper()
	ix, err := Build(context.Background(), dir, c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestTypoCost(t *testing.T) {
	tests := []struct {
		typed, word string
		limit, want int
	}{
		{"erupton", "eruption", 8, costMissing},
		{"cataina", "catania", 8, costSwap},
		{"stabed", "stabbed", 8, costDoubling},
		{"allready", "already", 8, costDoubling},
		{"stabed", "stated", 8, costSubst},
		{"vague", "value", 8, costSubst},
		{"kitten", "sitting", 20, costSubst + costVowel + costMissing}, // k/s, e/i, g
		{"kitten", "sitting", 4, 5},                                    // over the limit
		{"krugmen", "krugman", 8, costVowel},
		{"frensh", "french", 8, costSubst}, // a consonant
		{"celeron", "céloron", 8, costAccent + costVowel},
		{"same", "same", 4, 0},
		{"mongke", "möngke", 8, costAccent},
		{"sao", "são", 8, costAccent},
		{"sao", "sbo", 8, costSubst},
		{"naive", "naïve", 8, costAccent},
		{"strasse", "straße", 8, costSubst + costDoubling}, // ß is not an s with a mark
	}
	for _, tt := range tests {
		a, b := []rune(tt.typed), []rune(tt.word)
		if got := typoCost(a, b, baseLetters(a), baseLetters(b), tt.limit); got != tt.want {
			t.Errorf("typoCost(%q, %q, %d): got %d, want %d", tt.typed, tt.word, tt.limit, got, tt.want)
		}
	}
}

func slogFor(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestEmptyCorpus(t *testing.T) {
	ix := buildTest(t, &corpus.Corpus{}, Options{})
	res, err := ix.Search(context.Background(), "anything at all", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.NoneRelevant || len(res.Hits) != 0 {
		t.Errorf("got none relevant %v and %d hits, want true and 0", res.NoneRelevant, len(res.Hits))
	}
}
