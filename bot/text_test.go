package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/citebot/citebot/retrieval"
)

func TestEscapeMarkdown(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Over 400 live operations.", "Over 400 live operations."},
		{"bold and italics", "**not bold** and _not italic_", `\*\*not bold\*\* and \_not italic\_`},
		{"strike spoiler code", "~~x~~ ||y|| `z`", "\\~\\~x\\~\\~ \\|\\|y\\|\\| \\`z\\`"},
		{"masked link", "[click](http://evil.example)", `\[click\](http://evil.example)`},
		{"heading at start", "# Big", `\# Big`},
		{"list at start", "- item", `\- item`},
		{"subtext at start", "-# small", `\-# small`},
		{"negative number at start", "-5 degrees", "-5 degrees"},
		{"date at start", "24.03.2017 was a Friday", "24.03.2017 was a Friday"},
		{"dash mid line", "well-known - fine", "well-known - fine"},
		{"ordered list at start", "1. first", `1\. first`},
		{"number mid line", "in 2017. Then", "in 2017. Then"},
		{"quote at start", "> quoted", `\> quoted`},
		{"backslash", `a\b`, `a\\b`},
		{"everyone", "hi @everyone and @here", "hi @\u200beveryone and @\u200bhere"},
		{"user and role mentions", "<@123> <@&456> <#789>", `\<@123> \<@&456> \<#789>`},
		{"hash and arrow mid line", "C# a > b", "C# a > b"},
		{"email untouched", "mail a@b.com", "mail a@b.com"},
		{"url kept clickable", "see https://example.com/a_b*c ok_", `see https://example.com/a_b*c ok\_`},
		{"new line starts a line", "a\n- b", "a\n\\- b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := escapeMarkdown(tt.in); got != tt.want {
				t.Errorf("escapeMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitSentencesRejoins(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"three", "One. Two! Three?", 3},
		{"closing quote", `He said "stop." Then left.`, 2},
		{"abbreviation-like number", "In 2017.5 it rose. Fine.", 2},
		{"no end mark", "no end mark here", 1},
		{"empty", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitSentences(tt.in)
			if strings.Join(got, "") != tt.in {
				t.Errorf("pieces %q do not rejoin to %q", got, tt.in)
			}
			if len(got) != tt.want {
				t.Errorf("got %d sentences %q, want %d", len(got), got, tt.want)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	long := strings.Repeat("Filler sentence about nothing much. ", 40) +
		"The best sentence says 400 live operations. " + strings.Repeat("More words after it. ", 40)
	best := "The best sentence says 400 live operations."
	tests := []struct {
		name       string
		text, best string
		limit      int
		want       string // exact, when not ""
		contains   []string
	}{
		{name: "fits: bold best", text: "First. Best one. Last.", best: "Best one.", limit: 100,
			want: "First. **Best one.** Last."},
		{name: "url at end of best stays outside bold", text: "Read it at https://example.com/a_b. Next.", best: "Read it at https://example.com/a_b.", limit: 100,
			want: "**Read it at** https://example.com/a_b. Next."},
		{name: "no best", text: "Just *text*.", best: "", limit: 100, want: `Just \*text\*.`},
		{name: "best not in text", text: "Some text.", best: "Other.", limit: 100, want: "Some text."},
		{name: "long: keeps best with ellipses", text: long, best: best, limit: 300,
			contains: []string{"**" + best + "**", "… ", " …"}},
		{name: "one huge sentence cut at a word", text: strings.Repeat("word ", 500) + "end.", best: "", limit: 50,
			contains: []string{" …"}},
		{name: "huge best sentence stays bold", text: strings.Repeat("word ", 500) + "end.", best: strings.Repeat("word ", 500) + "end.", limit: 60,
			contains: []string{"**word", "** …"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := quote(tt.text, tt.best, tt.limit)
			if textLen(got) > tt.limit {
				t.Errorf("got %d characters, want at most %d: %q", textLen(got), tt.limit, got)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			for _, c := range tt.contains {
				if !strings.Contains(got, c) {
					t.Errorf("got %q, want it to contain %q", got, c)
				}
			}
			if !utf8.ValidString(got) {
				t.Errorf("got invalid UTF-8 %q", got)
			}
		})
	}
}

func TestQuoteDropsWholeSentences(t *testing.T) {
	text := "Alpha one two. Beta three four. Gamma five six. Delta seven eight."
	got := quote(text, "Gamma five six.", 50)
	// Every sentence shown is whole: strip the marks and compare.
	plain := strings.NewReplacer("**", "", "… ", "", " …", "").Replace(got)
	if !strings.Contains(text, plain) {
		t.Errorf("got %q; %q is not a run of whole sentences of the text", got, plain)
	}
	for _, s := range splitSentences(plain) {
		if !strings.Contains(text, strings.TrimSpace(s)) || !strings.HasSuffix(strings.TrimSpace(s), ".") {
			t.Errorf("got %q, sentence %q was cut", got, s)
		}
	}
	if !strings.Contains(got, "**Gamma five six.**") {
		t.Errorf("got %q, want the best sentence in bold", got)
	}
}

func TestQuoteLimitsFuzzish(t *testing.T) {
	// Awkward text at every limit: the result must fit and stay valid.
	text := "Emoji 😀😀😀 and *stars* and <@&1234567890> ping @everyone! " + strings.Repeat("x", 300) + ". Short. ¿Qué? Done."
	for limit := 1; limit < 400; limit += 7 {
		got := quote(text, "Short.", limit)
		if textLen(got) > limit {
			t.Fatalf("limit %d: got %d characters: %q", limit, textLen(got), got)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("limit %d: invalid UTF-8 %q", limit, got)
		}
		if strings.Contains(got, "@everyone") || strings.Contains(got, "<@&") && !strings.Contains(got, `\<@&`) {
			t.Fatalf("limit %d: a mention survived: %q", limit, got)
		}
	}
}

func TestTextLenCountsUTF16(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{{"abc", 3}, {"é", 1}, {"😀", 2}, {"", 0}}
	for _, tt := range tests {
		if got := textLen(tt.in); got != tt.want {
			t.Errorf("textLen(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{"fits", "short", 10, "short"},
		{"word boundary", "one two three four", 12, "one two…"},
		{"no boundary near", "hello wonderful world", 12, "hello wonde…"},
		{"tiny", "hello", 1, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clip(tt.in, tt.limit); got != tt.want {
				t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
		})
	}
}

// FuzzRenderAnswer renders arbitrary passages, titles and questions: the
// reply always fits Discord's limits, stays valid UTF-8, and shows no live
// mention, whatever the text holds.
func FuzzRenderAnswer(f *testing.F) {
	f.Add("Plain text. With two sentences.", "With two sentences.", "Title", "question?", 3, 0)
	f.Add(hostile.Text, "This is **not bold**, _not italic_, ||no spoiler||, `no code` and [a link](http://evil.example).", hostile.Title, "@everyone <@&1>", 5, 99990)
	f.Add(strings.Repeat("Long sentence with words. ", 400), "Long sentence with words.", strings.Repeat("T", 500), strings.Repeat("q", 600), 10, 3)
	f.Add("see https://example.com/@everyone_x and <@123> @here", "", "", "", 1, 0)
	f.Add("\x00\u202e\u0301combining\r\n- list\n# head\n> quote", "combining", "😀", "\u200b", 2, 1)
	f.Fuzz(func(t *testing.T, text, best, title, question string, n, offset int) {
		n = min(max(n, 0), 12)
		offset = min(max(offset, 0), maxOffset)
		hits := make([]retrieval.Hit, n)
		for i := range hits {
			p := mi5
			p.Text, p.Title, p.Section, p.Seq = text, title, title, i
			hits[i] = retrieval.Hit{Passage: p, BestSentence: best}
		}
		ref, ok := inlineAskRef(question, "")
		if !ok {
			ref = "#abc"
		}
		r := renderAnswer(askView{Question: question, Offset: offset, Limit: 5, Ref: ref, SourceTitle: title},
			retrieval.Result{Hits: hits, Total: offset + n + 1, Query: question, Corrected: best})
		payload := callbackData(t, r)
		if p := limitProblems(payload); p != nil {
			t.Fatalf("limits: %v", p)
		}
		texts := []string{r.Content}
		for _, e := range r.Embeds {
			texts = append(texts, e.Title, e.Description)
			if e.Footer != nil {
				texts = append(texts, e.Footer.Text)
			}
		}
		for _, s := range texts {
			if !utf8.ValidString(s) && utf8.ValidString(text+best+title+question) {
				t.Fatalf("invalid UTF-8 from valid input: %q", s)
			}
			if livePing(s) {
				t.Fatalf("live mention in %q", s)
			}
		}
		got := quote(text, best, 1<<20)
		if livePing(got) {
			t.Fatalf("live mention in quote %q", got)
		}
	})
}

// livePing reports text Discord would render as a mention: @everyone or
// @here, or "<@", "<#" not escaped by a backslash.
func livePing(s string) bool {
	if strings.Contains(s, "@everyone") || strings.Contains(s, "@here") {
		return true
	}
	for _, m := range []string{"<@", "<#"} {
		for i := strings.Index(s, m); i >= 0; {
			bs := 0
			for k := i - 1; k >= 0 && s[k] == '\\'; k-- {
				bs++
			}
			if bs%2 == 0 {
				return true
			}
			j := strings.Index(s[i+1:], m)
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return false
}
