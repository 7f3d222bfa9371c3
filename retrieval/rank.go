package retrieval

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/citebot/citebot/corpus"
)

// rankParams are the ranking knobs. They are fixed in [defaultParams];
// tests change them to measure alternatives.
type rankParams struct {
	// window is the number of Bleve candidates that are re-scored.
	window int
	// k1 and b are the BM25 parameters of the re-scoring.
	k1, b float64
	// sent weighs the best sentence's score (sum of the weights of the
	// distinct query terms it holds).
	sent float64
	// prox weighs pairs of terms adjacent in the question that occur
	// within proxDist positions of each other in the passage.
	prox     float64
	proxDist int32
	// title is the Bleve boost of title and section matches (candidate
	// stage only).
	title float64
	// minCoverage is the share of the question's IDF mass that the best
	// hit must hold, below which the result is NoneRelevant.
	minCoverage float64
	// nameCoverage replaces minCoverage when the question names
	// something (a capitalised word after the first, or a word mixing
	// letters and digits) that the corpus never mentions.
	nameCoverage float64
	// dropQuestionWords leaves words that frame a question ("how many")
	// out of the query.
	dropQuestionWords bool
	// dropLetters leaves single letters out of the query.
	dropLetters bool
	// typos corrects words the index does not hold; fixNames lets it
	// correct capitalised words after the first too.
	typos, fixNames bool
	// rescore turns the second stage off (plain Bleve BM25) when false.
	rescore bool
	// idfPow is the power of IDF that weighs a term (Bleve's BM25
	// effectively uses 2: its query norm multiplies by IDF again).
	idfPow float64
	// sqrtTF saturates term frequency with a square root first, as
	// Bleve does; coord multiplies by the share of terms matched.
	sqrtTF, coord bool
}

// defaultParams were chosen on SQuAD v1.1 dev (one passage per
// paragraph, 10570 questions; answer@1) and seed-dev (abstention):
// Bleve's own en+BM25 gives 0.814; with BM25 statistics that use the true
// average passage length, 0.829; re-scored with best sentence and
// proximity (sent 0.5, prox 0.5 within 2-4 positions), 0.841, flat for
// k1 0.9-1.6, b 0.5-0.9 and windows of 30-100; abstaining costs 0.003.
// Title and section clauses in the candidate query changed nothing and
// cost a third of the latency, so title is 0.
var defaultParams = rankParams{
	window:            50,
	k1:                1.2,
	b:                 0.75,
	sent:              0.5,
	prox:              0.5,
	proxDist:          3,
	title:             0,
	minCoverage:       0.3,
	nameCoverage:      0.5,
	dropQuestionWords: true,
	dropLetters:       true,
	typos:             true,
	fixNames:          true,
	rescore:           true,
	idfPow:            2,
	sqrtTF:            true,
	coord:             true,
}

// maxQueryTerms caps the distinct terms of a question that count; the rest
// are ignored (a 500-character question rarely has more).
const maxQueryTerms = 64

// qterm is one distinct analysed term of a question.
type qterm struct {
	term string
	id   uint32 // 0 when the index does not hold it
	idf  float64
	w    float64 // ranking weight: idf^idfPow
	// name is true when the word looks like a name: capitalised and not
	// the question's first word, or mixing letters and digits.
	name bool
	// start and end are the byte span, in the question, of its first
	// occurrence.
	start, end int
}

// parsedQuery is an analysed question.
type parsedQuery struct {
	terms []qterm
	// pairs are terms adjacent in the question (stop words between them
	// allowed), as indexes into terms.
	pairs  [][2]int
	idfSum float64
	// missingName is true when a name-like word of the question is not
	// in the corpus at all.
	missingName bool
}

// questionWords are stemmed terms that frame a question rather than say
// what it is about.
var questionWords = map[string]bool{
	"mani": true, "much": true, "roughli": true, "approxim": true,
}

func (ix *Index) parseQuery(text string) parsedQuery {
	var q parsedQuery
	seen := map[string]int{}
	prev, prevPos := -1, 0
	firstWord := strings.IndexFunc(text, unicode.IsLetter)
	for _, t := range ix.an.analyze(text) {
		if r, n := utf8.DecodeRuneInString(t.term); ix.params.dropLetters && n == len(t.term) && !unicode.IsDigit(r) {
			continue // a stray letter, as in the "s" of "MI5's"
		}
		if ix.params.dropQuestionWords && questionWords[t.term] {
			continue
		}
		qi, ok := seen[t.term]
		if !ok {
			if len(q.terms) == maxQueryTerms {
				break
			}
			id := ix.terms[t.term]
			qt := qterm{term: t.term, id: id, idf: ix.idf(ix.df[id]), start: t.start, end: t.end}
			qt.w = math.Pow(qt.idf, ix.params.idfPow)
			qt.name = nameLike(text[t.start:t.end], t.start > firstWord)
			if qt.name && id == 0 {
				q.missingName = true
			}
			qi = len(q.terms)
			seen[t.term] = qi
			q.terms = append(q.terms, qt)
			q.idfSum += qt.idf
		}
		if prev >= 0 && prev != qi && t.pos-prevPos <= 2 && len(q.pairs) < 64 {
			p := [2]int{prev, qi}
			if !slices.Contains(q.pairs, p) {
				q.pairs = append(q.pairs, p)
			}
		}
		prev, prevPos = qi, t.pos
	}
	return q
}

// nameLike reports whether a word looks like a name: capitalised when it
// is not the first word, or mixing letters and digits ("MI6").
func nameLike(word string, notFirst bool) bool {
	letters, digits := false, false
	for i, r := range word {
		switch {
		case unicode.IsUpper(r) && i == 0 && notFirst:
			return true
		case unicode.IsLetter(r):
			letters = true
		case unicode.IsDigit(r):
			digits = true
		}
	}
	return letters && digits
}

// pinfo is a passage's analysis, as the re-scoring reads it.
type pinfo struct {
	ids   []uint32   // term id of each token
	pos   []int32    // position of each token
	spans [][2]int32 // byte span of each token in the text
	sent  []uint16   // sentence of each token
	sents [][2]int   // sentence byte spans
}

func (ix *Index) info(ord int) *pinfo {
	if p := ix.infos[ord].Load(); p != nil {
		return p
	}
	text := ix.passages[ord].Text
	p := ix.makeInfo(text, ix.an.analyze(text))
	ix.infos[ord].Store(p)
	return p
}

// makeInfo builds a passage's analysis from its tokens.
func (ix *Index) makeInfo(text string, toks []token) *pinfo {
	p := &pinfo{
		ids:   make([]uint32, len(toks)),
		pos:   make([]int32, len(toks)),
		spans: make([][2]int32, len(toks)),
		sent:  make([]uint16, len(toks)),
		sents: corpus.Sentences(text),
	}
	s := 0
	for k, t := range toks {
		p.ids[k] = ix.terms[t.term]
		p.pos[k] = int32(t.pos)
		p.spans[k] = [2]int32{int32(t.start), int32(t.end)}
		for s+1 < len(p.sents) && t.start >= p.sents[s][1] {
			s++
		}
		p.sent[k] = uint16(min(s, 1<<16-1))
	}
	return p
}

// scratch is per-search working memory: slot maps term ids to 1+the
// query term index.
type scratch struct {
	slot  []uint8
	masks []uint64
}

var scratchPool sync.Pool

func (ix *Index) getScratch(q *parsedQuery) *scratch {
	sc, _ := scratchPool.Get().(*scratch)
	if sc == nil || len(sc.slot) < len(ix.df) {
		sc = &scratch{slot: make([]uint8, len(ix.df))}
	}
	for i, t := range q.terms {
		if t.id != 0 {
			sc.slot[t.id] = uint8(i + 1)
		}
	}
	return sc
}

func (ix *Index) putScratch(q *parsedQuery, sc *scratch) {
	for _, t := range q.terms {
		if t.id != 0 {
			sc.slot[t.id] = 0
		}
	}
	scratchPool.Put(sc)
}

// scored is a re-scored candidate.
type scored struct {
	ord      int
	score    float64
	coverage float64 // share of the question's IDF mass in the passage
	sent     int     // best sentence
}

// rescore computes a candidate's final score from its tokens.
func (ix *Index) rescore(q *parsedQuery, sc *scratch, ord int, p rankParams) scored {
	pi := ix.info(ord)
	var tf [maxQueryTerms]int32
	var last [maxQueryTerms]int32
	for i := range q.terms {
		last[i] = -1 << 20
	}
	if cap(sc.masks) < len(pi.sents) {
		sc.masks = make([]uint64, len(pi.sents))
	}
	masks := sc.masks[:max(len(pi.sents), 1)]
	clear(masks)
	var pairHit uint64
	for k, id := range pi.ids {
		s := sc.slot[id]
		if s == 0 || id == 0 {
			continue
		}
		qi := int(s - 1)
		tf[qi]++
		masks[min(int(pi.sent[k]), len(masks)-1)] |= 1 << qi
		pos := pi.pos[k]
		for j, pr := range q.pairs {
			var other int
			switch qi {
			case pr[0]:
				other = pr[1]
			case pr[1]:
				other = pr[0]
			default:
				continue
			}
			if d := pos - last[other]; d <= p.proxDist {
				pairHit |= 1 << j
			}
		}
		last[qi] = pos
	}
	dl := float64(len(pi.ids))
	norm := p.k1 * (1 - p.b + p.b*dl/max(ix.avgLen, 1))
	var bm25, covered float64
	matched := 0
	for i, t := range q.terms {
		if tf[i] == 0 {
			continue
		}
		matched++
		f := float64(tf[i])
		if p.sqrtTF {
			f = math.Sqrt(f)
		}
		bm25 += t.w * f * (p.k1 + 1) / (f + norm)
		covered += t.idf
	}
	if p.coord {
		bm25 *= float64(matched) / float64(len(q.terms))
	}
	best, bestScore := 0, -1.0
	for s, m := range masks {
		var v float64
		for m != 0 {
			i := trailingZeros(m)
			v += q.terms[i].w
			m &= m - 1
		}
		if v > bestScore {
			best, bestScore = s, v
		}
	}
	var prox float64
	for j, pr := range q.pairs {
		if pairHit&(1<<j) != 0 {
			prox += min(q.terms[pr[0]].w, q.terms[pr[1]].w)
		}
	}
	out := scored{ord: ord, sent: best}
	if q.idfSum > 0 {
		out.coverage = covered / q.idfSum
	}
	if p.rescore {
		out.score = bm25 + p.sent*bestScore + p.prox*prox
	}
	return out
}

func trailingZeros(m uint64) int {
	n := 0
	for m&1 == 0 {
		m >>= 1
		n++
	}
	return n
}

func (ix *Index) search(ctx context.Context, question string, opts SearchOptions) (Result, error) {
	p := ix.params
	limit := opts.Limit
	if limit <= 0 {
		limit = 3
	}
	offset := max(opts.Offset, 0)
	var res Result
	res.Query, res.Truncated = truncate(question, ix.maxQ)

	q := ix.parseQuery(res.Query)
	if corrected, ok := ix.correct(res.Query, &q); ok && p.typos {
		res.Corrected = corrected
		q = ix.parseQuery(corrected)
	}
	cands, total, err := ix.candidates(ctx, &q, opts.Source, max(p.window, offset+limit), p)
	if err != nil {
		return Result{}, err
	}
	if len(cands) == 0 {
		res.NoneRelevant = true
		return res, nil
	}
	sc := ix.getScratch(&q)
	out := make([]scored, len(cands))
	for i, c := range cands {
		out[i] = ix.rescore(&q, sc, c.ord, p)
		if !p.rescore {
			out[i].score = c.score
		}
	}
	slices.SortFunc(out, func(a, b scored) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return a.ord - b.ord
	})
	if out[0].coverage < p.minCoverage || (q.missingName && out[0].coverage < p.nameCoverage) {
		ix.putScratch(&q, sc)
		res.NoneRelevant = true
		return res, nil
	}
	res.Total = total
	if offset < len(out) {
		for _, s := range out[offset:min(offset+limit, len(out))] {
			res.Hits = append(res.Hits, ix.hit(&q, sc, s))
		}
	}
	ix.putScratch(&q, sc)
	return res, nil
}

// hit renders a scored candidate.
func (ix *Index) hit(q *parsedQuery, sc *scratch, s scored) Hit {
	psg := ix.passages[s.ord]
	pi := ix.info(s.ord)
	h := Hit{Passage: psg, Score: s.score}
	if s.sent < len(pi.sents) {
		sp := pi.sents[s.sent]
		h.BestSentence = psg.Text[sp[0]:sp[1]]
	} else {
		h.BestSentence = psg.Text
	}
	for k, id := range pi.ids {
		if id == 0 || sc.slot[id] == 0 {
			continue
		}
		sp := Span{Start: int(pi.spans[k][0]), End: int(pi.spans[k][1])}
		if n := len(h.Highlights); n > 0 && onlySpaces(psg.Text[h.Highlights[n-1].End:sp.Start]) {
			h.Highlights[n-1].End = sp.End
			continue
		}
		h.Highlights = append(h.Highlights, sp)
	}
	return h
}

func onlySpaces(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			return false
		}
	}
	return true
}

// candidate is a Bleve hit.
type candidate struct {
	ord   int
	score float64
}

// candidates returns the best want passages by Bleve's score, ties broken
// by passage order, and the number of passages that match at all. Bleve
// breaks ties by its internal order, which depends on indexing
// concurrency, so it fetches a few more than wanted and widens the fetch
// while a tie straddles its end.
func (ix *Index) candidates(ctx context.Context, q *parsedQuery, source string, want int, p rankParams) ([]candidate, int, error) {
	bq := bleve.NewBooleanQuery()
	n := 0
	for _, t := range q.terms {
		if t.id == 0 {
			continue
		}
		n++
		bq.AddShould(termQuery(t.term, fieldText, 1))
		if p.title > 0 {
			bq.AddShould(termQuery(t.term, fieldTitle, p.title))
			bq.AddShould(termQuery(t.term, fieldSection, p.title))
		}
	}
	if n == 0 {
		return nil, 0, nil
	}
	if source != "" {
		bq.AddFilter(termQuery(source, fieldSource, 1))
	}
	size := want + 8
	for {
		req := bleve.NewSearchRequestOptions(bq, size, 0, false)
		req.PreSearchData = map[string]any{search.BM25PreSearchDataKey: ix.stats}
		sr, err := ix.bi.SearchInContext(ctx, req)
		if err != nil {
			if errors.Is(err, bleve.ErrorIndexClosed) {
				return nil, 0, ErrClosed
			}
			return nil, 0, err
		}
		out := make([]candidate, 0, len(sr.Hits))
		for _, h := range sr.Hits {
			ord, ok := ordOf(h.ID)
			if !ok || ord >= len(ix.passages) {
				continue
			}
			out = append(out, candidate{ord: ord, score: h.Score})
		}
		slices.SortFunc(out, func(a, b candidate) int {
			switch {
			case a.score > b.score:
				return -1
			case a.score < b.score:
				return 1
			}
			return a.ord - b.ord
		})
		total := int(sr.Total)
		if len(out) <= want {
			return out, total, nil
		}
		if len(sr.Hits) < size || out[want-1].score > out[len(out)-1].score || size >= total {
			return out[:want], total, nil
		}
		size *= 2
	}
}

func termQuery(term, field string, boost float64) query.Query {
	tq := bleve.NewTermQuery(term)
	tq.SetField(field)
	tq.SetBoost(boost)
	return tq
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) (string, bool) {
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	i, count := 0, 0
	for i = range s {
		if count == n {
			break
		}
		count++
	}
	return s[:i], true
}
