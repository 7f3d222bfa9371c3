package retrieval

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/registry"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// textAnalyzerName is the analyzer citebot's ranking indexes and reads
// text with: Bleve's English analyzer ("en") with diacritics folded
// before stemming, so that "Beyonce" finds "Beyoncé" and "Temür" finds
// "Temur". The baselines keep Bleve's own analyzers.
const textAnalyzerName = "citebot_en"

// foldFilterName is the token filter that folds diacritics.
const foldFilterName = "citebot_fold"

func init() {
	registry.RegisterTokenFilter(foldFilterName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return foldFilter{}, nil
	})
	registry.RegisterAnalyzer(textAnalyzerName, newTextAnalyzer)
}

// newTextAnalyzer makes [textAnalyzerName]: "en", with [foldFilter] put
// in before its last filter, the Porter stemmer.
func newTextAnalyzer(_ map[string]any, cache *registry.Cache) (analysis.Analyzer, error) {
	an, err := cache.AnalyzerNamed(en.AnalyzerName)
	if err != nil {
		return nil, err
	}
	da, ok := an.(*analysis.DefaultAnalyzer)
	last := len(da.TokenFilters) - 1
	if !ok || last < 0 {
		return nil, fmt.Errorf("analyzer %q: unexpected type %T", en.AnalyzerName, an)
	}
	if _, ok := da.TokenFilters[last].(*porter.PorterStemmer); !ok {
		return nil, fmt.Errorf("analyzer %q: last filter is %T, want the Porter stemmer", en.AnalyzerName, da.TokenFilters[last])
	}
	fold, err := cache.TokenFilterNamed(foldFilterName)
	if err != nil {
		return nil, err
	}
	filters := make([]analysis.TokenFilter, 0, len(da.TokenFilters)+1)
	filters = append(filters, da.TokenFilters[:last]...)
	filters = append(filters, fold, da.TokenFilters[last])
	return &analysis.DefaultAnalyzer{CharFilters: da.CharFilters, Tokenizer: da.Tokenizer, TokenFilters: filters}, nil
}

// foldFilter removes the diacritics of letters (é is e, ö is o; ß, ø
// and ł, which are letters of their own, stay), leaving each token's span
// in the text as it was.
type foldFilter struct{}

func (foldFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		t.Term = foldDiacritics(t.Term)
	}
	return in
}

// foldDiacritics returns b without its combining marks, recomposed: b
// itself when it is all ASCII or not UTF-8.
func foldDiacritics(b []byte) []byte {
	if isASCII(b) || !utf8.Valid(b) {
		return b
	}
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.Bytes(t, b)
	if err != nil || len(out) == 0 {
		return b // a token of marks alone stays as it is
	}
	return out
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
