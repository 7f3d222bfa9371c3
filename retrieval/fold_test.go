package retrieval

import (
	"context"
	"strings"
	"testing"
)

func TestFoldDiacritics(t *testing.T) {
	tests := []struct{ in, want string }{
		{"café", "cafe"},
		{"Zürich", "Zurich"},
		{"naïve", "naive"},
		{"e\u0301", "e"}, // decomposed already
		{"ångström", "angstrom"},
		{"straße", "straße"}, // ß, ø and ł are letters of their own
		{"øre", "øre"},
		{"łódź", "łodz"},
		{"東京", "東京"},
		{"\u0301", "\u0301"}, // marks alone stay
		{"\xffé", "\xffé"},   // not UTF-8: left alone
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := string(foldDiacritics([]byte(tt.in))); got != tt.want {
			t.Errorf("foldDiacritics(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSearchFoldsDiacritics asks with and without accents, on an index on
// disk: each finds the passage written the other way, and a highlight
// covers the word as the passage writes it.
func TestSearchFoldsDiacritics(t *testing.T) {
	c := makeCorpus(
		tdoc{"music.txt", "Music", []string{
			"Beyoncé and Bruno Mars joined Coldplay for the halftime show.",
			"The band played for twelve minutes before the second half began.",
		}},
		tdoc{"yuan.txt", "Yuan", []string{
			"Toghun Temur dismissed his chancellor for fear of betrayal.",
			"The chancellor had led a large army against the rebels.",
		}},
	)
	ix := buildTest(t, c, Options{})
	tests := []struct{ question, want, word string }{
		{"Who joined Beyonce for the halftime show?", "music.txt#0", "Beyoncé"},
		{"Why did Toghun Temür dismiss his chancellor?", "yuan.txt#0", "Temur"},
	}
	for _, tt := range tests {
		res, err := ix.Search(context.Background(), tt.question, SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Corrected != "" {
			t.Errorf("%q: corrected to %q, want no correction", tt.question, res.Corrected)
		}
		if len(res.Hits) == 0 || where(res.Hits[0].Passage) != tt.want {
			t.Errorf("%q: got %v, want %s first", tt.question, hitsOf(res), tt.want)
			continue
		}
		h := res.Hits[0]
		i := strings.Index(h.Passage.Text, tt.word)
		found := false
		for _, s := range h.Highlights {
			if s.Start <= i && i+len(tt.word) <= s.End {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: no highlight on %q in %q (%v)", tt.question, tt.word, h.Passage.Text, h.Highlights)
		}
	}
}
