package corpus

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestDefaultGolden checks the chunking of the shipped corpus against
// testdata/default.golden: each document's title, date, URL and author,
// each passage's paragraph, part, section, line range and opening words,
// and every dropped line with its reason. Run with -update to rewrite it,
// then review the diff.
func TestDefaultGolden(t *testing.T) {
	c, err := Load(Default(), Options{})
	if err != nil {
		t.Fatalf("Load(Default()): %v", err)
	}
	got := formatCorpus(c)
	golden := filepath.Join("testdata", "default.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("chunking of the default corpus differs from %s (run go test ./corpus -update and review the diff):\n%s",
			golden, lineDiff(string(want), got))
	}
}

// formatCorpus renders c for a golden file.
func formatCorpus(c *Corpus) string {
	var b strings.Builder
	for _, d := range c.Documents {
		fmt.Fprintf(&b, "== %s\n", d.Source)
		fmt.Fprintf(&b, "title:  %s\n", d.Title)
		fmt.Fprintf(&b, "date:   %s\n", d.Date)
		fmt.Fprintf(&b, "url:    %s\n", d.URL)
		fmt.Fprintf(&b, "author: %s\n", d.Author)
		fmt.Fprintf(&b, "passages: %d\n", len(d.Passages))
		section, date, url := "\x00", d.Date, d.URL
		for _, p := range d.Passages {
			if p.Section != section || p.Date != date || p.URL != url {
				section, date, url = p.Section, p.Date, p.URL
				fmt.Fprintf(&b, "  § %q", p.Section)
				if p.Date != d.Date {
					fmt.Fprintf(&b, " date=%q", p.Date)
				}
				if p.URL != d.URL {
					fmt.Fprintf(&b, " url=%q", p.URL)
				}
				b.WriteString("\n")
			}
			num := fmt.Sprint(p.Paragraph)
			if p.Part > 0 {
				num += fmt.Sprintf(".%d", p.Part)
			}
			fmt.Fprintf(&b, "  ¶%-5s L%d-%d %4d  %s\n", num, p.StartLine, p.EndLine, utf8.RuneCountInString(p.Text), clip(p.Text, 60))
		}
		b.WriteString("dropped:\n")
		for _, x := range d.Dropped {
			fmt.Fprintf(&b, "  L%-4d %-24s %s\n", x.Line, x.Reason+":", clip(x.Text, 70))
		}
		b.WriteString("\n")
	}
	for _, s := range c.Skipped {
		fmt.Fprintf(&b, "skipped %s: %s\n", s.Path, s.Reason)
	}
	for _, s := range c.Warnings {
		fmt.Fprintf(&b, "warning %s: %s\n", s.Path, s.Reason)
	}
	return b.String()
}

// clip returns the first n runes of s, with "…" when it was cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// lineDiff lists the lines that differ between want and got, with line
// numbers, enough to see what changed.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 40; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  got  %s\n  want %s\n", i+1, gl, wl)
			shown++
		}
	}
	return b.String()
}
