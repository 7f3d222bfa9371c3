package retrieval

import (
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
)

// asciiTokenizer splits text into words exactly as Bleve's "unicode"
// tokenizer does (Unicode word boundaries, UAX #29, through
// github.com/blevesearch/segment), faster: it cuts the text at ASCII
// white space, which is always a word boundary, reads the pieces that are
// all ASCII itself, and hands the others to the unicode tokenizer. Word
// segmentation is most of the cost of analysing a passage, and English
// text is mostly ASCII. FuzzASCIITokenizer checks it against the
// original.
type asciiTokenizer struct {
	fallback analysis.Tokenizer
}

// ASCII character classes, as UAX #29 names them.
const (
	wbOther        = iota
	wbSpace        // ASCII white space: always a boundary
	wbLetter       // ALetter
	wbDigit        // Numeric
	wbExtendNumLet // _
	wbMidLetter    // :
	wbMidNum       // , ;
	wbMidNumLet    // . and ' (MidNumLet and Single_Quote)
)

var wbClass = func() (c [128]uint8) {
	for b := range c {
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z':
			c[b] = wbLetter
		case b >= '0' && b <= '9':
			c[b] = wbDigit
		}
	}
	for _, b := range " \t\n\v\f\r" {
		c[b] = wbSpace
	}
	c['_'] = wbExtendNumLet
	c[':'] = wbMidLetter
	c[','], c[';'] = wbMidNum, wbMidNum
	c['.'], c['\''] = wbMidNumLet, wbMidNumLet
	return c
}()

func (t asciiTokenizer) Tokenize(input []byte) analysis.TokenStream {
	return t.tokenize(input, nil)
}

// tokenize is Tokenize with the tokens in slab when it has room for
// len(input)+1 of them (no text has more tokens than bytes).
func (t asciiTokenizer) tokenize(input []byte, slab []analysis.Token) analysis.TokenStream {
	if !utf8.Valid(input) {
		// The segmenter stops at the first invalid byte; whatever it
		// does, do the same.
		return t.fallback.Tokenize(input)
	}
	if cap(slab) < len(input)+1 {
		slab = make([]analysis.Token, 0, len(input)/6+1)
	}
	slab = slab[:0]
	rv := make(analysis.TokenStream, 0, len(input)/6+1)
	emit := func(tok analysis.Token) {
		if len(slab) == cap(slab) {
			slab = make([]analysis.Token, 0, max(len(input)/6+1, 16))
		}
		slab = append(slab, tok)
		rv = append(rv, &slab[len(slab)-1])
	}
	pos := 1
	for i := 0; i < len(input); {
		if input[i] < 128 && wbClass[input[i]] == wbSpace {
			i++
			continue
		}
		// A piece runs to the next ASCII white space.
		end, ascii := i, true
		for end < len(input) && !(input[end] < 128 && wbClass[input[end]] == wbSpace) {
			if input[end] >= 128 {
				ascii = false
			}
			end++
		}
		if !ascii {
			for _, tok := range t.fallback.Tokenize(input[i:end]) {
				tok.Start += i
				tok.End += i
				tok.Position = pos
				pos++
				emit(*tok)
			}
			i = end
			continue
		}
		for i < end {
			c := wbClass[input[i]]
			if c != wbLetter && c != wbDigit && c != wbExtendNumLet {
				i++
				continue
			}
			start, letters, digits := i, false, false
			for {
				switch c {
				case wbLetter:
					letters = true
				case wbDigit:
					digits = true
				}
				i++
				if i >= end {
					break
				}
				next := wbClass[input[i]]
				if next == wbLetter || next == wbDigit || next == wbExtendNumLet {
					c = next
					continue
				}
				// A middle character joins two letters or two digits.
				if i+1 < end {
					after := wbClass[input[i+1]]
					if c == wbLetter && after == wbLetter && (next == wbMidLetter || next == wbMidNumLet) ||
						c == wbDigit && after == wbDigit && (next == wbMidNum || next == wbMidNumLet) {
						i++
						c = after
						continue
					}
				}
				break
			}
			typ := analysis.AlphaNumeric
			if digits && !letters {
				typ = analysis.Numeric
			}
			emit(analysis.Token{Term: input[start:i:i], Start: start, End: i, Position: pos, Type: typ})
			pos++
		}
	}
	return rv
}
