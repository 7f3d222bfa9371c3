package corpus

import (
	"slices"
	"strings"
	"testing"
)

// TestSentences checks where sentences end, on the cases that trip naive
// splitters.
func TestSentences(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", nil},
		{"white space only", " \n\t ", nil},
		{"one sentence without a stop", "  no full stop here ", []string{"no full stop here"}},
		{"plain", "One. Two! Three? Four", []string{"One.", "Two!", "Three?", "Four"}},
		{"titles", "Mr. Smith met Dr. Jones and Prof. Lee. They talked.", []string{"Mr. Smith met Dr. Jones and Prof. Lee.", "They talked."}},
		{"initials", "J. K. Rowling wrote it. It sold well.", []string{"J. K. Rowling wrote it.", "It sold well."}},
		{"decimals and numbers", "It cost 3.5 billion. In 2017. Then 4.", []string{"It cost 3.5 billion.", "In 2017.", "Then 4."}},
		{"e.g. and i.e.", "Some cities, e.g. Paris, i.e. France's capital. Next one.", []string{"Some cities, e.g. Paris, i.e. France's capital.", "Next one."}},
		{"acronym inside a sentence", "The U.S. Army and U.K. counterterrorism police met.", []string{"The U.S. Army and U.K. counterterrorism police met."}},
		{"acronym ending a sentence", "It started in the U.K. It was also regional.", []string{"It started in the U.K.", "It was also regional."}},
		{"quote after the stop", "He said: “Go home.” Then he left. She asked “Why?” and waited.", []string{"He said: “Go home.”", "Then he left.", "She asked “Why?” and waited."}},
		{"straight quotes and brackets", `"Yes." (Really.) [Sure.] Done`, []string{`"Yes."`, `(Really.)`, `[Sure.]`, `Done`}},
		{"lower case after a stop is no break", "Tons vs. tonnes. the end", []string{"Tons vs. tonnes. the end"}},
		{"ellipsis", "Wait… Then go. And so … on.", []string{"Wait…", "Then go.", "And so … on."}},
		{"three dots", "Wait... Then go.", []string{"Wait...", "Then go."}},
		{"repeated marks", "Really?! Yes.", []string{"Really?!", "Yes."}},
		{"non-breaking spaces and line breaks", "First one.\u00a0Second\none.\n\nThird.", []string{"First one.", "Second\none.", "Third."}},
		{"months", "It was Jan. 5 when it began. Aug. The end.", []string{"It was Jan. 5 when it began.", "Aug. The end."}},
		{"et al.", "Smith et al. Found this. New sentence.", []string{"Smith et al. Found this.", "New sentence."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, s := range Sentences(tc.text) {
				got = append(got, tc.text[s[0]:s[1]])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Sentences(%q):\n got  %q\n want %q", tc.text, got, tc.want)
			}
		})
	}
}

// TestSentencesCover checks the span promises on the default corpus: in
// order, trimmed, and together holding every non-space character.
func TestSentencesCover(t *testing.T) {
	c, err := Load(Default(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range c.Passages() {
		checkSpans(t, p.Text, Sentences(p.Text))
	}
}

func checkSpans(t testing.TB, text string, spans [][2]int) {
	t.Helper()
	prev := 0
	var b strings.Builder
	for _, s := range spans {
		if s[0] < prev || s[1] <= s[0] || s[1] > len(text) {
			t.Fatalf("Sentences(%q): bad span %v after offset %d", text, s, prev)
		}
		sent := text[s[0]:s[1]]
		if sent != strings.TrimSpace(sent) {
			t.Errorf("Sentences(%q): span %q is not trimmed", text, sent)
		}
		if strings.TrimSpace(text[prev:s[0]]) != "" {
			t.Errorf("Sentences(%q): text %q between spans is lost", text, text[prev:s[0]])
		}
		b.WriteString(sent)
		prev = s[1]
	}
	if strings.TrimSpace(text[prev:]) != "" {
		t.Errorf("Sentences(%q): trailing text %q is lost", text, text[prev:])
	}
	if strings.Join(strings.Fields(b.String()), "") != strings.Join(strings.Fields(text), "") {
		t.Errorf("Sentences(%q): spans do not hold all the text", text)
	}
}

func FuzzSentences(f *testing.F) {
	for _, s := range []string{"Mr. A. B. Smith said “Hi.” Then… U.S. It 3.5.", "a.b.c. D", "?!… .", "x\u00a0. y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkSpans(t, text, Sentences(text))
	})
}
