package retrieval

import (
	"context"
	"strings"
	"testing"
)

func TestFineKind(t *testing.T) {
	tests := []struct {
		name, question string
		want           uint8
	}{
		{"when", "When did the council adopt the charter?", kindYear | kindDate},
		{"what year", "In what year was the bridge opened?", kindYear | kindDate},
		{"how many", "How many ships sank in the storm?", kindCount},
		{"percentage", "What percentage of voters backed the plan?", kindPercent},
		{"money", "How much did the bridge cost?", kindMoney | kindPercent},
		{"who", "Who designed the bridge?", 0},
		{"cue inside a word", "Whence came the ships?", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fineKind(tt.question); got != tt.want {
				t.Errorf("fineKind(%q): got %b, want %b", tt.question, got, tt.want)
			}
		})
	}
}

func TestTokenKind(t *testing.T) {
	tests := []struct {
		name, text, word, term string
		want, not              uint8
	}{
		{"year", "It opened in 1921 at last.", "1921", "1921", kindYear | kindNumber, kindCount},
		{"decade", "In the 1920s it grew.", "1920s", "1920", kindYear, kindCount},
		{"count", "It held 60,000 workers.", "60,000", "60,000", kindCount | kindNumber, kindYear},
		{"number word", "Twelve of the ten ships sank.", "ten", "ten", kindCount, kindYear},
		{"percent sign", "Some 62% voted.", "62", "62", kindPercent | kindCount, kindYear},
		{"percent word", "Some 62 percent voted.", "62", "62", kindPercent, kindYear},
		{"dollars", "It cost $4 million.", "4", "4", kindMoney, kindPercent},
		{"month", "It opened in March.", "March", "march", kindDate | kindName, kindNumber},
		{"march, the verb", "They march on.", "march", "march", 0, kindDate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := strings.Index(tt.text, tt.word)
			got := tokenKind(tt.text, start, start+len(tt.word), tt.term, start == 0)
			if got&tt.want != tt.want || got&tt.not != 0 {
				t.Errorf("tokenKind(%q in %q): got %b, want bits %b set and %b clear", tt.word, tt.text, got, tt.want, tt.not)
			}
		})
	}
}

// TestSentFineMovesUp checks that fSentFine puts first the passage whose
// matching sentence holds the kind of answer the question asks for (a
// year for "when", a count for "how many", a percentage), where the
// ranking without it prefers a passage that holds the question's terms
// as well but another kind of number.
func TestSentFineMovesUp(t *testing.T) {
	docs := append([]tdoc{{"harbour.txt", "Harbour", []string{
		"The harbour council adopted the new charter three times.",
		"The harbour council adopted the new charter in 1921, when trade was slow and the town was small and poor.",
		"Ships sank in the harbour storm of 1916.",
		"Twelve ships sank in the harbour storm.",
		"Voters backed the harbour plan in 1990.",
		"Voters backed the harbour plan by 62%.",
		"Fishing boats moor in the harbour through the winter.",
	}}}, testDocs...)
	ix := buildTest(t, makeCorpus(docs...), Options{})
	tests := []struct {
		name, question string
		without, with  string // first hit without and with fSentFine
	}{
		{"when wants a year", "When did the harbour council adopt the new charter?", "harbour.txt#0", "harbour.txt#1"},
		{"how many wants a count", "How many ships sank in the harbour storm?", "harbour.txt#2", "harbour.txt#3"},
		{"percentage wants a percentage", "What percentage of voters backed the harbour plan?", "harbour.txt#4", "harbour.txt#5"},
	}
	first := func(t *testing.T, question string, w float64) string {
		t.Helper()
		p := defaultParams
		p.weights[fSentFine] = w
		ix.params = p
		res, err := ix.Search(context.Background(), question, SearchOptions{Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) == 0 {
			t.Fatalf("got no hits (none relevant %v) for %q", res.NoneRelevant, question)
		}
		return where(res.Hits[0].Passage)
	}
	t.Cleanup(func() { ix.params = defaultParams })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := first(t, tt.question, 0); got != tt.without {
				t.Errorf("without fSentFine: got %s first, want %s", got, tt.without)
			}
			if got := first(t, tt.question, defaultParams.weights[fSentFine]); got != tt.with {
				t.Errorf("with fSentFine: got %s first, want %s", got, tt.with)
			}
		})
	}
}
