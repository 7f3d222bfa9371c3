package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/citebot/citebot/corpus"
	"github.com/citebot/citebot/retrieval"
)

// Passages shaped like the default corpus.
var (
	mi5 = corpus.Passage{
		Source: "002_0365d994d677c689.txt", Title: "MI5 warns of unprecedented terror threat", Section: "",
		Paragraph: 4, Seq: 3, Date: "Thursday, 19 October 2017", URL: "http://www.example.com/mi5-threat",
		Text: "There are over 400 live operations under way to combat terrorist activities in Britain with tens of thousands more who are on the radar with the law agencies.",
	}
	syria = corpus.Passage{
		Source: "001_596a886637f5ae04.txt", Title: "Britons who travelled to Syria", Section: "The returnees",
		Paragraph: 2, Part: 1, Seq: 1, Date: "24.03.2017", URL: "",
		Text: "Around 850 people from the UK are thought to have travelled to Syria and Iraq. About half have returned. The rest are dead or still there.",
	}
	hostile = corpus.Passage{
		Source: "003_0526fb8791384aad.txt", Title: "**Blog** of @everyone <@&123456789012345678>", Section: "# Post _one_",
		Paragraph: 7, Seq: 6, Date: "February 2018", URL: "javascript:alert(1)",
		Text: "Hello @everyone and <@&123456789012345678> and <@42>! This is **not bold**, _not italic_, ||no spoiler||, `no code` and [a link](http://evil.example). > not a quote",
	}
)

func hit(p corpus.Passage, best string) retrieval.Hit {
	return retrieval.Hit{Passage: p, Score: 1, BestSentence: best}
}

func hugePassage(i int) corpus.Passage {
	var b strings.Builder
	for k := 0; b.Len() < 9000; k++ {
		fmt.Fprintf(&b, "Sentence %d of huge passage %d says something rather long about the topic at hand. ", k, i)
	}
	return corpus.Passage{Source: fmt.Sprintf("huge_%d.txt", i), Title: strings.Repeat("Very long title ", 30),
		Section: strings.Repeat("Section ", 80), Paragraph: i, Seq: i, Date: "2017", URL: "https://example.com/" + strings.Repeat("x", 3000),
		Text: strings.TrimSpace(b.String())}
}

func TestRenderAnswerGolden(t *testing.T) {
	ref, _ := inlineAskRef("How many Britons travelled to Syria and Iraq?", "")
	huge := make([]retrieval.Hit, 5)
	for i := range huge {
		p := hugePassage(i)
		huge[i] = hit(p, fmt.Sprintf("Sentence 60 of huge passage %d says something rather long about the topic at hand.", i))
	}
	tests := []struct {
		name string
		view askView
		res  retrieval.Result
	}{
		{
			name: "three_hits",
			view: askView{Question: "How many Britons travelled to Syria and Iraq?", Limit: 3, Ref: ref},
			res: retrieval.Result{Total: 7, Query: "How many Britons travelled to Syria and Iraq?", Hits: []retrieval.Hit{
				hit(syria, "Around 850 people from the UK are thought to have travelled to Syria and Iraq."),
				hit(mi5, ""),
				hit(hostile, "This is **not bold**, _not italic_, ||no spoiler||, `no code` and [a link](http://evil.example)."),
			}},
		},
		{
			name: "second_page",
			view: askView{Question: "How many Britons travelled to Syria and Iraq?", Offset: 3, Limit: 3, Ref: ref},
			res:  retrieval.Result{Total: 7, Hits: []retrieval.Hit{hit(mi5, mi5.Text)}},
		},
		{
			name: "no_more_results",
			view: askView{Question: "Syria", Offset: 9, Limit: 3, Ref: ref},
			res:  retrieval.Result{Total: 9},
		},
		{
			name: "none_relevant_with_suggestion",
			view: askView{Question: "who won the wrld cup?", Limit: 3},
			res:  retrieval.Result{NoneRelevant: true, Query: "who won the wrld cup?", Corrected: "who won the world cup?"},
		},
		{
			name: "source_filter_and_truncated",
			view: askView{Question: strings.Repeat("why ", 140), Limit: 1, SourceTitle: "MI5 warns of unprecedented terror threat"},
			res:  retrieval.Result{Total: 1, Truncated: true, Query: strings.Repeat("why ", 125), Hits: []retrieval.Hit{hit(mi5, "")}},
		},
		{
			name: "huge_passages",
			view: askView{Question: "huge", Limit: 5, Ref: "=:huge"},
			res:  retrieval.Result{Total: 50, Hits: huge},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := renderAnswer(tt.view, tt.res)
			payload := callbackData(t, r)
			if p := limitProblems(payload); p != nil {
				t.Errorf("limits: %v", p)
			}
			golden(t, "render/answer_"+tt.name+".json", mustJSON(t, callback(newMessage, r)))
		})
	}
}

func TestRenderAnswerNeverPings(t *testing.T) {
	r := renderAnswer(askView{Question: "@everyone <@&1> hi", Limit: 3, Ref: "=:x"},
		retrieval.Result{Total: 1, Hits: []retrieval.Hit{hit(hostile, "This is **not bold**, _not italic_, ||no spoiler||, `no code` and [a link](http://evil.example).")}})
	var texts []string
	texts = append(texts, r.Content)
	for _, e := range r.Embeds {
		texts = append(texts, e.Title, e.Description, e.Footer.Text)
	}
	for _, s := range texts {
		if strings.Contains(s, "@everyone") || strings.Contains(s, "<@&1") && !strings.Contains(s, `\<@&1`) {
			t.Errorf("got %q, want no live mention", s)
		}
	}
	if r.Embeds[0].URL != "" {
		t.Errorf("got embed URL %q for a javascript: link, want none", r.Embeds[0].URL)
	}
	var m struct {
		AllowedMentions struct {
			Parse []string `json:"parse"`
		} `json:"allowed_mentions"`
	}
	raw := callbackData(t, r)
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
		t.Errorf("got allowed_mentions.parse %v in %s, want []", m.AllowedMentions.Parse, raw)
	}
	if !strings.Contains(string(raw), `"allowed_mentions":{"parse":[]`) {
		t.Errorf("got %s, want an explicit \"parse\":[]", raw)
	}
}

func TestRenderAnswerLimitsManyShapes(t *testing.T) {
	// Many hit counts, passage sizes and title sizes: every payload fits.
	for n := 0; n <= 10; n++ {
		for _, size := range []int{0, 10, 999, 1000, 4000, 20000} {
			hits := make([]retrieval.Hit, n)
			for i := range hits {
				p := hugePassage(i)
				p.Text = cutRunes(p.Text+strings.Repeat(" ünïcödé 😀 *x*", size/10), size)
				hits[i] = hit(p, "")
			}
			r := renderAnswer(askView{Question: strings.Repeat("q", 600), Offset: 99990, Limit: 5, Ref: "=:" + strings.Repeat("q", askRefRoom-2)},
				retrieval.Result{Total: 200000, Hits: hits})
			if p := limitProblems(callbackData(t, r)); p != nil {
				t.Fatalf("%d hits of %d characters: %v", n, size, p)
			}
		}
	}
}

func TestRenderContextGolden(t *testing.T) {
	prev := syria
	prev.Seq, prev.Paragraph, prev.Part = 0, 1, 0
	prev.Text = "The first paragraph sets the scene."
	tests := []struct {
		name       string
		p          corpus.Passage
		prev, next *corpus.Passage
	}{
		{"middle", syria, &prev, &mi5},
		{"first_and_last", hostile, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := renderContext(tt.p, tt.prev, tt.next)
			if !r.Ephemeral {
				t.Errorf("got a public context reply, want ephemeral")
			}
			if p := limitProblems(callbackData(t, r)); p != nil {
				t.Errorf("limits: %v", p)
			}
			golden(t, "render/context_"+tt.name+".json", mustJSON(t, callback(newMessage, r)))
		})
	}
}

func TestRenderContextHugeFits(t *testing.T) {
	a, b, c := hugePassage(1), hugePassage(2), hugePassage(3)
	r := renderContext(b, &a, &c)
	if p := limitProblems(callbackData(t, r)); p != nil {
		t.Errorf("limits: %v", p)
	}
}

func docs(n int) []retrieval.DocInfo {
	out := make([]retrieval.DocInfo, n)
	for i := range out {
		out[i] = retrieval.DocInfo{Source: fmt.Sprintf("%03d.txt", i), Title: fmt.Sprintf("Document %d", i), Passages: i + 1}
	}
	return out
}

func TestRenderSourcesGolden(t *testing.T) {
	many := docs(23)
	many[0] = retrieval.DocInfo{Source: "000.txt", Title: "A (tricky) [title] @everyone", URL: "https://example.com/a_(b)", Date: "24.03.2017", Passages: 12}
	many[1].URL = "https://example.com/" + strings.Repeat("y", 400) // too long to link
	many[2].Title = strings.Repeat("Long title ", 40)
	tests := []struct {
		name string
		docs []retrieval.DocInfo
		page int
	}{
		{"single_page", docs(3), 0},
		{"first_of_three", many, 0},
		{"last_of_three", many, 2},
		{"page_out_of_range", many, 7},
		{"empty", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := renderSources(tt.docs, tt.page)
			if p := limitProblems(callbackData(t, r)); p != nil {
				t.Errorf("limits: %v", p)
			}
			golden(t, "render/sources_"+tt.name+".json", mustJSON(t, callback(newMessage, r)))
		})
	}
}

func TestRenderSourcesPagesRoundTrip(t *testing.T) {
	all := docs(23)
	seen := map[string]bool{}
	for page := 0; page < 3; page++ {
		r := renderSources(all, page)
		for _, d := range all {
			if strings.Contains(r.Embeds[0].Description, d.Title+"**") {
				seen[d.Source] = true
			}
		}
		if len(r.Components) != 1 {
			t.Errorf("page %d: got %d component rows, want 1", page, len(r.Components))
		}
	}
	if len(seen) != len(all) {
		t.Errorf("got %d documents over 3 pages, want %d", len(seen), len(all))
	}
}

func TestRenderReindexGolden(t *testing.T) {
	var skipped []corpus.Skipped
	for i := 0; i < 14; i++ {
		skipped = append(skipped, corpus.Skipped{Path: fmt.Sprintf("bad_%d.bin", i), Reason: "binary file"})
	}
	tests := []struct {
		name string
		r    reply
	}{
		{"ok", renderReindex(retrieval.Change{
			DocsAdded: []string{"005_new.txt"}, DocsChanged: []string{"001_596a886637f5ae04.txt"},
			PassagesAdded: 12, PassagesRemoved: 3, Documents: 6, Passages: 321,
			Skipped:  []corpus.Skipped{{Path: "notes.pdf", Reason: "other extension"}, {Path: "big.txt", Reason: "larger than 20 MiB"}},
			Warnings: []corpus.Skipped{{Path: "latin1.txt", Reason: "invalid UTF-8 replaced with U+FFFD"}},
			Took:     1234 * time.Millisecond,
		})},
		{"many_skipped", renderReindex(retrieval.Change{Documents: 5, Passages: 300, Skipped: skipped, Took: 80 * time.Millisecond})},
		{"failed", renderReindexFailed(errors.New("load corpus /data/corpus: open /data/corpus: no such file or directory"))},
		{"busy", renderReindexFailed(fmt.Errorf("rebuild: %w", retrieval.ErrBuildRunning))},
		{"help", renderHelp()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p := limitProblems(callbackData(t, tt.r)); p != nil {
				t.Errorf("limits: %v", p)
			}
			if !tt.r.Ephemeral {
				t.Errorf("got a public reply, want ephemeral")
			}
			golden(t, "render/"+tt.name+".json", mustJSON(t, callback(newMessage, tt.r)))
		})
	}
}

func TestRenderTextGolden(t *testing.T) {
	tests := []struct {
		name     string
		question string
		res      retrieval.Result
	}{
		{"hits", "How many Britons travelled to Syria and Iraq?", retrieval.Result{Total: 3, Query: "How many Britons travelled to Syria and Iraq?", Hits: []retrieval.Hit{
			hit(syria, "Around 850 people from the UK are thought to have travelled to Syria and Iraq."),
			hit(mi5, ""),
			hit(hostile, "Hello @everyone and <@&123456789012345678> and <@42>!"),
		}}},
		{"none", "who won the wrld cup", retrieval.Result{NoneRelevant: true, Query: "who won the wrld cup", Corrected: "who won the world cup"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, "render/text_"+tt.name+".md", []byte(RenderText(tt.question, tt.res)))
		})
	}
}

func TestRenderTextCitesEverything(t *testing.T) {
	got := RenderText("q", retrieval.Result{Total: 1, Hits: []retrieval.Hit{hit(mi5, "")}})
	for _, want := range []string{mi5.Title, "paragraph 4", mi5.Date, mi5.URL, "over 400 live operations"} {
		if !strings.Contains(got, want) {
			t.Errorf("got %q, want it to contain %q", got, want)
		}
	}
}

func TestFitLimitsRepairs(t *testing.T) {
	r := reply{Content: strings.Repeat("c", 5000)}
	for i := 0; i < 12; i++ {
		r.Embeds = append(r.Embeds, renderContext(hugePassage(i), nil, nil).Embeds[0])
		r.Embeds[i].Description = strings.Repeat("d", 5000)
	}
	payload := callbackData(t, r)
	if p := limitProblems(payload); p != nil {
		t.Errorf("after fitLimits: %v", p)
	}
	if textLen(r.Embeds[0].Description) != 5000 {
		t.Errorf("fitLimits changed the caller's embed")
	}
}

// longestPassage is a passage as long as the loader makes them, full of
// characters that Markdown escaping doubles.
func longestPassage(i int) corpus.Passage {
	p := hugePassage(i)
	p.Title, p.Section, p.URL = fmt.Sprintf("Report %d on *the* threat", i), "Findings", "https://example.com/report"
	p.Text = cutRunes(strings.Repeat("The 20,000 *subjects* of interest_ are `watched` closely. ", 40), corpus.DefaultMaxPassage)
	return p
}

// TestRenderQuotesLongestWhole checks that passages as long as the loader
// makes them are quoted whole: three in an answer (the default number of
// results), and the quoted one in its context view.
func TestRenderQuotesLongestWhole(t *testing.T) {
	a, b, c := longestPassage(1), longestPassage(2), longestPassage(3)
	r := renderAnswer(askView{Question: "How many subjects of interest are watched?", Limit: 3},
		retrieval.Result{Total: 3, Hits: []retrieval.Hit{hit(a, ""), hit(b, ""), hit(c, "")}})
	if p := limitProblems(callbackData(t, r)); p != nil {
		t.Fatalf("limits: %v", p)
	}
	for i, e := range r.Embeds {
		if want := quote(a.Text, "", maxEmbedDesc); e.Description != want {
			t.Errorf("result %d: got a quote of %d characters, want the whole passage (%d)", i+1, textLen(e.Description), textLen(want))
		}
	}
	ctx := renderContext(b, &a, &c)
	if p := limitProblems(callbackData(t, ctx)); p != nil {
		t.Fatalf("context limits: %v", p)
	}
	if whole := quote(b.Text, "", maxEmbedDesc); !strings.Contains(ctx.Embeds[0].Description, whole) {
		t.Errorf("context view: the quoted passage is not whole")
	}
}
