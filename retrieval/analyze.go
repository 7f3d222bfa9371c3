package retrieval

import (
	"bytes"
	"hash/maphash"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
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
}

// analyzer analyses text exactly as Bleve's English analyzer ("en"), which
// the index uses for the text, title and section fields, so that questions
// and passages are analysed as the index analysed them. It runs that
// analyzer's filters itself, all but the Porter stemmer, which it applies
// through a cache (stemming is costly, and a corpus repeats its words),
// and splits words with [asciiTokenizer], which gives the same words as
// the analyzer's tokenizer, faster. TestAnalyzerMatchesBleve and the
// fuzz tests of analyze_test.go check that nothing else changes.
type analyzer struct {
	// an is the "en" analyzer, less its stemmer when stems is not nil,
	// with the faster tokenizer.
	an    analysis.Analyzer
	stems *stemCache
}

func newAnalyzer() (analyzer, error) {
	an, err := registry.NewCache().AnalyzerNamed(en.AnalyzerName)
	if err != nil {
		return analyzer{}, err
	}
	da, ok := an.(*analysis.DefaultAnalyzer)
	if !ok || len(da.TokenFilters) == 0 {
		return analyzer{an: an}, nil
	}
	last := len(da.TokenFilters) - 1
	if _, ok := da.TokenFilters[last].(*porter.PorterStemmer); !ok {
		return analyzer{an: an}, nil // not the analyzer this was written for
	}
	tokenizer := da.Tokenizer
	if u, ok := tokenizer.(*unicode.UnicodeTokenizer); ok {
		tokenizer = asciiTokenizer{fallback: u}
	}
	return analyzer{
		an: &analysis.DefaultAnalyzer{
			CharFilters:  da.CharFilters,
			Tokenizer:    tokenizer,
			TokenFilters: da.TokenFilters[:last:last],
		},
		stems: newStemCache(),
	}, nil
}

// analyze returns the tokens of text in order.
func (a analyzer) analyze(text string) []token {
	ts := a.an.Analyze([]byte(text))
	out := make([]token, 0, len(ts))
	for _, t := range ts {
		var term string
		if a.stems != nil && !t.KeyWord {
			term = a.stems.stem(t.Term)
		} else {
			term = string(t.Term)
		}
		out = append(out, token{term: term, pos: t.Position, start: t.Start, end: t.End})
	}
	return out
}

// stemCache maps words to their Porter stems, as Bleve's "stemmer_porter"
// filter stems them. It is safe for concurrent use; its shards stop
// growing at [stemShardCap] words each.
type stemCache struct {
	seed   maphash.Seed
	shards [stemShards]stemShard
}

type stemShard struct {
	mu sync.RWMutex
	m  map[string]string
}

const (
	stemShards   = 16
	stemShardCap = 1 << 14 // 256k words in all: about 20 MB at most
)

func newStemCache() *stemCache {
	c := &stemCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = map[string]string{}
	}
	return c
}

// stem returns the stem of word.
func (c *stemCache) stem(word []byte) string {
	sh := &c.shards[maphash.Bytes(c.seed, word)%stemShards]
	sh.mu.RLock()
	s, ok := sh.m[string(word)]
	sh.mu.RUnlock()
	if ok {
		return s
	}
	s = string(analysis.BuildTermFromRunes(porterstemmer.StemWithoutLowerCasing(bytes.Runes(word))))
	sh.mu.Lock()
	if len(sh.m) < stemShardCap {
		sh.m[string(word)] = s
	}
	sh.mu.Unlock()
	return s
}
