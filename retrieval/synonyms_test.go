package retrieval

import (
	"context"
	"path/filepath"
	"testing"
)

func TestSearchSynonyms(t *testing.T) {
	c := makeCorpus(tdoc{"news.txt", "News", []string{
		"Isis claimed the attack on the bridge within hours.",
		"The Security Service has foiled nine plots since March.",
		"The weather is mild and the harvest is early this year.",
	}})
	groups := [][]string{{"Isis", "IS", "ISIL", "Islamic State", "Daesh"}, {"MI5", "Security Service"}}
	with := buildTest(t, c, Options{Synonyms: groups})
	without := buildTest(t, c, Options{})
	tests := []struct {
		name     string
		ix       *Index
		question string
		want     string // first hit; "" means none relevant
	}{
		{"other name", with, "Did Daesh claim the attack?", "news.txt#0"},
		// Daesh names something the corpus never mentions.
		{"no synonyms", without, "Did Daesh claim the attack?", ""},
		{"missing name abstains without synonyms", without, "How many plots has ISIL foiled?", ""},
		{"phrase alias", with, "How many plots has MI5 foiled?", "news.txt#1"},
		{"single word finds phrase", with, "What has MI5 done since March?", "news.txt#1"},
		{"multiword name finds single", with, "What did the Islamic State claim?", "news.txt#0"},
		{"capital IS", with, "Which attack did IS claim?", "news.txt#0"},
		{"lower-case is is a stop word", with, "is the harvest early", "news.txt#2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.ix.Search(context.Background(), tt.question, SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if !res.NoneRelevant && len(res.Hits) > 0 {
				got = where(res.Hits[0].Passage)
			}
			if got != tt.want {
				t.Errorf("got first hit %q, want %q (hits %v)", got, tt.want, hitsOf(res))
			}
		})
	}
}

func TestExpandCapitalsOnly(t *testing.T) {
	c := makeCorpus(tdoc{"news.txt", "News", []string{"Isis claimed the attack.", "The harvest is early."}})
	ix := buildTest(t, c, Options{Synonyms: [][]string{{"Isis", "IS"}}})
	for _, tt := range []struct {
		question string
		alts     int
	}{
		{"is the harvest early", 0},
		{"what did IS claim", 1},
		{"what did isis claim", 0}, // Isis is in the question; IS is never indexed
	} {
		q := ix.parseQuery(tt.question)
		ix.expand(tt.question, &q)
		if len(q.alts) != tt.alts {
			t.Errorf("%q: got %d alternatives %v, want %d", tt.question, len(q.alts), q.alts, tt.alts)
		}
	}
}

// TestCorpusSynonymsTravelWithTheIndex checks that the corpus's own synonym
// groups are kept in the index folder: an index reopened without options
// still knows them.
func TestCorpusSynonymsTravelWithTheIndex(t *testing.T) {
	c := makeCorpus(tdoc{"news.txt", "News", []string{
		"Isis claimed the attack on the bridge within hours.",
		"The weather is mild and the harvest is early this year.",
	}})
	c.Synonyms = [][]string{{"Isis", "Daesh"}}
	dir := filepath.Join(t.TempDir(), "ix")
	ix, err := Build(context.Background(), dir, c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	ix, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	res, err := ix.Search(context.Background(), "Did Daesh claim the attack?", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.NoneRelevant || len(res.Hits) == 0 || where(res.Hits[0].Passage) != "news.txt#0" {
		t.Errorf("reopened index: got %v, want news.txt#0 found through the corpus's synonyms", hitsOf(res))
	}
}
