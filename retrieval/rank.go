package retrieval

import (
	"cmp"
	"context"
	"errors"
	"math"
	"math/bits"
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
	// weights weigh the second stage's features into a score.
	weights features
	// proxDist is the largest distance, in positions, at which a pair of
	// terms adjacent in the question counts for fProx.
	proxDist int32
	// sk1 and sb damp fSentNorm by sentence length as BM25's k1 and b
	// do; avgSent is the sentence length (in tokens) that is not damped.
	sk1, sb, avgSent float64
	// candMaxDF, when above 0, leaves out of the candidate query the
	// terms held by more than that share of the passages, in corpora of
	// at least candMinPassages passages; the re-scoring still counts
	// them. The rarest term always stays. candMaxTerms, when above 0,
	// keeps only that many of the rarest terms in the candidate query.
	candMaxDF       float64
	candMinPassages int
	candMaxTerms    int
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

// defaultParams were chosen on SQuAD v1.1 dev (articles chunked by
// corpus.Load, 2475 passages, 10570 questions; answer@1 without
// abstaining) and seed-dev (abstention, and as a check against
// SQuAD-only gains): Bleve's own en+BM25 gives 0.814; with BM25
// statistics that use the true average passage length, 0.822; re-scored
// with best sentence and proximity (sent 0.5, prox 0.5), 0.833, flat for
// k1 0.9-1.6, b 0.5-0.9 and windows of 30-100. The other features were
// tuned by coordinate ascent (tune_test.go) on half of the articles and
// checked on the other half: together they give 0.840 (held-out half
// +0.6 points); sentence-local IDF and 2-sentence windows got no weight.
// A title feature that counted every question term found in the title or
// section gave SQuAD +0.1 but cost seed-dev two hits at 3 (news headlines
// do not name the topic the way Wikipedia titles do). Counting only the
// terms the passage's own text lacks (the speaker named in an interview's
// heading, "what did Basu say about ...") helps both: weight 12 moves
// SQuAD hit@1 0.8366 -> 0.8373, hit@5 0.9446 -> 0.9458, and seed-dev
// hit@1 0.743 -> 0.771 with hit@3 unchanged (24 costs seed-dev a hit at
// 3). Title and section clauses in the candidate query gave no gain for
// a third more latency, so the index does not hold titles and sections:
// re-scoring reads them from the passages. idfPow 1.5 and 2 are within
// 0.001. fSentFine (a year or month for "when", a percentage, a sum of
// money, a count that is not a year), scanned alone on the even articles
// (0.6), moves the held-out odd half's hit@1 0.8751 -> 0.8774 and SQuAD
// (corpus.Load) 8850 -> 8874 at 1, 9765 -> 9778 at 3, seed-dev
// unchanged; it costs one false abstain (a "when" question about
// "Mongke", which the corpus spells "Möngke": the answer rises to first,
// and the passages that outranked it and held the abstention's coverage
// fall below the third). Dropped, for gains within 0.0005 on the odd
// half (two questions): the longest run of three or more question terms
// in order in a sentence (IDF-weighted, or its length), the share of a
// sentence's tokens that are question terms (which also cost seed-dev
// MRR), the density of the question terms' span, and full names (two
// capitalised words) for "who". Also dropped: weighing name-like
// question terms 1.2 times (SQuAD hit@1 +24, odd half 0.8786 -> 0.8805,
// but seed-dev loses dev-004 to abstention and dev-013 from first to
// third), a Dirichlet query-likelihood feature (odd half 0.8786 ->
// 0.8780), marking the candidate with the best sentence of all or its
// gap to it (0.8769, 0.8780), "type", "kind", "name" and "term" as
// question words (within 7 questions), British spellings mapped to
// American ones from SCOWL's word lists before stemming (SQuAD hit@1 -1),
// and re-ordering the top 5 for question terms not yet covered (hit@5
// +0.0002 at best).
var defaultParams = rankParams{
	window: 50,
	k1:     1.2,
	b:      0.75,
	weights: features{fBM25: 1, fSent: 0.5, fSentNorm: 0.2, fProx: 0.5, fBigram: 0.5, fCoverage: 0.1,
		fFirst: 0.2, fSentAns: 0.3, fDocCov: 4, fTitle: 12, fSentFine: 0.6},
	proxDist: 3,
	sk1:      1.2,
	sb:       0.75,
	avgSent:  12,
	// Measured on the synthetic corpus of 100k passages (SQuAD
	// questions 200-3200, bench_test.go): p99 9.4 ms without, 6.0 ms
	// with, hit@1 0.659 against 0.656; 0.05 alone gives 4.6 ms but
	// hit@1 0.642. Forced on SQuAD (2475 passages), df 0.1 alone moves
	// one hit@1 up and one hit@5 down; corpora under 50k passages keep
	// the full query, and their rankings as tuned.
	candMaxDF:         0.1,
	candMaxTerms:      6,
	candMinPassages:   50_000,
	minCoverage:       0.3,
	nameCoverage:      0.5,
	dropQuestionWords: true,
	dropLetters:       true,
	typos:             true,
	fixNames:          true,
	rescore:           true,
	idfPow:            1.5,
	sqrtTF:            true,
	coord:             true,
}

// titleCoverage weighs the question terms found only in a passage's
// title or section in its coverage, which decides abstention. 1 (they
// count as if in the text) turned seed-dev's one false abstain (dev-004,
// whose question restates the headline) into a hit at 5 and SQuAD's 70
// into 68, with no unanswerable question answered; 0.5 changed nothing.
const titleCoverage = 1.0

// abstainDepth is the number of best hits whose coverage decides
// abstention.
const abstainDepth = 3

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
	// syn is true for a word of a synonym of several words ("state" of
	// "Islamic State"): the group's own term counts towards coverage
	// instead.
	syn bool
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
	// nreal is the number of terms that are not syn.
	nreal int
	// toks are the question's terms in order.
	toks []string
	// alts are other names (synonyms) that query terms may match.
	alts []alt
	// want is the kind of token the answer likely is (kindNumber,
	// kindName), from the question's wording; 0 when unknown.
	want uint8
	// fine is a finer kind of answer token (kindYear|kindDate for
	// "when", kindPercent, kindMoney, kindCount), 0 when unknown.
	fine uint8
}

// Question openings that ask for a number or a name. Matched on the
// lower-cased question, at a word start.
var (
	numberCues = []string{"how many", "how much", "how long", "how old", "how far", "how large", "how big",
		"how tall", "how high", "how often", "how fast", "how heavy", "what year", "which year", "what percentage",
		"what percent", "what proportion", "what share", "what fraction", "what century", "which century",
		"what decade", "what date", "when", "what age", "what number", "what amount", "how deep", "how wide"}
	nameCues = []string{"who", "whom", "whose", "where", "which country", "which city", "what country",
		"what city", "which company", "what company", "which person", "what person", "what organization",
		"which organization", "what group", "which group", "what team", "which team"}
)

// answerKind guesses the kind of token that answers question.
func answerKind(question string) uint8 {
	lq := strings.ToLower(question)
	switch {
	case hasCue(lq, numberCues):
		return kindNumber
	case hasCue(lq, nameCues):
		return kindName
	}
	return 0
}

// Question openings that ask for a finer kind of token.
var (
	timeCues    = []string{"when", "what year", "which year", "what date", "what decade", "what month", "which month", "what day", "in what year"}
	percentCues = []string{"what percentage", "what percent", "what proportion", "what share", "what fraction", "how much of", "what portion"}
	countCues   = []string{"how many"}
	moneyCues   = []string{"how much money", "how much did", "how much does", "how much was", "how much is", "what price", "what cost", "how much would"}
)

// fineKind guesses a finer kind of token that answers question.
func fineKind(question string) uint8 {
	lq := strings.ToLower(question)
	switch {
	case hasCue(lq, percentCues):
		return kindPercent
	case hasCue(lq, moneyCues):
		return kindMoney | kindPercent
	case hasCue(lq, countCues):
		return kindCount
	case hasCue(lq, timeCues):
		return kindYear | kindDate
	}
	return 0
}

// hasCue reports whether lower-cased question lq holds one of cues at
// word boundaries.
func hasCue(lq string, cues []string) bool {
	for _, cue := range cues {
		for i := 0; ; {
			j := strings.Index(lq[i:], cue)
			if j < 0 {
				break
			}
			j += i
			end := j + len(cue)
			if (j == 0 || !isWordByte(lq[j-1])) && (end == len(lq) || !isWordByte(lq[end])) {
				return true
			}
			i = j + 1
		}
	}
	return false
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b >= 0x80
}

// questionWords are stemmed terms that frame a question rather than say
// what it is about.
var questionWords = map[string]bool{
	"mani": true, "much": true, "roughli": true, "approxim": true,
}

func (ix *Index) parseQuery(text string) parsedQuery {
	var q parsedQuery
	q.want = answerKind(text)
	q.fine = fineKind(text)
	seen := map[string]int{}
	prev, prevPos := -1, 0
	firstWord := strings.IndexFunc(text, unicode.IsLetter)
	for _, t := range ix.an.analyze(text) {
		q.toks = append(q.toks, t.term)
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
			q.nreal++
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
	kind  []uint8    // kindNumber and kindName bits of each token
	title []uint32   // term ids of the passage's title and section
}

// Token kinds, for matching a question's expected answer type.
const (
	kindNumber  = 1 << iota // holds a digit, or is a number word
	kindName                // capitalised, not the sentence's first word
	kindYear                // a year: 3 or 4 digits, maybe with a final "s"
	kindDate                // a month's name
	kindPercent             // a number followed by "%" or "percent"
	kindMoney               // a number after a currency sign, or a currency word
	kindCount               // a number that is not a year
)

func (ix *Index) info(ord int) *pinfo {
	if p := ix.infos.get(ord); p != nil {
		return p
	}
	text := ix.passages[ord].Text
	p, _ := ix.infos.put(ord, ix.makeInfo(ix.passages[ord], ix.an.analyze(text)))
	return p
}

// makeInfo builds a passage's analysis from its tokens.
func (ix *Index) makeInfo(psg corpus.Passage, toks []token) *pinfo {
	text := psg.Text
	p := &pinfo{
		ids:   make([]uint32, len(toks)),
		pos:   make([]int32, len(toks)),
		spans: make([][2]int32, len(toks)),
		sent:  make([]uint16, len(toks)),
		kind:  make([]uint8, len(toks)),
		sents: corpus.Sentences(text),
	}
	s := 0
	for k, t := range toks {
		if p.ids[k] = t.id; t.id == 0 {
			p.ids[k] = ix.terms[t.term]
		}
		p.pos[k] = int32(t.pos)
		p.spans[k] = [2]int32{int32(t.start), int32(t.end)}
		for s+1 < len(p.sents) && t.start >= p.sents[s][1] {
			s++
		}
		p.sent[k] = uint16(min(s, 1<<16-1))
		sentStart := len(p.sents) > s && t.start == p.sents[s][0]
		p.kind[k] = tokenKind(text, t.start, t.end, t.term, sentStart)
	}
	for _, t := range ix.an.analyze(psg.Title + " \n " + psg.Section) {
		if id := ix.terms[t.term]; id != 0 && !slices.Contains(p.title, id) {
			p.title = append(p.title, id)
		}
	}
	return p
}

// numberWords are (stemmed) words that give a quantity.
var numberWords = map[string]bool{
	"two": true, "three": true, "four": true, "five": true, "six": true, "seven": true,
	"eight": true, "nine": true, "ten": true, "eleven": true, "twelv": true, "twenti": true,
	"hundr": true, "thousand": true, "million": true, "billion": true, "dozen": true,
	"half": true, "percent": true,
}

// monthWords are the (stemmed) month names; "may" is left out, being
// mostly a verb.
var monthWords = map[string]bool{
	"januari": true, "februari": true, "march": true, "april": true, "june": true, "juli": true,
	"august": true, "septemb": true, "octob": true, "novemb": true, "decemb": true,
}

// moneyWords are (stemmed) words that name a currency.
var moneyWords = map[string]bool{
	"dollar": true, "pound": true, "euro": true, "yen": true, "usd": true, "franc": true,
}

// tokenKind classifies the token text[start:end] by its text, its term
// and its neighbours.
func tokenKind(text string, start, end int, term string, sentStart bool) uint8 {
	var k uint8
	word := text[start:end]
	r, _ := utf8.DecodeRuneInString(word)
	digits := 0
	for i := 0; i < len(word); i++ {
		if word[i] >= '0' && word[i] <= '9' {
			digits++
		}
	}
	if digits > 0 || numberWords[term] {
		k |= kindNumber
		yw := strings.TrimSuffix(word, "s")
		if digits == len(yw) && (digits == 4 || digits == 3) && yw[0] != '0' {
			k |= kindYear
		} else {
			k |= kindCount
		}
		rest := strings.TrimLeft(text[end:], " ")
		if strings.HasPrefix(rest, "%") || strings.HasPrefix(rest, "percent") || strings.HasPrefix(rest, "per cent") {
			k |= kindPercent
		}
		if before := strings.TrimRight(text[:start], " "); strings.HasSuffix(before, "$") || strings.HasSuffix(before, "£") ||
			strings.HasSuffix(before, "€") || strings.HasSuffix(before, "¥") {
			k |= kindMoney
		}
	}
	if term == "percent" {
		k |= kindPercent
	}
	if moneyWords[term] {
		k |= kindMoney
	}
	if monthWords[term] && unicode.IsUpper(r) {
		k |= kindDate
	}
	if unicode.IsUpper(r) && !sentStart {
		k |= kindName
	}
	return k
}

// scratch is per-search working memory: slot maps term ids to 1+the
// query term index; ms, maskBuf and lenBuf hold the candidates' matches.
type scratch struct {
	slot    []uint8
	ms      []match
	maskBuf []uint64
	lenBuf  []int32
	kindBuf []uint8
	set     []uint32 // ids whose slot is set
	phrases []alt    // alternatives of several terms
}

// carve returns n zeroed elements from the end of *buf, growing it when
// full. Earlier carves stay valid: a grown buffer is a new array.
func carve[T any](buf *[]T, n int) []T {
	if cap(*buf)-len(*buf) < n {
		*buf = make([]T, 0, max(2*cap(*buf), n, 1024))
	}
	l := len(*buf)
	*buf = (*buf)[:l+n]
	b := (*buf)[l : l+n : l+n]
	clear(b)
	return b
}

var scratchPool sync.Pool

func (ix *Index) getScratch(q *parsedQuery) *scratch {
	sc, _ := scratchPool.Get().(*scratch)
	if sc == nil || len(sc.slot) < len(ix.df) {
		sc = &scratch{slot: make([]uint8, len(ix.df))}
	}
	sc.maskBuf, sc.lenBuf, sc.kindBuf = sc.maskBuf[:0], sc.lenBuf[:0], sc.kindBuf[:0]
	sc.set, sc.phrases = sc.set[:0], sc.phrases[:0]
	for i, t := range q.terms {
		if t.id != 0 && sc.slot[t.id] == 0 {
			sc.slot[t.id] = uint8(i + 1)
			sc.set = append(sc.set, t.id)
		}
	}
	for _, a := range q.alts {
		switch {
		case len(a.ids) > 1:
			sc.phrases = append(sc.phrases, a)
		case sc.slot[a.ids[0]] == 0:
			sc.slot[a.ids[0]] = uint8(a.qi + 1)
			sc.set = append(sc.set, a.ids[0])
		}
	}
	return sc
}

func (ix *Index) putScratch(q *parsedQuery, sc *scratch) {
	for _, id := range sc.set {
		sc.slot[id] = 0
	}
	scratchPool.Put(sc)
}

// Features of a candidate that the second stage weighs (see
// [rankParams.weights]).
const (
	// fBM25 is the passage's BM25 over the query terms.
	fBM25 = iota
	// fSent is the best sentence's sum of the weights of the distinct
	// query terms it holds.
	fSent
	// fSentNorm is fSent damped by the sentence's length, as BM25 damps
	// a passage's.
	fSentNorm
	// fWin2 is fSent over the best window of two adjacent sentences.
	fWin2
	// fProx sums, over pairs of terms adjacent in the question, the
	// smaller weight of each pair found within proxDist positions.
	fProx
	// fBigram is fProx for pairs found in the question's order, at most
	// one stop word apart.
	fBigram
	// fCoverage is the share of the question's IDF mass the passage holds.
	fCoverage
	// fSentLocal is fSent with each term's weight multiplied by its IDF
	// among the candidates, so terms that every candidate holds (the
	// topic) count less than those that single a passage out.
	fSentLocal
	// fFirst is the first stage's (Bleve's) score.
	fFirst
	// fSentAns is fSent of the best sentence that also holds a token of
	// the kind the question asks for (a number for "how many", a name
	// for "who"), other than the question's own terms.
	fSentAns
	// fTitle is the share of the question's IDF mass in the passage's
	// title and section, counting only terms its text does not hold.
	fTitle
	// fDocCov is fCoverage over all the candidates of the passage's
	// document: how much of the question its document answers.
	fDocCov
	// fSentFine is fSentAns for the finer answer kinds of
	// [parsedQuery.fine] (a year or month for "when", a percentage, a
	// sum of money, a count).
	fSentFine
	nFeatures
)

// features are a candidate's feature values.
type features [nFeatures]float64

// match is a candidate as the second stage sees it.
type match struct {
	ord       int
	first     float64
	tf        [maxQueryTerms]int32
	masks     []uint64 // query terms held by each sentence
	slen      []int32  // tokens in each sentence
	skind     []uint8  // kinds of the tokens of each sentence that are not query terms
	ntok      int
	pairHit   uint64 // pairs within proxDist
	bigramHit uint64 // pairs in order, adjacent
	f         features
	score     float64
	coverage  float64
	sent      int // best sentence
}

// termMask has a bit for each of the first nt query terms m holds.
func (m *match) termMask(nt int) uint64 {
	var b uint64
	for t := 0; t < nt; t++ {
		if m.tf[t] > 0 {
			b |= 1 << t
		}
	}
	return b
}

// phraseAt returns 1+the query term of the first phrase in phrases that
// starts at token k of pi, or 0.
func phraseAt(phrases []alt, pi *pinfo, k int) uint8 {
	for _, a := range phrases {
		if k+len(a.ids) > len(pi.ids) || pi.ids[k] != a.ids[0] {
			continue
		}
		ok := true
		for j := 1; j < len(a.ids); j++ {
			if pi.ids[k+j] != a.ids[j] || pi.pos[k+j] != pi.pos[k]+int32(j) {
				ok = false
				break
			}
		}
		if ok {
			return uint8(a.qi + 1)
		}
	}
	return 0
}

// matchOne reads candidate ord's tokens for the query terms.
func (ix *Index) matchOne(q *parsedQuery, sc *scratch, m *match, p rankParams) {
	pi := ix.info(m.ord)
	var last [maxQueryTerms]int32
	for i := range q.terms {
		last[i] = -1 << 20
	}
	m.tf = [maxQueryTerms]int32{}
	ns := max(len(pi.sents), 1)
	m.masks = carve(&sc.maskBuf, ns)
	m.slen = carve(&sc.lenBuf, ns)
	m.skind = carve(&sc.kindBuf, ns)
	m.ntok = len(pi.ids)
	m.pairHit, m.bigramHit = 0, 0
	for k, id := range pi.ids {
		s := min(int(pi.sent[k]), ns-1)
		m.slen[s]++
		qs := sc.slot[id]
		if qs == 0 && len(sc.phrases) > 0 {
			qs = phraseAt(sc.phrases, pi, k)
		}
		if qs == 0 || id == 0 {
			m.skind[s] |= pi.kind[k]
			continue
		}
		qi := int(qs - 1)
		m.tf[qi]++
		m.masks[s] |= 1 << qi
		pos := pi.pos[k]
		for j, pr := range q.pairs {
			var other int
			switch qi {
			case pr[0]:
				other = pr[1]
			case pr[1]:
				other = pr[0]
				if d := pos - last[other]; d <= 2 {
					m.bigramHit |= 1 << j
				}
			default:
				continue
			}
			if d := pos - last[other]; d <= p.proxDist {
				m.pairHit |= 1 << j
			}
		}
		last[qi] = pos
	}
}

// featurize computes the features of the matched candidates and their
// scores. lw receives each query term's weight among the candidates.
func (ix *Index) featurize(q *parsedQuery, sc *scratch, ms []match, p rankParams) {
	nt := len(q.terms)
	// Each term's IDF among the candidates.
	var lw [maxQueryTerms]float64
	if p.weights[fSentLocal] != 0 {
		var cdf [maxQueryTerms]int
		for i := range ms {
			for t := 0; t < nt; t++ {
				if ms[i].tf[t] > 0 {
					cdf[t]++
				}
			}
		}
		n := float64(len(ms))
		for t := 0; t < nt; t++ {
			c := float64(cdf[t])
			lw[t] = q.terms[t].w * math.Log(1+(n-c+0.5)/(c+0.5))
		}
	}
	sumW := func(m uint64, w func(int) float64) float64 {
		var v float64
		for m != 0 {
			i := bits.TrailingZeros64(m)
			v += w(i)
			m &= m - 1
		}
		return v
	}
	// Query terms held by each document's candidates.
	var docMasks map[string]uint64
	if p.weights[fDocCov] != 0 {
		docMasks = make(map[string]uint64)
		for i := range ms {
			docMasks[ix.passages[ms[i].ord].Source] |= ms[i].termMask(nt)
		}
	}
	gw := func(i int) float64 { return q.terms[i].w }
	lwf := func(i int) float64 { return lw[i] }
	for i := range ms {
		m := &ms[i]
		var f features
		dl := float64(m.ntok)
		norm := p.k1 * (1 - p.b + p.b*dl/max(ix.avgLen, 1))
		var covered float64
		matched := 0
		for t := 0; t < nt; t++ {
			if m.tf[t] == 0 {
				continue
			}
			if !q.terms[t].syn {
				matched++
				covered += q.terms[t].idf
			}
			tf := float64(m.tf[t])
			if p.sqrtTF {
				tf = math.Sqrt(tf)
			}
			f[fBM25] += q.terms[t].w * tf * (p.k1 + 1) / (tf + norm)
		}
		if p.coord && q.nreal > 0 {
			f[fBM25] *= float64(matched) / float64(q.nreal)
		}
		if q.idfSum > 0 {
			f[fCoverage] = covered / q.idfSum
		}
		m.coverage = f[fCoverage]
		best, bestV := 0, -1.0
		for s, mk := range m.masks {
			v := sumW(mk, gw)
			sn := v * (p.sk1 + 1) / (1 + p.sk1*(1-p.sb+p.sb*float64(m.slen[s])/p.avgSent))
			var loc float64
			if p.weights[fSentLocal] != 0 {
				loc = sumW(mk, lwf)
			}
			f[fSent] = max(f[fSent], v)
			if q.want != 0 && m.skind[s]&q.want != 0 {
				f[fSentAns] = max(f[fSentAns], v)
			}
			if q.fine != 0 && m.skind[s]&q.fine != 0 {
				f[fSentFine] = max(f[fSentFine], v)
			}
			f[fSentNorm] = max(f[fSentNorm], sn)
			f[fSentLocal] = max(f[fSentLocal], loc)
			if s+1 < len(m.masks) && p.weights[fWin2] != 0 {
				f[fWin2] = max(f[fWin2], sumW(mk|m.masks[s+1], gw))
			}
			// The quoted sentence is the one the sentence features
			// like best.
			if sv := p.weights[fSent]*v + p.weights[fSentNorm]*sn + p.weights[fSentLocal]*loc + 1e-9*v; sv > bestV {
				best, bestV = s, sv
			}
		}
		if len(m.masks) == 1 && p.weights[fWin2] != 0 {
			f[fWin2] = f[fSent]
		}
		for j, pr := range q.pairs {
			w := min(q.terms[pr[0]].w, q.terms[pr[1]].w)
			if m.pairHit&(1<<j) != 0 {
				f[fProx] += w
			}
			if m.bigramHit&(1<<j) != 0 {
				f[fBigram] += w
			}
		}
		f[fFirst] = m.first
		if p.weights[fTitle] != 0 && q.idfSum > 0 {
			for _, id := range ix.info(m.ord).title {
				if qs := sc.slot[id]; qs != 0 && m.tf[qs-1] == 0 {
					f[fTitle] += q.terms[qs-1].idf
				}
			}
			f[fTitle] /= q.idfSum
			m.coverage += titleCoverage * f[fTitle]
		}
		if p.weights[fDocCov] != 0 && q.idfSum > 0 {
			all := docMasks[ix.passages[m.ord].Source]
			f[fDocCov] = sumW(all, func(i int) float64 { return q.terms[i].idf }) / q.idfSum
		}
		m.f = f
		m.sent = best
		if p.rescore {
			var s float64
			for k, w := range p.weights {
				s += w * f[k]
			}
			m.score = s
		} else {
			m.score = m.first
		}
	}
}

func (ix *Index) search(ctx context.Context, question string, opts SearchOptions) (Result, error) {
	p := ix.params
	limit, offset := opts.Limit, opts.Offset // set by Search
	var res Result
	res.Query, res.Truncated = truncate(question, ix.maxQ)

	q := ix.parseQuery(res.Query)
	if corrected, ok := ix.correct(res.Query, &q); ok && p.typos {
		res.Corrected = corrected
		q = ix.parseQuery(corrected)
	}
	ix.expand(cmp.Or(res.Corrected, res.Query), &q)
	cands, total, err := ix.candidates(ctx, &q, opts.Source, max(p.window, offset+limit), p)
	if err != nil {
		return Result{}, err
	}
	if len(cands) == 0 {
		res.NoneRelevant = true
		return res, nil
	}
	sc := ix.getScratch(&q)
	defer ix.putScratch(&q, sc)
	out := ix.rank(&q, sc, cands, p)
	// Abstain when none of the first few hits holds enough of the
	// question: coverage is comparable across questions, raw scores are
	// not.
	var cov float64
	for _, m := range out[:min(len(out), abstainDepth)] {
		cov = max(cov, m.coverage)
	}
	if cov < p.minCoverage || (q.missingName && cov < p.nameCoverage) {
		res.NoneRelevant = true
		return res, nil
	}
	res.Total = total
	if offset < len(out) {
		for _, s := range out[offset:min(offset+limit, len(out))] {
			res.Hits = append(res.Hits, ix.hit(sc, s))
		}
	}
	return res, nil
}

// rank re-scores the candidates and sorts them best first, ties by
// passage order.
func (ix *Index) rank(q *parsedQuery, sc *scratch, cands []candidate, p rankParams) []match {
	ms := sc.ms[:0]
	for _, c := range cands {
		// Bleve's scores differ in their last bits with the segment
		// layout: rounded, they leave the ranking as it would be on any
		// build.
		ms = append(ms, match{ord: c.ord, first: math.Round(c.score*1e6) / 1e6})
		ix.matchOne(q, sc, &ms[len(ms)-1], p)
	}
	sc.ms = ms
	ix.featurize(q, sc, ms, p)
	slices.SortFunc(ms, func(a, b match) int { return byScore(a.score, a.ord, b.score, b.ord) })
	return ms
}

// hit renders a ranked candidate.
func (ix *Index) hit(sc *scratch, s match) Hit {
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
	for _, t := range ix.candTerms(q, p) {
		n++
		bq.AddShould(termQuery(t.term, fieldText, 1))
	}
	// Other names of a synonym group; one of several words is matched
	// word by word here (the index keeps no positions) and as a phrase
	// by the second stage.
	for _, a := range q.alts {
		n++
		for _, t := range a.terms {
			bq.AddShould(termQuery(t, fieldText, synBoost/float64(len(a.terms))))
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
		slices.SortFunc(out, func(a, b candidate) int { return byScore(a.score, a.ord, b.score, b.ord) })
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

// candTerms returns the query terms that the candidate query asks Bleve
// for: those the index holds, less the common ones (see
// [rankParams.candMaxDF]).
func (ix *Index) candTerms(q *parsedQuery, p rankParams) []qterm {
	var ts []qterm
	for _, t := range q.terms {
		if t.id != 0 {
			ts = append(ts, t)
		}
	}
	if len(ix.passages) < p.candMinPassages || len(ts) <= 1 {
		return ts
	}
	rare := func(a, b qterm) int {
		return cmp.Or(cmp.Compare(ix.df[a.id], ix.df[b.id]), cmp.Compare(a.term, b.term))
	}
	if p.candMaxDF > 0 {
		maxDF := uint32(p.candMaxDF * float64(len(ix.passages)))
		rarest := slices.MinFunc(ts, rare)
		ts = slices.DeleteFunc(ts, func(t qterm) bool { return ix.df[t.id] > maxDF })
		if len(ts) == 0 {
			ts = append(ts, rarest)
		}
	}
	if p.candMaxTerms > 0 && len(ts) > p.candMaxTerms {
		// Keep the rarest, in the question's order.
		byDF := slices.SortedStableFunc(slices.Values(ts), rare)
		cut := byDF[p.candMaxTerms-1]
		ts = slices.DeleteFunc(ts, func(t qterm) bool { return rare(t, cut) > 0 })
	}
	return ts
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

// byScore orders passages by score, highest first, then by passage order
// (ord): the order every ranking uses, so that ties never depend on how
// the index was built.
func byScore(aScore float64, aOrd int, bScore float64, bOrd int) int {
	if c := cmp.Compare(bScore, aScore); c != 0 {
		return c
	}
	return aOrd - bOrd
}
