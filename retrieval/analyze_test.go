package retrieval

import (
	"fmt"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"

	"github.com/citebot/citebot/corpus"
)

// bleveTokens are the tokens of text from Bleve's analysis with
// [textAnalyzerName] ("en" with diacritics folded).
func bleveTokens(t testing.TB, text string) []token {
	t.Helper()
	an, err := registry.NewCache().AnalyzerNamed(textAnalyzerName)
	if err != nil {
		t.Fatal(err)
	}
	var out []token
	for _, tk := range an.Analyze([]byte(text)) {
		out = append(out, token{term: string(tk.Term), pos: tk.Position, start: tk.Start, end: tk.End})
	}
	return out
}

// analyzerTexts are texts with the cases that word segmentation treats
// specially: apostrophes, decimal points, initials, underscores, colons,
// curly quotes, accents, dashes, CJK, combining marks and control
// characters.
var analyzerTexts = []string{
	"",
	"How many Britons travelled to Syria and Iraq?",
	"MI5's director-general, Andrew Parker, said 20,000 people were of interest; 3,000 were 'active'.",
	"The U.S. and e.g. 3.14.15 or 1,000,000 or 1;2 or a:b or 1:2 or a.1 or 1.a",
	"don't won’t it’s Rumiya's \"quoted\" “curly” — dashes – too…",
	"__init__ a_b.c 1_000 _x x_ _ __ a..b 1,,2 x' 'x a'b'c",
	"Café naïve Zürich São Paulo Ångström façade",
	"e\u0301 a \u0301b \u200d x\u200dy 東京タワー ｶﾀｶﾅ 한국어 עִברִית العربية",
	"line\r\nbreak\ttab\vvt\fff\x00nul\x01ctl \u00a0nbsp \u2028ls",
	"@everyone <@123> **bold** `code` https://example.com/a_b?c=1&d=2 user@example.com",
	"2017-08-31 12:30 £1.5m $20bn 40% No. 10 Downing St.",
}

func TestAnalyzerMatchesBleve(t *testing.T) {
	an, err := newAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	if an.tok == nil || an.stems == nil {
		t.Fatal("the analyzer did not take Bleve's en analyzer apart: it runs it whole")
	}
	texts := append([]string{}, analyzerTexts...)
	c, err := corpus.Load(corpus.Default(), corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range c.Passages() {
		texts = append(texts, p.Text, p.Title, p.Section)
	}
	for _, text := range texts {
		// Twice: the second time from the stem cache.
		for range 2 {
			compareTokens(t, text, an.analyze(text), bleveTokens(t, text))
		}
	}
}

func compareTokens(t *testing.T, text string, got, want []token) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("analyze(%q)\n got %v\nwant %v", text, got, want)
	}
}

// FuzzAnalyzer checks analyze against Bleve's "en" analyzer.
func FuzzAnalyzer(f *testing.F) {
	for _, s := range analyzerTexts {
		f.Add(s)
	}
	an, err := newAnalyzer()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		compareTokens(t, text, an.analyze(text), bleveTokens(t, text))
	})
}

// FuzzASCIITokenizer checks asciiTokenizer against Bleve's unicode
// tokenizer, token types included, on any bytes.
func FuzzASCIITokenizer(f *testing.F) {
	for _, s := range analyzerTexts {
		f.Add([]byte(s))
	}
	u := unicode.NewUnicodeTokenizer()
	fast := asciiTokenizer{fallback: u}
	show := func(ts analysis.TokenStream) string {
		var b strings.Builder
		for _, tk := range ts {
			fmt.Fprintf(&b, "[%q %d-%d @%d %d] ", tk.Term, tk.Start, tk.End, tk.Position, tk.Type)
		}
		return b.String()
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		want := show(u.Tokenize(append([]byte(nil), input...)))
		got := show(fast.Tokenize(append([]byte(nil), input...)))
		if got != want {
			t.Fatalf("Tokenize(%q)\n got %s\nwant %s", input, got, want)
		}
	})
}
