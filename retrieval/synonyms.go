package retrieval

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// synName is one name of a synonym group, analysed.
type synName struct {
	text  string
	ids   []uint32 // term ids; nil when a word is not in the index
	terms []string
	// exact is true for short all-capital names, matched case-sensitively
	// on the question's text.
	exact bool
}

// synonyms are the synonym groups of an index, analysed.
type synonyms struct {
	groups [][]synName
}

func (ix *Index) loadSynonyms(groups [][]string) {
	var s synonyms
	for _, g := range groups {
		var names []synName
		for _, name := range g {
			sn := synName{text: name, exact: shortCaps(name)}
			ok := true
			for _, t := range ix.an.analyze(name) {
				sn.terms = append(sn.terms, t.term)
				id := ix.terms[t.term]
				if id == 0 {
					ok = false
				}
				sn.ids = append(sn.ids, id)
			}
			if !ok {
				sn.ids = nil
			}
			if len(sn.terms) == 0 && !sn.exact {
				continue // only stop words: can never match
			}
			names = append(names, sn)
		}
		if len(names) >= 2 {
			s.groups = append(s.groups, names)
		}
	}
	ix.syn = s
}

// shortCaps reports whether name is one word of two or three capital
// letters.
func shortCaps(name string) bool {
	n := utf8.RuneCountInString(name)
	if n < 2 || n > 3 {
		return false
	}
	for _, r := range name {
		if !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// synBoost is the weight, relative to the question's own words, of the
// other names of a group in the first stage's query. Below 1, so that a
// passage using the question's own name wins a tie.
const synBoost = 0.8

// alt is a name a query term may also match: one or more term ids in a
// row.
type alt struct {
	ids   []uint32
	terms []string
	qi    int // the query term it stands for
}

// expand adds to q the other names of every synonym group that the
// question text names. A name that is one query term gets the others as
// alternatives of that term; a name of several words, or a short
// capitalised one that analysis drops (IS), gets a new term that stands
// for the group (and the words of a name of several words stop counting
// towards coverage, the group term counts instead).
func (ix *Index) expand(text string, q *parsedQuery) {
	for _, g := range ix.syn.groups {
		hit := -1
		qi := -1
		for k, n := range g {
			if i, ok := findName(text, n, q); ok {
				hit, qi = k, i
				break
			}
		}
		if hit < 0 {
			continue
		}
		if qi < 0 {
			// The group becomes one term of the question, matched
			// by any of its names; the words of the name it replaces
			// still score but no longer count for coverage.
			if len(q.terms) == maxQueryTerms {
				return
			}
			qi = len(q.terms)
			q.terms = append(q.terms, qterm{term: "\x00" + g[hit].text})
			q.nreal++
			if n := g[hit]; len(n.terms) > 1 {
				for i := range q.terms[:qi] {
					if slices.Contains(n.terms, q.terms[i].term) && !q.terms[i].syn {
						q.terms[i].syn = true
						q.nreal--
					}
				}
				if n.ids != nil {
					q.alts = append(q.alts, alt{ids: n.ids, terms: n.terms, qi: qi})
				}
			}
		}
		df := float64(ix.df[q.terms[qi].id])
		for k, n := range g {
			if k == hit || n.ids == nil || slicesEqual(n.terms, q.terms[qi].term) {
				continue
			}
			q.alts = append(q.alts, alt{ids: n.ids, terms: n.terms, qi: qi})
			// A phrase is held by at most as many passages as its
			// rarest word.
			pdf := uint32(math.MaxUint32)
			for _, id := range n.ids {
				pdf = min(pdf, ix.df[id])
			}
			df += float64(pdf)
		}
		// The group's weight is that of its names together.
		// A group that the corpus never names weighs as a term the
		// index does not hold.
		t := &q.terms[qi]
		n := float64(len(ix.passages))
		df = min(df, n)
		t.idf = math.Log(1 + (n-df+0.5)/(df+0.5))
		t.w = math.Pow(t.idf, ix.params.idfPow)
	}
	// A name the corpus never uses is not missing when another name of
	// its group stands in for it.
	q.missingName = false
	q.idfSum = 0
	for i, t := range q.terms {
		if t.syn {
			continue
		}
		q.idfSum += t.idf
		if t.name && t.id == 0 && !slices.ContainsFunc(q.alts, func(a alt) bool { return a.qi == i }) {
			q.missingName = true
		}
	}
}

func slicesEqual(terms []string, term string) bool {
	return len(terms) == 1 && terms[0] == term
}

// findName reports whether the question names n, and the query term
// that n is when it is a single term (-1 otherwise).
func findName(text string, n synName, q *parsedQuery) (int, bool) {
	if n.exact {
		if !containsWord(text, n.text) {
			return -1, false
		}
		if len(n.terms) == 1 {
			for i, t := range q.terms {
				if t.term == n.terms[0] {
					return i, true
				}
			}
		}
		return -1, true
	}
	if len(n.terms) == 1 {
		for i, t := range q.terms {
			if t.term == n.terms[0] && !t.syn {
				return i, true
			}
		}
		return -1, false
	}
	// Several words: they must follow each other in the question.
	if len(q.toks) < len(n.terms) {
		return -1, false
	}
	for i := 0; i+len(n.terms) <= len(q.toks); i++ {
		ok := true
		for j, term := range n.terms {
			if q.toks[i+j] != term {
				ok = false
				break
			}
		}
		if ok {
			return -1, true
		}
	}
	return -1, false
}

// containsWord reports whether word occurs in text, case-sensitively, as
// a whole word.
func containsWord(text, word string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], word)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(word)
		before, _ := utf8.DecodeLastRuneInString(text[:j])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (j == 0 || !isWordRune(before)) && (end == len(text) || !isWordRune(after)) {
			return true
		}
		i = j + 1
	}
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
