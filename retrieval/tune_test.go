package retrieval

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/citebot/citebot/corpus"
)

var tunePow = flag.Float64("tunepow", 0, "idfPow for TestSQuADTune (0: default)")

var tuneSkip = flag.Bool("tuneskip", false, "TestSQuADTune: report fixed weights only")

var tuneExtra = flag.String("tuneextra", "", "TestSQuADTune: comma-separated names of features that the coordinate ascent may also weigh, each first scanned alone")

var tune = flag.Bool("tune", false, "with -squad: tune the second stage's feature weights by coordinate ascent (TestSQuADTune)")

// tuneQuery is one question's candidates as the tuner sees them.
type tuneQuery struct {
	article int
	f       []features
	good    []bool
}

// extract runs the first stage and the feature extraction for each
// question with params p.
func extract(tb testing.TB, ix *Index, qs []squadQuestion, arts []int, p rankParams) []tuneQuery {
	ix.params = p
	tb.Helper()
	texts := make([]string, len(ix.passages))
	for i, psg := range ix.passages {
		texts[i] = normText(psg.Text)
	}
	var out []tuneQuery
	for n, sq := range qs {
		q := ix.parseQuery(sq.Question)
		text := sq.Question
		if corrected, ok := ix.correct(sq.Question, &q); ok && p.typos {
			text = corrected
			q = ix.parseQuery(corrected)
		}
		ix.expand(text, &q)
		cands, _, err := ix.candidates(context.Background(), &q, "", p.window, p)
		if err != nil {
			tb.Fatal(err)
		}
		tq := tuneQuery{article: arts[n]}
		if len(cands) > 0 {
			sc := ix.getScratch(&q)
			ms := ix.rank(&q, sc, cands, p)
			for _, m := range ms {
				tq.f = append(tq.f, m.f)
				good := false
				for _, a := range sq.Answers {
					if strings.Contains(texts[m.ord], normText(a)) {
						good = true
						break
					}
				}
				tq.good = append(tq.good, good)
			}
			ix.putScratch(&q, sc)
		}
		out = append(out, tq)
	}
	return out
}

// tuneScore is hit@1, hit@5 and MRR of weights w over tqs.
func tuneScore(tqs []tuneQuery, w features, keep func(tuneQuery) bool) (hit1, hit5, mrr float64) {
	n := 0
	scores := make([]float64, 0, 128)
	for _, tq := range tqs {
		if !keep(tq) {
			continue
		}
		n++
		scores = scores[:0]
		for _, f := range tq.f {
			var s float64
			for k := range w {
				s += w[k] * f[k]
			}
			scores = append(scores, s)
		}
		// Rank of the first good candidate: candidates are in first
		// stage order... ties by index.
		best := -1
		for i, g := range tq.good {
			if g {
				// rank = 1 + number of candidates scoring higher (or
				// equal and earlier)
				r := 1
				for j, s := range scores {
					if s > scores[i] || (s == scores[i] && j < i) {
						r++
					}
				}
				if best < 0 || r < best {
					best = r
				}
			}
		}
		if best == 1 {
			hit1++
		}
		if best > 0 && best <= 5 {
			hit5++
		}
		if best > 0 {
			mrr += 1 / float64(best)
		}
	}
	return hit1 / float64(n), hit5 / float64(n), mrr / float64(n)
}

var featureNames = [nFeatures]string{"bm25", "sent", "sentNorm", "win2", "prox", "bigram", "coverage", "sentLocal", "first", "sentAns", "title", "docCov", "sentFine"}

func (w features) String() string {
	var b strings.Builder
	for k, v := range w {
		if v != 0 {
			fmt.Fprintf(&b, "%s=%g ", featureNames[k], v)
		}
	}
	return b.String()
}

// coordAscent tunes w (fBM25 stays 1) for hit@1 plus a little MRR on the
// questions keep accepts.
func coordAscent(tb testing.TB, tqs []tuneQuery, w features, keep func(tuneQuery) bool, free []int) features {
	obj := func(w features) float64 {
		h1, _, mrr := tuneScore(tqs, w, keep)
		return h1 + 0.2*mrr
	}
	grid := []float64{0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 1, 1.25, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48}
	best := obj(w)
	for round := 0; round < 4; round++ {
		improved := false
		for _, k := range free {
			for _, g := range grid {
				v := w
				v[k] = g
				if o := obj(v); o > best+1e-9 {
					best, w, improved = o, v, true
				}
			}
		}
		tb.Logf("round %d: obj %.4f %v", round, best, w)
		if !improved {
			break
		}
	}
	return w
}

func TestSQuADTune(t *testing.T) {
	if *squadPath == "" || !*tune {
		t.Skip("needs -squad FILE -tune")
	}
	c, qs := loadSQuAD(t, *squadPath)
	ix, err := Build(context.Background(), filepath.Join(t.TempDir(), "ix"), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	arts := make([]int, len(qs))
	for i, q := range qs {
		arts[i] = q.Article
	}
	p := defaultParams
	p.window = 100
	if *tunePow > 0 {
		p.idfPow = *tunePow
	}
	for _, k := range []int{fSentLocal, fTitle, fDocCov} {
		p.weights[k] = 1e-12 // computed, not weighed
	}
	tqs := extract(t, ix, qs, arts, p)
	all := func(tuneQuery) bool { return true }
	even := func(tq tuneQuery) bool { return tq.article%2 == 0 }
	odd := func(tq tuneQuery) bool { return tq.article%2 == 1 }
	report := func(name string, w features) {
		a1, a5, am := tuneScore(tqs, w, all)
		e1, _, _ := tuneScore(tqs, w, even)
		o1, _, _ := tuneScore(tqs, w, odd)
		t.Logf("%-12s all hit1=%.4f hit5=%.4f mrr=%.4f | even hit1=%.4f odd hit1=%.4f | %v", name, a1, a5, am, e1, o1, w)
	}
	report("default", defaultParams.weights)
	report("first", features{fFirst: 1})
	report("bm25", features{fBM25: 1})
	for _, w := range []features{
		{fBM25: 1, fSent: 0.5, fSentNorm: 0.2, fProx: 0.5, fBigram: 0.5, fFirst: 0.2, fSentAns: 0.3, fTitle: 24, fDocCov: 4, fCoverage: 0.1},
		{fBM25: 1, fSent: 0.5, fSentNorm: 0.2, fProx: 0.5, fBigram: 0.5, fFirst: 0.2, fSentAns: 0.3, fTitle: 12, fDocCov: 2},
		{fBM25: 1, fSent: 0.5, fProx: 0.5, fBigram: 0.5, fSentAns: 0.3, fTitle: 12, fDocCov: 2},
		{fBM25: 1, fSent: 0.5, fProx: 0.5, fSentAns: 0.3},
		{fBM25: 1, fSent: 0.5, fProx: 0.5, fTitle: 12},
		{fBM25: 1, fSent: 0.5, fProx: 0.5, fDocCov: 4},
		{fBM25: 1, fSent: 0.5, fProx: 0.5, fBigram: 0.5},
	} {
		report("chosen", w)
	}
	free := []int{fSent, fSentNorm, fWin2, fProx, fBigram, fCoverage, fSentLocal, fFirst, fSentAns, fTitle, fDocCov, fSentFine}
	for _, name := range strings.Split(*tuneExtra, ",") {
		k := slices.Index(featureNames[:], name)
		if name == "" {
			continue
		}
		if k < 0 {
			t.Fatalf("unknown feature %q", name)
		}
		if !slices.Contains(free, k) {
			free = append(free, k)
		}
		// The feature alone, the other weights as they are: the best
		// weight on the even articles, and its effect on the odd.
		bestW, bestO := 0.0, -1.0
		for _, g := range []float64{0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 1, 1.25, 1.5, 2, 3, 4, 6} {
			w := defaultParams.weights
			w[k] = g
			h1, _, mrr := tuneScore(tqs, w, even)
			if o := h1 + 0.2*mrr; o > bestO+1e-9 {
				bestW, bestO = g, o
			}
		}
		w := defaultParams.weights
		w[k] = bestW
		report("scan-"+name, w)
	}
	if *tuneSkip {
		return
	}
	w := coordAscent(t, tqs, defaultParams.weights, even, free)
	report("tuned-even", w)
	w2 := coordAscent(t, tqs, defaultParams.weights, odd, free)
	report("tuned-odd", w2)
}

var analyse = flag.Bool("analyse", false, "with -squad: print ranking misses (TestSQuADMisses)")

func TestSQuADMisses(t *testing.T) {
	if *squadPath == "" || !*analyse {
		t.Skip("needs -squad FILE -analyse")
	}
	c, qs := loadSQuAD(t, *squadPath)
	ix, err := Build(context.Background(), filepath.Join(t.TempDir(), "ix"), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	sameArt, otherArt, notFound, shown := 0, 0, 0, 0
	gapTop, gapAns, gapEqual, gapSplit := 0, 0, 0, 0
	for n, sq := range qs {
		res, err := ix.Search(context.Background(), sq.Question, SearchOptions{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		rank := 0
		for r, h := range res.Hits {
			if containsAny(h.Passage.Text, sq.Answers) {
				rank = r + 1
				break
			}
		}
		if rank == 1 {
			continue
		}
		if rank == 0 {
			notFound++
			continue
		}
		if res.Hits[0].Passage.Source == res.Hits[rank-1].Passage.Source {
			sameArt++
		} else {
			otherArt++
		}
		// Does the lexical evidence point at the answer? Compare the
		// question's IDF mass in the top hit's best sentence with that
		// in the sentence that holds the answer.
		q := ix.parseQuery(sq.Question)
		top := idfIn(ix, &q, res.Hits[0].BestSentence)
		switch ans := idfIn(ix, &q, answerSentence(res.Hits[rank-1].Passage.Text, sq.Answers)); {
		case ans < 0:
			gapSplit++
		case top > ans+1e-9:
			gapTop++
		case ans > top+1e-9:
			gapAns++
		default:
			gapEqual++
		}
		if n%97 == 0 && shown < 25 {
			shown++
			t.Logf("Q: %s  A: %q  rank %d\n  top: %s\n  good: %s", sq.Question, sq.Answers[0], rank, res.Hits[0].BestSentence, res.Hits[rank-1].BestSentence)
		}
	}
	t.Logf("misses at 1: same article %d, other article %d, not in top 100 %d", sameArt, otherArt, notFound)
	t.Logf("of the misses found in the top 100, the question's IDF mass is higher in the top hit's best sentence %d, in the answer's sentence %d, equal %d (answer across sentences %d)", gapTop, gapAns, gapEqual, gapSplit)
}

// idfIn is the IDF mass of q's terms that text holds, or -1 for no text.
func idfIn(ix *Index, q *parsedQuery, text string) float64 {
	if text == "" {
		return -1
	}
	has := map[string]bool{}
	for _, tk := range ix.an.analyze(text) {
		has[tk.term] = true
	}
	var s float64
	for _, qt := range q.terms {
		if has[qt.term] {
			s += qt.idf
		}
	}
	return s
}

// answerSentence is the first sentence of text that holds one of answers,
// or "".
func answerSentence(text string, answers []string) string {
	for _, s := range corpus.Sentences(text) {
		if containsAny(text[s[0]:s[1]], answers) {
			return text[s[0]:s[1]]
		}
	}
	return ""
}

func containsAny(text string, answers []string) bool {
	t := normText(text)
	for _, a := range answers {
		if strings.Contains(t, normText(a)) {
			return true
		}
	}
	return false
}
