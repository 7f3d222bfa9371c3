package retrieval

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/citebot/citebot/corpus"
)

var (
	seedPath = flag.String("seed", "testdata/seed-dev.jsonl", "question file (JSON Lines) for the seed-dev tests")
	update   = flag.Bool("update", false, "rewrite golden files in testdata")
)

type seedQuestion struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Answers  []string `json:"answers"`
	Kind     string   `json:"kind"`
}

func loadSeed(tb testing.TB, path string) []seedQuestion {
	tb.Helper()
	qs := loadSeedOptional(tb, path)
	if qs == nil {
		tb.Skipf("no question file %s", path)
	}
	return qs
}

// loadSeedOptional reads a question file, or returns nil when it is
// missing.
func loadSeedOptional(tb testing.TB, path string) []seedQuestion {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var qs []seedQuestion
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var q seedQuestion
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			tb.Fatal(err)
		}
		qs = append(qs, q)
	}
	return qs
}

// buildDefault builds the default corpus (its synonyms come with it).
func buildDefault(tb testing.TB) *Index {
	tb.Helper()
	c, err := corpus.Load(corpus.Default(), corpus.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	ix, err := Build(context.Background(), filepath.Join(tb.TempDir(), "ix"), c, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ix.Close() })
	return ix
}

// seedStats scores an index on seed-dev questions by the rules of
// ../shared/eval/README.md.
type seedStats struct {
	answerable, unanswerable int
	hit1, hit3, hit5         int
	rr                       float64
	abstainOK, falseAbstain  int
	ranks                    []string
}

func scoreSeed(tb testing.TB, ix *Index, qs []seedQuestion) seedStats {
	tb.Helper()
	var st seedStats
	for _, q := range qs {
		res, err := ix.Search(context.Background(), q.Question, SearchOptions{Limit: 5})
		if err != nil {
			tb.Fatal(err)
		}
		if len(q.Answers) == 0 {
			st.unanswerable++
			if res.NoneRelevant || len(res.Hits) == 0 {
				st.abstainOK++
				st.ranks = append(st.ranks, q.ID+" abstained")
			} else {
				st.ranks = append(st.ranks, q.ID+" answered")
			}
			continue
		}
		st.answerable++
		if res.NoneRelevant {
			st.falseAbstain++
			st.ranks = append(st.ranks, q.ID+" ABSTAINED")
			continue
		}
		rank := 0
		for r, h := range res.Hits {
			text := normText(h.Passage.Text)
			if slices.ContainsFunc(q.Answers, func(a string) bool { return strings.Contains(text, normText(a)) }) {
				rank = r + 1
				break
			}
		}
		if rank == 0 {
			st.ranks = append(st.ranks, q.ID+" MISS")
			continue
		}
		st.ranks = append(st.ranks, fmt.Sprintf("%s %d", q.ID, rank))
		st.rr += 1 / float64(rank)
		if rank <= 1 {
			st.hit1++
		}
		if rank <= 3 {
			st.hit3++
		}
		st.hit5++
	}
	return st
}

func (s seedStats) summary() string {
	f := func(n, d int) float64 { return float64(n) / float64(max(d, 1)) }
	return fmt.Sprintf("answerable %d unanswerable %d\nhit@1 %.3f\nhit@3 %.3f\nhit@5 %.3f\nmrr %.3f\nabstain accuracy %.3f\nfalse abstains %d\n",
		s.answerable, s.unanswerable, f(s.hit1, s.answerable), f(s.hit3, s.answerable), f(s.hit5, s.answerable),
		s.rr/float64(max(s.answerable, 1)), f(s.abstainOK, s.unanswerable), s.falseAbstain)
}

// TestRankStats keeps the ranking statistics on seed-dev in a golden
// file, so that any ranking change shows up as a diff in review. Rewrite
// it with go test ./retrieval -run TestRankStats -update.
func TestRankStats(t *testing.T) {
	qs := loadSeed(t, *seedPath)
	ix := buildDefault(t)
	st := scoreSeed(t, ix, qs)
	got := st.summary() + "\n" + strings.Join(st.ranks, "\n") + "\n"
	golden := filepath.Join("testdata", "rank_stats.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("ranking statistics changed; got:\n%s\nwant:\n%s\n(run with -update if the change is intended)", got, want)
	}
}

func TestDeterministicDefault(t *testing.T) {
	c, err := corpus.Load(corpus.Default(), corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var qs []string
	for _, q := range loadSeed(t, *seedPath) {
		qs = append(qs, q.Question)
	}
	checkDeterministic(t, c, qs, 10)
}
