package retrieval

import (
	"context"
	"errors"
	"strconv"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Ranking selects how an index ranks passages. The baselines exist to
// measure citebot's ranking against what plain Bleve would give on the
// same data (citebot eval --compare); the bot uses [RankingCitebot].
type Ranking int

const (
	// RankingCitebot is citebot's ranking: BM25 over English analysis
	// with fixed statistics, re-scored by best sentence, proximity and
	// answer type, with synonyms, typo correction and abstention.
	RankingCitebot Ranking = iota
	// RankingBleveDefault is Bleve's default setup: the standard
	// analyzer, TF-IDF, a plain match query on the text. No re-scoring,
	// synonyms, typo correction or abstention.
	RankingBleveDefault
	// RankingBleveEnBM25 is Bleve with the English analyzer and BM25 on
	// its own statistics, a plain match query on the text. No re-scoring,
	// synonyms, typo correction or abstention.
	RankingBleveEnBM25
)

// String returns the ranking's name as the eval report prints it.
func (r Ranking) String() string {
	switch r {
	case RankingCitebot:
		return "citebot"
	case RankingBleveDefault:
		return "bleve-default"
	case RankingBleveEnBM25:
		return "bleve-en-bm25"
	}
	return "ranking(" + strconv.Itoa(int(r)) + ")"
}

// searchBaseline ranks with plain Bleve: a match query on the text field
// (analysed by the field's analyzer), Bleve's scores and order, ties by
// passage order. The best sentence and highlights are chosen as in
// citebot's ranking, so that hits render the same way.
func (ix *Index) searchBaseline(ctx context.Context, question string, opts SearchOptions) (Result, error) {
	limit, offset := opts.Limit, opts.Offset // set by Search
	var res Result
	res.Query, res.Truncated = truncate(question, ix.maxQ)
	mq := query.NewMatchQuery(res.Query)
	mq.SetField(fieldText)
	var q query.Query = mq
	if opts.Source != "" {
		bq := bleve.NewBooleanQuery()
		bq.AddMust(mq)
		bq.AddFilter(termQuery(opts.Source, fieldSource, 1))
		q = bq
	}
	req := bleve.NewSearchRequestOptions(q, offset+limit, 0, false)
	sr, err := ix.bi.SearchInContext(ctx, req)
	if err != nil {
		if errors.Is(err, bleve.ErrorIndexClosed) {
			return Result{}, ErrClosed
		}
		return Result{}, err
	}
	if len(sr.Hits) == 0 {
		res.NoneRelevant = true
		return res, nil
	}
	res.Total = int(sr.Total)
	pq := ix.parseQuery(res.Query)
	sc := ix.getScratch(&pq)
	defer ix.putScratch(&pq, sc)
	p := ix.params
	var ms []match
	for _, h := range sr.Hits {
		ord, ok := ordOf(h.ID)
		if !ok || ord >= len(ix.passages) {
			continue
		}
		ms = append(ms, match{ord: ord, first: h.Score})
		ix.matchOne(&pq, sc, &ms[len(ms)-1], p)
	}
	p.rescore = false // keep Bleve's scores
	ix.featurize(&pq, sc, ms, p)
	if offset < len(ms) {
		for _, m := range ms[offset:] {
			res.Hits = append(res.Hits, ix.hit(sc, m))
		}
	}
	return res, nil
}
