package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/citebot/citebot/corpus"
	"github.com/citebot/citebot/retrieval"
)

// canned is a fake system under test: each question maps to a fixed result,
// returned after a fixed delay (real time, or fake time under synctest).
type canned struct {
	results map[string]retrieval.Result
	delays  map[string]time.Duration
	asked   []string
}

func (c *canned) Search(ctx context.Context, question string) (retrieval.Result, error) {
	c.asked = append(c.asked, question)
	if d := c.delays[question]; d > 0 {
		time.Sleep(d)
	}
	res, ok := c.results[question]
	if !ok {
		return retrieval.Result{}, fmt.Errorf("no canned result for %q", question)
	}
	return res, nil
}

func hit(source string, para int, text string) retrieval.Hit {
	return retrieval.Hit{Passage: corpus.Passage{Source: source, Paragraph: para, Text: text}}
}

// hits returns n filler hits with the answer text at 1-based position at
// (0 for nowhere).
func hits(n, at int, answer string) []retrieval.Hit {
	var hs []retrieval.Hit
	for i := 1; i <= n; i++ {
		text := fmt.Sprintf("filler passage number %d", i)
		if i == at {
			text = "before " + answer + " after"
		}
		hs = append(hs, hit(fmt.Sprintf("doc%d.txt", i), i, text))
	}
	return hs
}

// fixture is a question set covering every outcome, with its canned
// results. Latency of question i is i ms.
func fixture() ([]Question, *canned) {
	qs := []Question{
		{ID: "q01", Question: "first", Answers: []string{"alpha beta"}, Kind: "factoid"},
		{ID: "q02", Question: "second", Answers: []string{"gamma"}, Kind: "factoid"},
		{ID: "q03", Question: "fourth", Answers: []string{"delta"}, Kind: "keyword"},
		{ID: "q04", Question: "sixth", Answers: []string{"epsilon"}, Kind: "keyword"},
		{ID: "q05", Question: "nothing", Answers: []string{"zeta"}, Kind: "number"},
		{ID: "q06", Question: "flagged", Answers: []string{"eta"}, Kind: "number"},
		{ID: "q07", Question: "folded", Answers: []string{"Years’ Theta"}, Kind: "who"},
		{ID: "q08", Question: "none relevant", Kind: "unanswerable"},
		{ID: "q09", Question: "empty", Kind: "unanswerable"},
		{ID: "q10", Question: "answered anyway", Kind: "unanswerable"},
		{ID: "q11", Question: "curly", Answers: []string{"iota’s"}, Kind: "who"},
	}
	c := &canned{
		results: map[string]retrieval.Result{
			"first":   {Hits: hits(5, 1, "ALPHA\u00a0beta")},
			"second":  {Hits: hits(5, 2, "gamma")},
			"fourth":  {Hits: hits(5, 4, "delta")},
			"sixth":   {Hits: hits(8, 6, "epsilon")}, // beyond K=5
			"nothing": {},
			// NoneRelevant with an answer in the hits is still an abstention.
			"flagged":         {NoneRelevant: true, Hits: hits(2, 1, "eta")},
			"folded":          {Hits: hits(5, 3, "years’\n  theta")},
			"none relevant":   {NoneRelevant: true},
			"empty":           {Hits: []retrieval.Hit{}},
			"answered anyway": {Hits: hits(3, 0, "")},
			"curly":           {Hits: hits(5, 1, "iota's")}, // straight apostrophe: no match
		},
		delays: make(map[string]time.Duration),
	}
	for i, q := range qs {
		c.delays[q.Question] = time.Duration(i+1) * time.Millisecond
	}
	return qs, c
}

func TestRunScores(t *testing.T) {
	qs, c := fixture()
	c.delays = nil
	rep, err := Run(t.Context(), c.Search, qs, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.asked) != len(qs) {
		t.Errorf("searcher asked %d questions, want %d", len(c.asked), len(qs))
	}

	wantRanks := map[string]struct {
		rank      int
		abstained bool
		outcome   string
		top       string
	}{
		"q01": {1, false, "rank 1", "doc1.txt"},
		"q02": {2, false, "rank 2", "doc1.txt"},
		"q03": {4, false, "rank 4", "doc1.txt"},
		"q04": {0, false, "MISS", "doc1.txt"},
		"q05": {0, true, "ABSTAIN wrong", ""},
		"q06": {1, true, "ABSTAIN wrong", "doc1.txt"},
		"q07": {3, false, "rank 3", "doc1.txt"},
		"q08": {0, true, "ABSTAIN ok", ""},
		"q09": {0, true, "ABSTAIN ok", ""},
		"q10": {0, false, "ANSWERED wrong", "doc1.txt"},
		"q11": {0, false, "MISS", "doc1.txt"},
	}
	if len(rep.Results) != len(qs) {
		t.Fatalf("got %d results, want %d", len(rep.Results), len(qs))
	}
	for i, r := range rep.Results {
		if r.ID != qs[i].ID {
			t.Errorf("result %d: got id %s, want %s", i, r.ID, qs[i].ID)
		}
		w := wantRanks[r.ID]
		if r.Rank != w.rank || r.Abstained != w.abstained || r.Outcome() != w.outcome || r.TopSource != w.top {
			t.Errorf("%s: got rank %d abstained %v outcome %q top %q, want %d %v %q %q",
				r.ID, r.Rank, r.Abstained, r.Outcome(), r.TopSource, w.rank, w.abstained, w.outcome, w.top)
		}
	}

	// Answerable: q01-q07, q11 (8). Answered at 1: q01. At 3: q01 q02 q07.
	// At 5: + q03. q05 and q06 are false abstains (q06 despite its rank 1).
	// Unanswerable: q08 q09 flagged, q10 not.
	checkInt(t, "answerable", rep.Answerable, 8)
	checkInt(t, "unanswerable", rep.Unanswerable, 3)
	checkInt(t, "answered@1", rep.Answered1, 1)
	checkInt(t, "answered@3", rep.Answered3, 3)
	checkInt(t, "answered@5", rep.Answered5, 4)
	checkInt(t, "false abstains", rep.FalseAbstains, 2)
	checkInt(t, "abstained ok", rep.AbstainedOK, 2)
	checkInt(t, "k", rep.K, 5)
	checkFloat(t, "hit1", rep.Hit1, 1.0/8)
	checkFloat(t, "hit3", rep.Hit3, 3.0/8)
	checkFloat(t, "hit5", rep.Hit5, 4.0/8)
	checkFloat(t, "mrr", rep.MRR, (1+1.0/2+1.0/4+1.0/3)/8)
	checkFloat(t, "abstain accuracy", rep.AbstainAccuracy, 2.0/3)
	checkFloat(t, "false abstain rate", rep.FalseAbstainRate(), 2.0/8)

	wantKinds := []KindStats{
		{Kind: "factoid", Questions: 2, Answerable: 2, Hit1: 0.5, Hit3: 1, Hit5: 1, MRR: 0.75},
		{Kind: "keyword", Questions: 2, Answerable: 2, Hit1: 0, Hit3: 0, Hit5: 0.5, MRR: 0.125},
		{Kind: "number", Questions: 2, Answerable: 2},
		{Kind: "unanswerable", Questions: 3, Unanswerable: 3, AbstainAccuracy: 2.0 / 3},
		{Kind: "who", Questions: 2, Answerable: 2, Hit1: 0, Hit3: 0.5, Hit5: 0.5, MRR: 1.0 / 6},
	}
	if len(rep.Kinds) != len(wantKinds) {
		t.Fatalf("got %d kinds %+v, want %d", len(rep.Kinds), rep.Kinds, len(wantKinds))
	}
	for i, w := range wantKinds {
		g := rep.Kinds[i]
		if g.Kind != w.Kind || g.Questions != w.Questions || g.Answerable != w.Answerable || g.Unanswerable != w.Unanswerable ||
			!near(g.Hit1, w.Hit1) || !near(g.Hit3, w.Hit3) || !near(g.Hit5, w.Hit5) || !near(g.MRR, w.MRR) || !near(g.AbstainAccuracy, w.AbstainAccuracy) {
			t.Errorf("kind %d: got %+v, want %+v", i, g, w)
		}
	}
}

// TestRunK checks that hits past K are ignored.
func TestRunK(t *testing.T) {
	qs, c := fixture()
	c.delays = nil
	tests := []struct {
		k                int
		at1, at3, at5    int
		rankQ03, rankQ04 int
	}{
		{k: 3, at1: 1, at3: 3, at5: 3, rankQ03: 0, rankQ04: 0},
		{k: 5, at1: 1, at3: 3, at5: 4, rankQ03: 4, rankQ04: 0},
		{k: 10, at1: 1, at3: 3, at5: 4, rankQ03: 4, rankQ04: 6},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("k=%d", tt.k), func(t *testing.T) {
			rep, err := Run(t.Context(), c.Search, qs, RunOptions{K: tt.k})
			if err != nil {
				t.Fatal(err)
			}
			checkInt(t, "k", rep.K, tt.k)
			checkInt(t, "answered@1", rep.Answered1, tt.at1)
			checkInt(t, "answered@3", rep.Answered3, tt.at3)
			checkInt(t, "answered@5", rep.Answered5, tt.at5)
			checkInt(t, "rank q03", rep.Results[2].Rank, tt.rankQ03)
			checkInt(t, "rank q04", rep.Results[3].Rank, tt.rankQ04)
			mrr := (1 + 1.0/2 + 1.0/3) / 8
			if tt.rankQ03 > 0 {
				mrr += 1.0 / 4 / 8
			}
			if tt.rankQ04 > 0 {
				mrr += 1.0 / 6 / 8
			}
			checkFloat(t, "mrr", rep.MRR, mrr)
		})
	}
}

func TestRunEmpty(t *testing.T) {
	rep, err := Run(t.Context(), func(context.Context, string) (retrieval.Result, error) {
		t.Error("searcher called with no questions")
		return retrieval.Result{}, nil
	}, nil, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Answerable != 0 || rep.Hit1 != 0 || rep.MRR != 0 || rep.AbstainAccuracy != 0 || rep.P99Ms != 0 {
		t.Errorf("got %+v, want all zero", rep)
	}
	for _, f := range []float64{rep.Hit1, rep.MRR, rep.AbstainAccuracy, rep.FalseAbstainRate()} {
		if math.IsNaN(f) {
			t.Errorf("got NaN in %+v, want 0", rep)
		}
	}
}

func TestRunSearchError(t *testing.T) {
	qs, c := fixture()
	c.delays = nil
	boom := errors.New("boom")
	calls := 0
	s := func(ctx context.Context, q string) (retrieval.Result, error) {
		calls++
		if q == "second" {
			return retrieval.Result{}, boom
		}
		return c.Search(ctx, q)
	}
	_, err := Run(t.Context(), s, qs, RunOptions{})
	if !errors.Is(err, boom) {
		t.Fatalf("got error %v, want %v", err, boom)
	}
	if !strings.Contains(err.Error(), "q02") {
		t.Errorf("got error %q, want it to name question q02", err)
	}
	if calls != 2 {
		t.Errorf("got %d searches, want 2 (stop at the first error)", calls)
	}
}

func TestRunCancel(t *testing.T) {
	qs, c := fixture()
	c.delays = nil
	ctx, cancel := context.WithCancel(t.Context())
	done := 0
	_, err := Run(ctx, c.Search, qs, RunOptions{Progress: func(n, total int) {
		done = n
		if total != len(qs) {
			t.Errorf("progress total: got %d, want %d", total, len(qs))
		}
		if n == 3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got error %v, want context.Canceled", err)
	}
	if done != 3 || len(c.asked) != 3 {
		t.Errorf("got %d progress calls and %d searches, want 3 and 3", done, len(c.asked))
	}
}

// TestRunLatency measures latency under synctest's fake clock, where a
// search that sleeps d takes exactly d.
func TestRunLatency(t *testing.T) {
	tests := []struct {
		name          string
		ms            []int // latency of each question
		p50, p95, p99 float64
	}{
		{"one", []int{7}, 7, 7, 7},
		{"three unsorted", []int{30, 10, 20}, 20, 30, 30},
		{"1 to 100", seq(1, 100), 50, 95, 99},
		{"1 to 200", seq(1, 200), 100, 190, 198},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := &canned{results: map[string]retrieval.Result{}, delays: map[string]time.Duration{}}
				var qs []Question
				for i, ms := range tt.ms {
					q := fmt.Sprintf("q%d", i)
					qs = append(qs, Question{ID: q, Question: q})
					c.results[q] = retrieval.Result{NoneRelevant: true}
					c.delays[q] = time.Duration(ms) * time.Millisecond
				}
				rep, err := Run(t.Context(), c.Search, qs, RunOptions{})
				if err != nil {
					t.Fatal(err)
				}
				checkFloat(t, "p50", rep.P50Ms, tt.p50)
				checkFloat(t, "p95", rep.P95Ms, tt.p95)
				checkFloat(t, "p99", rep.P99Ms, tt.p99)
				for i, r := range rep.Results {
					if want := time.Duration(tt.ms[i]) * time.Millisecond; r.Latency != want {
						t.Errorf("latency of %s: got %v, want %v", r.ID, r.Latency, want)
					}
				}
			})
		})
	}
}

type limitRecorder struct{ limits []int }

func (l *limitRecorder) Search(ctx context.Context, question string, opts retrieval.SearchOptions) (retrieval.Result, error) {
	l.limits = append(l.limits, opts.Limit)
	return retrieval.Result{}, nil
}

func TestForIndex(t *testing.T) {
	for _, tt := range []struct{ k, want int }{{0, 5}, {1, 1}, {10, 10}} {
		var ix limitRecorder
		if _, err := ForIndex(&ix, tt.k)(t.Context(), "q"); err != nil {
			t.Fatal(err)
		}
		if len(ix.limits) != 1 || ix.limits[0] != tt.want {
			t.Errorf("ForIndex(ix, %d): got limits %v, want [%d]", tt.k, ix.limits, tt.want)
		}
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func checkInt(t *testing.T, name string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %d, want %d", name, got, want)
	}
}

func checkFloat(t *testing.T, name string, got, want float64) {
	t.Helper()
	if !near(got, want) {
		t.Errorf("%s: got %v, want %v", name, got, want)
	}
}
