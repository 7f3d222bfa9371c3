package retrieval

import (
	"math/bits"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// wordList holds the corpus's words (lower-cased, unstemmed) with their
// frequencies, bucketed by length in runes, for spelling correction.
type wordList struct {
	byLen map[int][]wordCount
}

type wordCount struct {
	word  []rune
	base  []rune // word without diacritics (see [baseLetters])
	count int
	mask  uint64 // letterMask of base
}

// letterMask has a bit for each letter (folded into 64 buckets) the word
// holds, for a cheap lower bound on the typo cost between two words; it is
// taken of words without diacritics, which cost little to get wrong.
func letterMask(w []rune) uint64 {
	var m uint64
	for _, r := range w {
		m |= 1 << (uint32(r) % 64)
	}
	return m
}

// wordList reads the word list on first use from the index folder, where
// the build counted the words of the passages' analyses (so it holds no
// stop words). Without it, nothing is corrected.
func (ix *Index) wordList() *wordList {
	ix.wordsOnce.Do(func() {
		wl := &wordList{byLen: map[int][]wordCount{}}
		ix.words = wl
		var counts map[string]int
		if err := readJSON(filepath.Join(ix.dir, wordsFile), &counts); err != nil {
			ix.log.Warn("no spelling correction", "dir", ix.dir, "err", err)
			return
		}
		words := make([]string, 0, len(counts))
		for w := range counts {
			words = append(words, w)
		}
		slices.Sort(words)
		for _, w := range words {
			r := []rune(w)
			base := baseLetters(r)
			wl.byLen[len(r)] = append(wl.byLen[len(r)], wordCount{word: r, base: base, count: counts[w], mask: letterMask(base)})
		}
	})
	return ix.words
}

// correct replaces the question's words whose terms the index does not
// hold with the closest corpus words, and reports whether it changed
// anything. Short words, words with digits, capitalised words after the
// first (names the corpus may simply not mention) and words without a
// close match are left alone.
func (ix *Index) correct(text string, q *parsedQuery) (string, bool) {
	var b strings.Builder
	last, changed := 0, false
	firstWord := strings.IndexFunc(text, unicode.IsLetter)
	for _, t := range q.terms {
		if t.id != 0 {
			continue
		}
		word := text[t.start:t.end]
		if r, _ := utf8.DecodeRuneInString(word); unicode.IsUpper(r) && t.start > firstWord && !ix.params.fixNames {
			continue
		}
		fix, ok := ix.closest(word)
		if !ok || t.start < last {
			continue
		}
		b.WriteString(text[last:t.start])
		b.WriteString(matchCase(word, fix))
		last = t.end
		changed = true
	}
	if !changed {
		return "", false
	}
	b.WriteString(text[last:])
	return b.String(), true
}

// Typo costs, in quarters of an edit: a missing letter or a swap of
// neighbours costs less than a wrong letter, and a missing or extra
// doubled letter ("stabed", "allready") less, since people mistype that
// way far more often than they mean another word. A wrong vowel for a
// vowel ("Krugmen", "Kelven": unstressed vowels sound alike) costs as
// much as a missing letter. A letter typed without its diacritic
// ("Mongke" for "Möngke", "Sao Paulo") costs least of all.
const (
	costAccent   = 1
	costVowel    = 3
	costSubst    = 4
	costExtra    = 4
	costMissing  = 3
	costSwap     = 3
	costDoubling = 2
)

// isVowel reports whether r is a vowel (y included) without diacritics.
func isVowel(r rune) bool {
	switch r {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// maxCost is the largest typo cost accepted for a word of n runes: words
// under 5 letters are never corrected (too many real words lie one edit
// apart), words under 8 letters get one cheap edit, longer ones two.
func maxCost(n int) int {
	switch {
	case n < 5:
		return 0
	case n < 8:
		return costMissing
	default:
		return 2 * costMissing
	}
}

// closest finds the corpus word nearest to word: lowest typo cost, then
// most frequent, then alphabetical.
func (ix *Index) closest(word string) (string, bool) {
	w := []rune(strings.ToLower(word))
	wb := baseLetters(w)
	maxD := maxCost(len(w))
	if maxD == 0 {
		return "", false
	}
	for _, r := range w {
		if !unicode.IsLetter(r) {
			return "", false
		}
	}
	wl := ix.wordList()
	mask := letterMask(wb)
	var best []rune
	bestD, bestC := maxD+1, 0
	for n := len(w) - maxD/costDoubling; n <= len(w)+maxD/costDoubling; n++ {
		for _, c := range wl.byLen[n] {
			// Each edit costs at least 2 per letter it adds or
			// removes from the word's letter set.
			limit := min(maxD, bestD)
			if bits.OnesCount64(mask^c.mask)*2 > limit {
				continue
			}
			d := typoCost(w, c.word, wb, c.base, limit)
			if d > limit {
				continue
			}
			if d == bestD && (c.count < bestC || (c.count == bestC && string(c.word) > string(best))) {
				continue
			}
			if !ix.indexable(c.word) {
				continue
			}
			best, bestD, bestC = c.word, d, c.count
		}
	}
	if best == nil {
		return "", false
	}
	return string(best), true
}

// indexable reports whether word analyses to a term the index holds (so
// that it is not a stop word).
func (ix *Index) indexable(word []rune) bool {
	toks := ix.an.analyze(string(word))
	return len(toks) == 1 && ix.terms[toks[0].term] != 0
}

// matchCase gives fix the capitalisation pattern of orig: all upper, first
// upper, or as is.
func matchCase(orig, fix string) string {
	upper, first := true, false
	for i, r := range orig {
		if unicode.IsLetter(r) && !unicode.IsUpper(r) {
			upper = false
		}
		if i == 0 {
			first = unicode.IsUpper(r)
		}
	}
	switch {
	case upper && utf8.RuneCountInString(orig) > 1:
		return strings.ToUpper(fix)
	case first:
		r, n := utf8.DecodeRuneInString(fix)
		return string(unicode.ToUpper(r)) + fix[n:]
	}
	return fix
}

// typoCost is the cheapest way, in the costs above, to turn a (what was
// typed) into b (a corpus word), by optimal string alignment; or limit+1
// once it must exceed limit. ab and bb are a and b without diacritics.
func typoCost(a, b, ab, bb []rune, limit int) int {
	var buf [3 * 40]int
	var prev2, prev, cur []int
	if n := len(b) + 1; n <= 40 {
		prev2, prev, cur = buf[:n], buf[n:2*n], buf[2*n:3*n]
	} else {
		prev2, prev, cur = make([]int, n), make([]int, n), make([]int, n)
	}
	missing := func(j int) int { // b[j-1] was not typed
		if (j > 1 && b[j-2] == b[j-1]) || (j < len(b) && b[j] == b[j-1]) {
			return costDoubling
		}
		return costMissing
	}
	extra := func(i int) int { // a[i-1] was typed in excess
		if (i > 1 && a[i-2] == a[i-1]) || (i < len(a) && a[i] == a[i-1]) {
			return costDoubling
		}
		return costExtra
	}
	prev[0] = 0
	for j := 1; j <= len(b); j++ {
		prev[j] = prev[j-1] + missing(j)
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = prev[0] + extra(i)
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			sub := costSubst
			if a[i-1] == b[j-1] {
				sub = 0
			} else if ab[i-1] == bb[j-1] {
				sub = costAccent
			} else if isVowel(ab[i-1]) && isVowel(bb[j-1]) {
				sub = costVowel
			}
			v := min(prev[j]+extra(i), cur[j-1]+missing(j), prev[j-1]+sub)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+costSwap)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// baseLetters returns w with each letter's diacritics removed (ö is o, é
// is e; ß stays), rune for rune; w itself when it is all ASCII.
func baseLetters(w []rune) []rune {
	var out []rune
	for i, r := range w {
		if r < utf8.RuneSelf {
			continue
		}
		if out == nil {
			out = slices.Clone(w)
		}
		base, _ := utf8.DecodeRuneInString(norm.NFD.String(string(r)))
		out[i] = base
	}
	if out == nil {
		return w
	}
	return out
}
