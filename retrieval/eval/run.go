package eval

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/citebot/citebot/retrieval"
)

// Searcher runs one question against the system under test. It should ask
// for at least [RunOptions.K] hits. An empty result or one with
// [retrieval.Result.NoneRelevant] set counts as an abstention; an error
// stops the run.
type Searcher func(ctx context.Context, question string) (retrieval.Result, error)

// Searchable is anything with retrieval's Search method, such as
// *retrieval.Index and *retrieval.Store.
type Searchable interface {
	Search(ctx context.Context, question string, opts retrieval.SearchOptions) (retrieval.Result, error)
}

// ForIndex returns a Searcher that searches ix for k hits (0 means 5, as in
// [RunOptions.K]).
func ForIndex(ix Searchable, k int) Searcher {
	if k <= 0 {
		k = defaultK
	}
	return func(ctx context.Context, question string) (retrieval.Result, error) {
		return ix.Search(ctx, question, retrieval.SearchOptions{Limit: k})
	}
}

const defaultK = 5

// RunOptions tunes [Run]. The zero value gives the defaults.
type RunOptions struct {
	// K is the number of hits scored per question; hits past K are
	// ignored, so hit@5 is really hit@min(5,K) and MRR is MRR@K. 0 means 5,
	// the deepest cut-off reported.
	K int
	// Progress, if set, is called after each question with the number done
	// and the total.
	Progress func(done, total int)
}

// QuestionResult is how one question fared.
type QuestionResult struct {
	ID   string
	Kind string
	// Answerable is true when the question has answer strings.
	Answerable bool
	// Rank is the 1-based position, among the first K hits, of the first
	// passage containing an answer; 0 when none does (always 0 for an
	// unanswerable question). It is computed even when Abstained; the
	// scores then ignore it.
	Rank int
	// Abstained is true when the result had no hits or was marked
	// NoneRelevant.
	Abstained bool
	// Hits is the number of hits returned (before cutting to K).
	Hits int
	// Latency is the wall time of the search call.
	Latency time.Duration
	// TopSource and TopParagraph cite the first hit ("" and 0 when none).
	TopSource    string
	TopParagraph int
}

// Answered reports whether the question counts as answered at k: it is
// answerable, not abstained, and an answer is in the top k hits.
func (q QuestionResult) Answered(k int) bool {
	return q.Answerable && !q.Abstained && q.Rank > 0 && q.Rank <= k
}

// Correct reports whether the question was handled correctly: answered at
// K for an answerable question, abstained for an unanswerable one.
func (q QuestionResult) Correct() bool {
	if q.Answerable {
		return !q.Abstained && q.Rank > 0
	}
	return q.Abstained
}

// KindStats are the scores of one [Question.Kind].
type KindStats struct {
	Kind         string
	Questions    int
	Answerable   int
	Unanswerable int
	// Hit1, Hit3, Hit5 and MRR are over the kind's answerable questions
	// (0 when it has none).
	Hit1, Hit3, Hit5, MRR float64
	// AbstainAccuracy is over the kind's unanswerable questions (0 when it
	// has none).
	AbstainAccuracy float64
}

// Report holds the scores of one run. Fractions are 0-1.
type Report struct {
	// K is the number of hits scored per question.
	K int
	// Answerable and Unanswerable count the questions.
	Answerable, Unanswerable int
	// Hit1, Hit3 and Hit5 are the shares of answerable questions with an
	// answer in the top 1, 3 and 5 passages; MRR is the mean of 1/rank over
	// answerable questions (0 for a miss). An abstention counts as not
	// answered. All are 0 when there are no answerable questions.
	Hit1, Hit3, Hit5, MRR float64
	// Answered1, Answered3 and Answered5 are the counts behind Hit1, Hit3
	// and Hit5.
	Answered1, Answered3, Answered5 int
	// AbstainAccuracy is the share of unanswerable questions that were
	// flagged (no hits or NoneRelevant). It is 0, not NaN, when there are
	// no unanswerable questions: read it together with Unanswerable.
	AbstainAccuracy float64
	// AbstainedOK is the count behind AbstainAccuracy.
	AbstainedOK int
	// FalseAbstains counts answerable questions that were flagged.
	FalseAbstains int
	// P50Ms, P95Ms and P99Ms are search latency percentiles in
	// milliseconds (nearest-rank method; 0 when there are no questions).
	P50Ms, P95Ms, P99Ms float64
	// BuildMs is the index build time in milliseconds and Passages the
	// number of indexed passages; [Run] leaves both 0 for the caller to
	// fill in.
	BuildMs  float64
	Passages int
	// Kinds are the per-kind scores, sorted by kind.
	Kinds []KindStats
	// Results are the per-question results in question order.
	Results []QuestionResult
	// WithQuestions makes [Report.WriteJSON] include Results under
	// "questions"; by default the JSON object holds only the summary.
	WithQuestions bool
}

// FalseAbstainRate is FalseAbstains as a share of answerable questions (0
// when there are none).
func (r *Report) FalseAbstainRate() float64 {
	return ratio(r.FalseAbstains, r.Answerable)
}

// Run asks s every question in qs, one at a time, and scores the results
// under the rules of shared/eval/README.md. It stops at the first search
// error or when ctx ends, and returns that error.
func Run(ctx context.Context, s Searcher, qs []Question, opts RunOptions) (*Report, error) {
	k := opts.K
	if k <= 0 {
		k = defaultK
	}
	results := make([]QuestionResult, 0, len(qs))
	for i, q := range qs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("eval question %s: %w", q.ID, err)
		}
		start := time.Now()
		res, err := s(ctx, q.Question)
		took := time.Since(start)
		if err != nil {
			return nil, fmt.Errorf("search question %s: %w", q.ID, err)
		}
		results = append(results, score(q, res, k, took))
		if opts.Progress != nil {
			opts.Progress(i+1, len(qs))
		}
	}
	return Summarize(results, k), nil
}

// score judges one result.
func score(q Question, res retrieval.Result, k int, took time.Duration) QuestionResult {
	qr := QuestionResult{
		ID:         q.ID,
		Kind:       q.Kind,
		Answerable: q.Answerable(),
		Abstained:  res.NoneRelevant || len(res.Hits) == 0,
		Hits:       len(res.Hits),
		Latency:    took,
	}
	if len(res.Hits) > 0 {
		qr.TopSource = res.Hits[0].Passage.Source
		qr.TopParagraph = res.Hits[0].Passage.Paragraph
	}
	if qr.Answerable {
		m := NewMatcher(q.Answers)
		for i, h := range res.Hits[:min(k, len(res.Hits))] {
			if m.Match(h.Passage.Text) {
				qr.Rank = i + 1
				break
			}
		}
	}
	return qr
}

// Summarize computes a Report from per-question results scored at k hits
// (0 means 5). [Run] calls it; it is exported for callers that score
// results themselves.
func Summarize(results []QuestionResult, k int) *Report {
	if k <= 0 {
		k = defaultK
	}
	r := &Report{K: k, Results: results}
	t := tally(results)
	r.Answerable, r.Unanswerable = t.answerable, t.unanswerable
	r.Answered1, r.Answered3, r.Answered5 = t.at1, t.at3, t.at5
	r.AbstainedOK, r.FalseAbstains = t.abstainOK, t.falseAbstain
	r.Hit1, r.Hit3, r.Hit5 = ratio(t.at1, t.answerable), ratio(t.at3, t.answerable), ratio(t.at5, t.answerable)
	if t.answerable > 0 {
		r.MRR = t.rr / float64(t.answerable)
	}
	r.AbstainAccuracy = ratio(t.abstainOK, t.unanswerable)

	lat := make([]time.Duration, len(results))
	for i, q := range results {
		lat[i] = q.Latency
	}
	slices.Sort(lat)
	r.P50Ms, r.P95Ms, r.P99Ms = percentileMs(lat, 50), percentileMs(lat, 95), percentileMs(lat, 99)

	byKind := make(map[string][]QuestionResult)
	for _, q := range results {
		byKind[q.Kind] = append(byKind[q.Kind], q)
	}
	for kind, qs := range byKind {
		t := tally(qs)
		ks := KindStats{
			Kind:            kind,
			Questions:       len(qs),
			Answerable:      t.answerable,
			Unanswerable:    t.unanswerable,
			Hit1:            ratio(t.at1, t.answerable),
			Hit3:            ratio(t.at3, t.answerable),
			Hit5:            ratio(t.at5, t.answerable),
			AbstainAccuracy: ratio(t.abstainOK, t.unanswerable),
		}
		if t.answerable > 0 {
			ks.MRR = t.rr / float64(t.answerable)
		}
		r.Kinds = append(r.Kinds, ks)
	}
	slices.SortFunc(r.Kinds, func(a, b KindStats) int { return cmp.Compare(a.Kind, b.Kind) })
	return r
}

type counts struct {
	answerable, unanswerable int
	at1, at3, at5            int
	rr                       float64
	abstainOK, falseAbstain  int
}

func tally(results []QuestionResult) counts {
	var c counts
	for _, q := range results {
		if !q.Answerable {
			c.unanswerable++
			if q.Abstained {
				c.abstainOK++
			}
			continue
		}
		c.answerable++
		if q.Abstained {
			c.falseAbstain++
			continue
		}
		if q.Rank <= 0 {
			continue
		}
		if q.Answered(1) {
			c.at1++
		}
		if q.Answered(3) {
			c.at3++
		}
		if q.Answered(5) {
			c.at5++
		}
		c.rr += 1 / float64(q.Rank)
	}
	return c
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// percentileMs returns the p-th percentile of sorted by the nearest-rank
// method (the smallest value with at least p % of values at or below it),
// in milliseconds.
func percentileMs(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / float64(time.Millisecond)
}
