package retrieval

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/citebot/citebot/corpus"
)

// TestInfoCacheBudget checks that the passage analyses an index keeps stay
// within the budget, that the oldest go first, and that rankings do not
// depend on what is cached.
func TestInfoCacheBudget(t *testing.T) {
	c := makeCorpus(testDocs...)
	qs := []string{
		"Which eruption destroyed Catania?",
		"How many workers can a colony of honey bees hold?",
		"What is the longest railway line in the world?",
		"Who became world chess champion in 2013?",
		"Which erupton destroyed cataina?",
	}
	want := rankings(t, buildTest(t, c, Options{}), qs, 5)

	// One passage's analysis and a little more.
	one := buildTest(t, c, Options{}).info(0).size()
	old := infoBudget
	infoBudget = one + one/2
	t.Cleanup(func() { infoBudget = old })
	ix := buildTest(t, c, Options{})
	if got := ix.infos.bytes(); got > infoBudget {
		t.Errorf("after build: got %d bytes cached, want at most %d", got, infoBudget)
	}
	if got := rankings(t, ix, qs, 5); !slices.Equal(got, want) {
		t.Errorf("small cache: got rankings\n%v\nwant\n%v", got, want)
	}
	if got := ix.infos.bytes(); got > infoBudget {
		t.Errorf("after searches: got %d bytes cached, want at most %d", got, infoBudget)
	}
	cachedOrds := func() []int {
		var out []int
		for i := range ix.passages {
			if ix.infos.get(i) != nil {
				out = append(out, i)
			}
		}
		return out
	}
	size := func(ord int) int64 {
		return ix.makeInfo(ix.passages[ord], ix.an.analyze(ix.passages[ord].Text)).size()
	}
	for _, tc := range []struct {
		name   string
		budget int64
		want   []int
	}{
		{"room for one", size(3) + size(5) - 1, []int{5}},
		{"room for both", size(3) + size(5), []int{3, 5}},
	} {
		ix.infos = newInfoCache(len(ix.passages), tc.budget)
		ix.info(3)
		ix.info(5)
		if got := cachedOrds(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: after info(3), info(5) got passages %v cached, want %v", tc.name, got, tc.want)
		}
	}

	infoBudget = 0
	ix0 := buildTest(t, c, Options{})
	if got := rankings(t, ix0, qs, 5); !slices.Equal(got, want) {
		t.Errorf("no cache: got rankings\n%v\nwant\n%v", got, want)
	}
	if got := ix0.infos.bytes(); got != 0 {
		t.Errorf("no cache: got %d bytes cached, want 0", got)
	}
}

// TestWordsFile checks that the build counts the words that spelling
// correction needs, the same as counting them from the passages'
// analyses, and that correction reads them without analysing passages.
func TestWordsFile(t *testing.T) {
	c := makeCorpus(testDocs...)
	old := infoBudget
	infoBudget = 0 // so that any analysis of a passage is not kept
	t.Cleanup(func() { infoBudget = old })
	ix := buildTest(t, c, Options{})

	want := map[string]int{}
	for _, p := range ix.passages {
		for _, tk := range ix.an.analyze(p.Text) {
			want[strings.ToLower(p.Text[tk.start:tk.end])]++
		}
	}
	got := map[string]int{}
	for _, ws := range ix.wordList().byLen {
		for _, w := range ws {
			got[string(w.word)] = w.count
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("got words %v, want %v", got, want)
	}
	if fix, ok := ix.closest("erupton"); !ok || fix != "eruption" {
		t.Errorf("closest(erupton): got %q, %v, want eruption", fix, ok)
	}

	// Without the file an index still answers, uncorrected.
	ix2 := buildTest(t, c, Options{})
	if err := os.Remove(filepath.Join(ix2.Dir(), wordsFile)); err != nil {
		t.Fatal(err)
	}
	res, err := ix2.Search(context.Background(), "Which erupton destroyed cataina?", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Corrected != "" {
		t.Errorf("without %s: got corrected %q, want none", wordsFile, res.Corrected)
	}
}

// TestReadPassages checks that the streamed read gives what was written,
// and that repeated fields share one string.
func TestReadPassages(t *testing.T) {
	c := makeCorpus(testDocs...)
	dir := filepath.Join(t.TempDir(), "ix")
	ix := buildTestAt(t, dir, c)
	pj, err := readPassages(filepath.Join(dir, passagesFile), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pj.Passages, c.Passages(); !slices.Equal(got, want) {
		t.Errorf("got passages %+v, want %+v", got, want)
	}
	if got, want := pj.Documents, ix.docs; !slices.Equal(got, want) {
		t.Errorf("got documents %+v, want %+v", got, want)
	}
	if a, b := pj.Passages[0].Title, pj.Passages[1].Title; unsafe.StringData(a) != unsafe.StringData(b) {
		t.Errorf("passages of one document: got two copies of title %q, want one", a)
	}

	for _, tc := range []struct{ name, data string }{
		{"not an object", `[1, 2]`},
		{"passages not a list", `{"passages": {}}`},
		{"bad passage", `{"passages": [{"text": 3}]}`},
		{"cut short", `{"documents": [], "passages": [{"text": "a"}`},
		{"passages a number", `{"passages": 3}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), passagesFile)
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := readPassages(path, 0); err == nil {
				t.Errorf("got no error, want one")
			}
		})
	}
}

// TestCandTerms checks which query terms the candidate query keeps.
func TestCandTerms(t *testing.T) {
	ix := &Index{passages: make([]corpus.Passage, 100), df: []uint32{0, 1, 5, 20, 60, 90}}
	q := &parsedQuery{}
	for i, name := range []string{"common", "rare", "mid", "gone", "often", "rarest"} {
		id := []uint32{4, 2, 3, 0, 5, 1}[i]
		q.terms = append(q.terms, qterm{term: name, id: id})
	}
	names := func(ts []qterm) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.term)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		df    float64
		terms int
		minN  int
		want  []string
	}{
		{"all", 0, 0, 0, []string{"common", "rare", "mid", "often", "rarest"}},
		{"max df", 0.5, 0, 0, []string{"rare", "mid", "rarest"}},
		{"max df keeps the rarest", 0.001, 0, 0, []string{"rarest"}},
		{"max terms in question order", 0, 2, 0, []string{"rare", "rarest"}},
		{"both", 0.7, 3, 0, []string{"rare", "mid", "rarest"}},
		{"small corpus", 0.5, 2, 101, []string{"common", "rare", "mid", "often", "rarest"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := rankParams{candMaxDF: tc.df, candMaxTerms: tc.terms, candMinPassages: tc.minN}
			if got := names(ix.candTerms(q, p)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
