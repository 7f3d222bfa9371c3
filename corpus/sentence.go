package corpus

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentences splits text into sentences and returns each one as a pair of
// byte offsets [start, end) into text. Every sentence is a verbatim
// substring of text with no leading or trailing white space, the sentences
// are in order and do not overlap, and together they hold all of text's
// non-space characters. Text with no sentence break yields one span; text
// that is empty or only white space yields none.
//
// A sentence ends after '.', '!', '?' or '…' (and any closing quotes or
// brackets after it) when white space and then a character other than a
// lower-case letter follow. The period of a common abbreviation ("Mr.",
// "Dr.", "e.g.", "Jan."), of an initial ("J. K. Rowling") or of a decimal
// number ("3.5") does not end a sentence; a dotted acronym such as "U.K."
// ends one only when a typical sentence opener ("It", "The", "But"...)
// follows.
//
// Package retrieval uses it to pick the sentence of a passage that best
// matches a question; [Load] uses it to split long paragraphs.
func Sentences(text string) [][2]int {
	var out [][2]int
	start := -1 // start of the current sentence, -1 before its first non-space
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if start < 0 {
			if !unicode.IsSpace(r) {
				start = i
			}
			i += size
			continue
		}
		if !isTerminal(r) {
			i += size
			continue
		}
		// Take in a run of terminal marks and closing quotes or brackets.
		j := i + size
		for j < len(text) {
			r2, s2 := utf8.DecodeRuneInString(text[j:])
			if !isTerminal(r2) && !isCloser(r2) {
				break
			}
			j += s2
		}
		if j < len(text) {
			if r2, _ := utf8.DecodeRuneInString(text[j:]); !unicode.IsSpace(r2) {
				i = j
				continue
			}
		}
		k := j
		for k < len(text) {
			r2, s2 := utf8.DecodeRuneInString(text[k:])
			if !unicode.IsSpace(r2) {
				break
			}
			k += s2
		}
		if k == len(text) {
			break // the last sentence ends with the text
		}
		if isBoundary(text, start, i, r, k) {
			out = append(out, [2]int{start, j})
			start = -1
			i = k
			continue
		}
		i = j
	}
	if start >= 0 {
		end := len(strings.TrimRightFunc(text, unicode.IsSpace))
		if end > start {
			out = append(out, [2]int{start, end})
		}
	}
	return out
}

// isBoundary reports whether the terminal mark r at text[i] ends the
// sentence that began at start, given that the next sentence would begin
// at text[next].
func isBoundary(text string, start, i int, r rune, next int) bool {
	nr, _ := utf8.DecodeRuneInString(text[next:])
	if unicode.IsLower(nr) {
		return false
	}
	if r != '.' {
		return true
	}
	// The word that the period closes, with any inner periods ("U.S").
	w := i
	for w > start {
		pr, ps := utf8.DecodeLastRuneInString(text[:w])
		if !unicode.IsLetter(pr) && pr != '.' && !unicode.IsDigit(pr) {
			break
		}
		w -= ps
	}
	word := text[w:i]
	if word == "" || strings.HasPrefix(text[i:], "..") {
		return true // "..." is an ellipsis, not an abbreviation
	}
	if abbreviations[strings.ToLower(word)] {
		return false
	}
	if n := utf8.RuneCountInString(word); n == 1 {
		wr, _ := utf8.DecodeRuneInString(word)
		if unicode.IsUpper(wr) {
			return false // an initial: "J. Smith"
		}
	}
	if isDottedAcronym(word) {
		// "U.K." ends a sentence only before a word that usually opens one.
		nw := text[next:]
		if e := strings.IndexFunc(nw, func(c rune) bool { return !unicode.IsLetter(c) }); e >= 0 {
			nw = nw[:e]
		}
		return sentenceOpeners[nw]
	}
	return true
}

// isDottedAcronym reports whether w looks like "U.S" or "U.K" (the final
// period is not part of w): single letters joined by periods.
func isDottedAcronym(w string) bool {
	parts := strings.Split(w, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if utf8.RuneCountInString(p) != 1 {
			return false
		}
		r, _ := utf8.DecodeRuneInString(p)
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func isTerminal(r rune) bool {
	return r == '.' || r == '!' || r == '?' || r == '…'
}

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '”', '’', '»', ')', ']', '}', '›':
		return true
	}
	return false
}

// abbreviations are words (lower case, without the final period) whose
// period does not end a sentence.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "sr": true,
	"jr": true, "st": true, "mt": true, "messrs": true, "rev": true, "hon": true,
	"gen": true, "col": true, "lt": true, "sgt": true, "capt": true, "cmdr": true,
	"gov": true, "sen": true, "rep": true, "pres": true, "insp": true, "supt": true,
	"vs": true, "v": true, "e.g": true, "i.e": true, "cf": true, "al": true,
	"inc": true, "ltd": true, "co": true, "corp": true, "dept": true, "univ": true,
	"no": true, "nos": true, "fig": true, "vol": true, "pp": true, "p": true,
	"approx": true, "est": true, "ca": true, "op": true, "ed": true, "eds": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true,
	"aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"ave": true, "blvd": true, "rd": true,
}

// sentenceOpeners are words that usually start a sentence; after a dotted
// acronym ("in the U.K. It was...") they mark a sentence break.
var sentenceOpeners = map[string]bool{
	"A": true, "An": true, "The": true, "It": true, "Its": true, "This": true,
	"That": true, "These": true, "Those": true, "There": true, "Then": true,
	"He": true, "She": true, "We": true, "They": true, "I": true, "You": true,
	"But": true, "And": true, "So": true, "Yet": true, "Or": true, "If": true,
	"In": true, "On": true, "At": true, "As": true, "For": true, "When": true,
	"While": true, "What": true, "Why": true, "How": true, "Who": true,
	"However": true, "Some": true, "Many": true, "Most": true, "Our": true,
	"His": true, "Her": true, "Their": true, "My": true, "Now": true,
	"After": true, "Before": true, "Since": true, "Although": true,
}

// splitText cuts text, whose runs of white space are single spaces, into
// parts of at most limit runes. It cuts at sentence ends when it can, else
// between words, and only inside a word that is itself longer than limit.
// Parts are returned as byte ranges of text and are as even in length as
// the cuts allow.
func splitText(text string, limit int) [][2]int {
	if utf8.RuneCountInString(text) <= limit {
		return [][2]int{{0, len(text)}}
	}
	// Atoms: sentences, with sentences longer than limit cut at words.
	var atoms [][2]int
	var lens []int
	for _, s := range Sentences(text) {
		n := utf8.RuneCountInString(text[s[0]:s[1]])
		if n <= limit {
			atoms = append(atoms, s)
			lens = append(lens, n)
			continue
		}
		for _, w := range splitWords(text, s[0], s[1], limit) {
			atoms = append(atoms, w)
			lens = append(lens, utf8.RuneCountInString(text[w[0]:w[1]]))
		}
	}
	// The fewest parts come from filling each part up to limit; then find the
	// smallest limit that still gives that many parts, so parts are even.
	parts := pack(lens, limit)
	lo, hi := 1, limit
	for _, n := range lens {
		lo = max(lo, n)
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if len(pack(lens, mid)) <= len(parts) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	parts = pack(lens, lo)
	out := make([][2]int, len(parts))
	for i, p := range parts {
		out[i] = [2]int{atoms[p[0]][0], atoms[p[1]-1][1]}
	}
	return out
}

// pack groups consecutive atoms, of the given rune lengths and separated by
// one space, into runs of at most limit runes; it returns [first, end)
// atom indexes. An atom longer than limit gets a run of its own.
func pack(lens []int, limit int) [][2]int {
	var out [][2]int
	first, cur := 0, -1
	for i, n := range lens {
		if cur >= 0 && cur+1+n > limit {
			out = append(out, [2]int{first, i})
			first, cur = i, -1
		}
		if cur < 0 {
			cur = n
		} else {
			cur += 1 + n
		}
	}
	if cur >= 0 {
		out = append(out, [2]int{first, len(lens)})
	}
	return out
}

// splitWords cuts text[start:end] at spaces into pieces of at most limit
// runes; a single word longer than limit is cut at a rune boundary.
func splitWords(text string, start, end, limit int) [][2]int {
	var out [][2]int
	pieceStart, n := start, 0 // n: runes in the current piece
	lastSpace := -1           // byte offset of the last space in the piece
	runesAtSpace := 0
	for i := start; i < end; {
		r, size := utf8.DecodeRuneInString(text[i:])
		if n == limit {
			if r == ' ' {
				out = append(out, [2]int{pieceStart, i})
				pieceStart, n, lastSpace = i+1, 0, -1
				i++
				continue
			}
			if lastSpace > pieceStart {
				out = append(out, [2]int{pieceStart, lastSpace})
				pieceStart = lastSpace + 1
				n -= runesAtSpace + 1
				lastSpace = -1
			} else {
				out = append(out, [2]int{pieceStart, i}) // a word longer than limit
				pieceStart, n, lastSpace = i, 0, -1
			}
		}
		if r == ' ' {
			lastSpace, runesAtSpace = i, n
		}
		n++
		i += size
	}
	if pieceStart < end {
		out = append(out, [2]int{pieceStart, end})
	}
	return out
}
