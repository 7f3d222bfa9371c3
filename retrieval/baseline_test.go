package retrieval

import (
	"context"
	"testing"
)

func TestBaselineRankings(t *testing.T) {
	tests := []struct {
		name     string
		ranking  Ranking
		question string
		want     string // first hit; "" means no hits
	}{
		{"citebot", RankingCitebot, "Which railway opened in 1825?", "rail.txt#0"},
		{"default", RankingBleveDefault, "Which railway opened in 1825?", "rail.txt#0"},
		{"en-bm25", RankingBleveEnBM25, "Which railway opened in 1825?", "rail.txt#0"},
		// The standard analyzer does not stem: "bee" misses "bees".
		{"default no stemming", RankingBleveDefault, "bee", ""},
		{"en-bm25 stems", RankingBleveEnBM25, "bee", "bees.txt#1"},
		// Baselines never abstain: one weak common word still gives hits,
		// where citebot's ranking finds nothing relevant.
		{"citebot abstains", RankingCitebot, "What is the capital of Peru in the world?", ""},
		{"en-bm25 answers", RankingBleveEnBM25, "What is the capital of Peru in the world?", "rail.txt#1"},
	}
	ixs := map[Ranking]*Index{}
	for _, r := range []Ranking{RankingCitebot, RankingBleveDefault, RankingBleveEnBM25} {
		ixs[r] = buildTest(t, corpusA(), Options{Ranking: r})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ixs[tt.ranking].Search(context.Background(), tt.question, SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if !res.NoneRelevant && len(res.Hits) > 0 {
				got = where(res.Hits[0].Passage)
				if res.Hits[0].BestSentence == "" {
					t.Errorf("got no best sentence")
				}
			}
			if got != tt.want {
				t.Errorf("got first hit %q, want %q (hits %v)", got, tt.want, hitsOf(res))
			}
		})
	}
}

func TestRankingString(t *testing.T) {
	for r, want := range map[Ranking]string{RankingCitebot: "citebot", RankingBleveDefault: "bleve-default", RankingBleveEnBM25: "bleve-en-bm25", 7: "ranking(7)"} {
		if got := r.String(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
