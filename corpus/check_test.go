package corpus

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// checkDocument fails t unless d, loaded from src, keeps the promises of
// the package: every passage is verbatim text of the source, paragraphs
// are numbered 1, 2, 3... with parts 1..n, parts fit the limit, line
// ranges lie in the file, the parts of a paragraph put together give back
// the whole text of its lines, and every non-blank line is either quoted
// by a passage or listed in d.Dropped, never both.
func checkDocument(t testing.TB, src []byte, d Document, maxPassage int) {
	t.Helper()
	text := strings.TrimPrefix(strings.ToValidUTF8(string(src), "\uFFFD"), "\uFEFF")
	norm := strings.Join(strings.Fields(text), " ")
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n"), "\n")
	if strings.HasSuffix(text, "\n") || strings.HasSuffix(text, "\r") {
		lines = lines[:len(lines)-1]
	}
	foldLines := func(a, b int) string { // lines a..b, 1-based inclusive
		return strings.Join(strings.Fields(strings.Join(lines[a-1:b], "\n")), " ")
	}

	quoted := map[int]bool{}
	var group []Passage // the parts of the current paragraph
	endGroup := func() {
		if len(group) == 0 {
			return
		}
		// The parts must spell out the folded lines, joined by the space
		// that was between them (or nothing, for a cut inside an overlong
		// word).
		want := foldLines(group[0].StartLine, group[len(group)-1].EndLine)
		rest, ok := want, true
		for i, p := range group {
			if i > 0 {
				rest = strings.TrimPrefix(rest, " ")
			}
			if !strings.HasPrefix(rest, p.Text) {
				ok = false
				break
			}
			rest = rest[len(p.Text):]
		}
		if !ok || rest != "" {
			var texts []string
			for _, p := range group {
				texts = append(texts, p.Text)
			}
			t.Errorf("%s paragraph %d: parts %q do not put together the text of lines %d-%d %q",
				d.Source, group[0].Paragraph, texts, group[0].StartLine, group[len(group)-1].EndLine, want)
		}
		group = group[:0]
	}
	for i, p := range d.Passages {
		if p.Seq != i {
			t.Errorf("%s passage %d: got Seq %d, want %d", d.Source, i, p.Seq, i)
		}
		if p.Source != d.Source || p.Title != d.Title {
			t.Errorf("%s passage %d: got source %q title %q, want the document's %q %q", d.Source, i, p.Source, p.Title, d.Source, d.Title)
		}
		if p.Text == "" || p.Text != strings.Join(strings.Fields(p.Text), " ") {
			t.Errorf("%s passage %d: text %q is empty or not white-space folded", d.Source, i, p.Text)
		}
		if !strings.Contains(norm, p.Text) {
			t.Errorf("%s passage %d: text %q is not a substring of the normalised source", d.Source, i, p.Text)
		}
		if n := utf8.RuneCountInString(p.Text); n > maxPassage {
			t.Errorf("%s passage %d: got %d runes, want at most %d", d.Source, i, n, maxPassage)
		}
		if p.StartLine < 1 || p.StartLine > p.EndLine || p.EndLine > len(lines) {
			t.Errorf("%s passage %d: got lines %d-%d, want 1 <= start <= end <= %d", d.Source, i, p.StartLine, p.EndLine, len(lines))
			continue
		}
		if i == 0 {
			if p.Paragraph != 1 || (p.Part != 0 && p.Part != 1) {
				t.Errorf("%s passage 0: got paragraph %d part %d, want paragraph 1 part 0 or 1", d.Source, p.Paragraph, p.Part)
			}
		} else {
			prev := d.Passages[i-1]
			switch {
			case p.Paragraph == prev.Paragraph:
				if prev.Part < 1 || p.Part != prev.Part+1 {
					t.Errorf("%s passage %d: paragraph %d part %d follows part %d", d.Source, i, p.Paragraph, p.Part, prev.Part)
				}
				if p.StartLine < prev.EndLine {
					t.Errorf("%s passage %d: starts on line %d, before the previous part ends (%d)", d.Source, i, p.StartLine, prev.EndLine)
				}
			case p.Paragraph == prev.Paragraph+1:
				if p.Part > 1 {
					t.Errorf("%s passage %d: new paragraph %d starts with part %d", d.Source, i, p.Paragraph, p.Part)
				}
				if prev.Part == 1 {
					t.Errorf("%s passage %d: paragraph %d has a part 1 and no part 2", d.Source, i, prev.Paragraph)
				}
				if p.StartLine <= prev.EndLine {
					t.Errorf("%s passage %d: paragraph starts on line %d, not after the previous one (%d)", d.Source, i, p.StartLine, prev.EndLine)
				}
				endGroup()
			default:
				t.Errorf("%s passage %d: got paragraph %d after %d, want %d or %d", d.Source, i, p.Paragraph, prev.Paragraph, prev.Paragraph, prev.Paragraph+1)
			}
		}
		group = append(group, p)
		for ln := p.StartLine; ln <= p.EndLine; ln++ {
			quoted[ln] = true
		}
	}
	endGroup()

	dropped := map[int]bool{}
	for _, x := range d.Dropped {
		if x.Line < 1 || x.Line > len(lines) {
			t.Errorf("%s: dropped line %d out of range 1-%d", d.Source, x.Line, len(lines))
			continue
		}
		if quoted[x.Line] {
			t.Errorf("%s: line %d is both quoted and dropped (%s)", d.Source, x.Line, x.Reason)
		}
		if x.Reason == "" {
			t.Errorf("%s: dropped line %d has no reason", d.Source, x.Line)
		}
		dropped[x.Line] = true
	}
	for i, l := range lines {
		if strings.TrimSpace(strings.Join(strings.Fields(l), " ")) != "" && !quoted[i+1] && !dropped[i+1] {
			t.Errorf("%s: line %d %q is neither quoted nor listed as dropped", d.Source, i+1, l)
		}
	}
}
