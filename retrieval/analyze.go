package retrieval

import (
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/registry"
)

// token is one analysed term of a text: the stemmed term, its 1-based
// position (stop words leave gaps) and its byte span in the text.
type token struct {
	term       string
	pos        int
	start, end int
}

// analyzer wraps the Bleve analyzer that the index uses for the text,
// title and section fields, so that questions and passages are analysed
// exactly as the index analysed them.
type analyzer struct {
	an analysis.Analyzer
}

func newAnalyzer() (analyzer, error) {
	an, err := registry.NewCache().AnalyzerNamed(en.AnalyzerName)
	if err != nil {
		return analyzer{}, err
	}
	return analyzer{an: an}, nil
}

// analyze returns the tokens of text in order.
func (a analyzer) analyze(text string) []token {
	ts := a.an.Analyze([]byte(text))
	out := make([]token, 0, len(ts))
	for _, t := range ts {
		out = append(out, token{term: string(t.Term), pos: t.Position, start: t.Start, end: t.End})
	}
	return out
}
