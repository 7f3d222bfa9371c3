package retrieval

import (
	"bytes"
	"hash/maphash"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
	porterstemmer "github.com/blevesearch/go-porterstemmer"
)

// token is one analysed term of a text: the stemmed term, its 1-based
// position (stop words leave gaps) and its byte span in the text.
type token struct {
	term       string
	pos        int
	start, end int
	// id is the term's id in the index when the analyzer knows it (see
	// [stemCache]); 0 says nothing.
	id uint32
}

// analyzer analyses text exactly as Bleve analyses it with
// [textAnalyzerName] (its English analyzer, diacritics folded), which the
// index uses for the passages' text, so that questions, passages,
// titles and sections are analysed as the index analysed the text. It
// splits words with [asciiTokenizer], which gives the same words as the
// analyzer's tokenizer, faster; runs the analyzer's filters, all but the
// last two, [foldFilter] and the Porter stemmer; and folds and stems
// through a cache (stemming is costly, and a corpus repeats its words).
// TestAnalyzerMatchesBleve and the fuzz tests of analyze_test.go check
// that the result is Bleve's.
type analyzer struct {
	// an is Bleve's [textAnalyzerName] analyzer, which analyze falls
	// back to if it is not made as expected (then tok is nil).
	an      analysis.Analyzer
	tok     *asciiTokenizer
	filters []analysis.TokenFilter // an's, less the stemmer
	stems   *stemCache
}

func newAnalyzer() (analyzer, error) {
	an, err := registry.NewCache().AnalyzerNamed(textAnalyzerName)
	if err != nil {
		return analyzer{}, err
	}
	a := analyzer{an: an}
	da, ok := an.(*analysis.DefaultAnalyzer)
	if !ok || len(da.CharFilters) != 0 || len(da.TokenFilters) == 0 {
		return a, nil
	}
	u, ok := da.Tokenizer.(*unicode.UnicodeTokenizer)
	last := len(da.TokenFilters) - 1
	if _, stemmer := da.TokenFilters[last].(*porter.PorterStemmer); !ok || !stemmer || last < 1 {
		return a, nil
	}
	if _, fold := da.TokenFilters[last-1].(foldFilter); !fold {
		return a, nil
	}
	a.tok = &asciiTokenizer{fallback: u}
	a.filters = da.TokenFilters[: last-1 : last-1]
	a.stems = newStemCache()
	return a, nil
}

// analyze returns the tokens of text in order.
func (a analyzer) analyze(text string) []token {
	if a.tok == nil {
		return a.convert(a.an.Analyze([]byte(text)))
	}
	// As Bleve's analyzer would, in buffers used again: the tokens are
	// only read until they are converted.
	b := analyzeBufs.Get().(*analyzeBuf)
	defer analyzeBufs.Put(b)
	b.text = append(b.text[:0], text...)
	if cap(b.slab) < len(text)+1 {
		b.slab = make([]analysis.Token, 0, len(text)+1)
	}
	ts := a.tok.tokenize(b.text, b.slab)
	for _, f := range a.filters {
		ts = f.Filter(ts)
	}
	return a.convert(ts)
}

// analyzeBuf holds the buffers of one call of analyze.
type analyzeBuf struct {
	text []byte
	slab []analysis.Token
}

var analyzeBufs = sync.Pool{New: func() any { return new(analyzeBuf) }}

// convert turns Bleve's tokens into tokens, stemming them through the
// cache when there is one.
func (a analyzer) convert(ts analysis.TokenStream) []token {
	out := make([]token, 0, len(ts))
	for _, t := range ts {
		tok := token{pos: t.Position, start: t.Start, end: t.End}
		switch {
		case a.stems != nil && !t.KeyWord:
			e := a.stems.stem(t.Term)
			tok.term, tok.id = e.stem, e.id
		case a.stems != nil: // folded, as Bleve would, but not stemmed
			tok.term = string(foldDiacritics(t.Term))
		default:
			tok.term = string(t.Term)
		}
		out = append(out, tok)
	}
	return out
}

// stemCache maps words to their Porter stems with diacritics folded, as
// Bleve's [foldFilter] and "stemmer_porter" filter give them, and to the
// stems' term ids in an index once resolve is set. It is safe for
// concurrent use, but resolve must be set before any; its shards stop
// growing at [stemShardCap] words each.
type stemCache struct {
	seed   maphash.Seed
	shards [stemShards]stemShard
	// resolve, if not nil, gives a stem's term id (0 when the index
	// does not hold it).
	resolve func(stem string) uint32
}

type stemShard struct {
	mu sync.RWMutex
	m  map[string]stemEntry
}

// stemEntry is a word's stem and the stem's term id, if known.
type stemEntry struct {
	stem string
	id   uint32
}

const (
	stemShards   = 16
	stemShardCap = 1 << 14 // 256k words in all: about 25 MB at most
)

func newStemCache() *stemCache {
	c := &stemCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = map[string]stemEntry{}
	}
	return c
}

// stem returns the stem of word and its term id.
func (c *stemCache) stem(word []byte) stemEntry {
	sh := &c.shards[maphash.Bytes(c.seed, word)%stemShards]
	sh.mu.RLock()
	e, ok := sh.m[string(word)]
	sh.mu.RUnlock()
	if ok {
		return e
	}
	folded := foldDiacritics(word)
	e.stem = string(analysis.BuildTermFromRunes(porterstemmer.StemWithoutLowerCasing(bytes.Runes(folded))))
	if c.resolve != nil {
		e.id = c.resolve(e.stem)
	}
	sh.mu.Lock()
	if len(sh.m) < stemShardCap {
		sh.m[string(word)] = e
	}
	sh.mu.Unlock()
	return e
}
