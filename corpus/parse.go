package corpus

import (
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// itemKind says what a run of source lines is.
type itemKind uint8

const (
	itemPara    itemKind = iota // text: a paragraph, heading, title or fragment
	itemHeading                 // a Markdown heading ("## Notes", setext)
	itemMeta                    // a date, URL or byline line
	itemDrop                    // a boilerplate line
)

// role is what a text item turned out to be.
type role uint8

const (
	roleNone role = iota
	rolePassage
	roleHeading
	roleTitle
	roleFragment
)

// item is one unit of a document: one line, or the lines of a paragraph.
type item struct {
	kind       itemKind
	role       role
	start, end int    // 1-based line numbers, inclusive
	text       string // white space folded
	reason     string // itemDrop: why
	boundary   bool   // ends a post: page furniture, or an author bio or credit
	date, url  string // itemMeta
	author     string // itemMeta
	section    int    // index into the sections of assignSections
	subSection bool   // roleHeading: a notes or references heading under a post
}

// section is a heading and the date and link written under it.
type section struct {
	name, date, url string
}

// parsed is a document's text turned into passages.
type parsed struct {
	title, date, url, author string
	passages                 []Passage
	dropped                  []Dropped
}

// frontMatter holds the fields of a "---" block at the top of a file.
type frontMatter struct {
	title, url, date, author string
}

// parse turns the text of one file (valid UTF-8) into passages. source is
// the file's path, used for the fallback title.
func parse(src, source string, maxPassage int) parsed {
	lines := splitLines(strings.TrimPrefix(src, "\uFEFF"))
	fm, first := parseFrontMatter(lines)
	folded := make([]string, len(lines))
	for i := first; i < len(lines); i++ {
		folded[i] = fold(lines[i])
	}

	var items []item
	for i := first; i < len(lines); {
		if folded[i] == "" {
			i++
			continue
		}
		j := i
		for j < len(lines) && folded[j] != "" {
			j++
		}
		items = appendBlock(items, folded, i, j)
		i = j
	}
	items = mergeBroken(items)

	var p parsed
	p.title = findTitle(items)
	findHeadings(items)
	sections, docDate, docURL, docAuthor := assignSections(items)

	p.date, p.url, p.author = docDate, docURL, docAuthor
	if fm.title != "" {
		p.title = fm.title
	}
	if p.title == "" {
		p.title = strings.TrimSuffix(path.Base(source), path.Ext(source))
	}
	if fm.date != "" {
		p.date = fm.date
	}
	if fm.url != "" {
		p.url = fm.url
	}
	if fm.author != "" {
		p.author = fm.author
	}

	for i := 0; i < first; i++ {
		if t := fold(lines[i]); t != "" {
			p.dropped = append(p.dropped, Dropped{Line: i + 1, Text: t, Reason: reasonFrontMatter})
		}
	}
	paragraph := 0
	for _, it := range items {
		switch {
		case it.kind == itemDrop:
			p.dropped = append(p.dropped, Dropped{Line: it.start, Text: it.text, Reason: it.reason})
		case it.kind == itemMeta:
			reason := reasonDate
			switch {
			case it.author != "":
				reason = reasonByline
			case it.url != "":
				reason = reasonLink
			}
			p.dropped = append(p.dropped, Dropped{Line: it.start, Text: it.text, Reason: reason})
		case it.role == roleTitle:
			p.dropped = append(p.dropped, Dropped{Line: it.start, Text: it.text, Reason: reasonTitle})
		case it.role == roleHeading:
			p.dropped = append(p.dropped, Dropped{Line: it.start, Text: it.text, Reason: reasonHeading})
		case it.role == roleFragment:
			for ln := it.start; ln <= it.end; ln++ {
				if t := folded[ln-1]; t != "" {
					p.dropped = append(p.dropped, Dropped{Line: ln, Text: t, Reason: reasonFragment})
				}
			}
		case it.role == rolePassage:
			paragraph++
			sec := sections[it.section]
			date, url := sec.date, sec.url
			if date == "" || fm.date != "" {
				date = p.date
			}
			if url == "" || fm.url != "" {
				url = p.url
			}
			base := Passage{
				Source:    source,
				Title:     p.title,
				Section:   sec.name,
				Paragraph: paragraph,
				Date:      date,
				URL:       url,
			}
			p.passages = appendParts(p.passages, base, it, folded, maxPassage)
		}
	}
	for i := range p.passages {
		p.passages[i].Seq = i
	}
	return p
}

// splitLines splits text at "\n", "\r\n" and lone "\r".
func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return out
}

// fold trims s and folds its runs of white space to one space.
func fold(s string) string {
	s = strings.TrimSpace(s)
	prevSpace := false
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b == ' ':
			if prevSpace {
				return strings.Join(strings.Fields(s), " ")
			}
			prevSpace = true
			continue
		case b >= utf8.RuneSelf:
			if r, _ := utf8.DecodeRuneInString(s[i:]); unicode.IsSpace(r) {
				return strings.Join(strings.Fields(s), " ")
			}
		case b < ' ' && (b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r'):
			return strings.Join(strings.Fields(s), " ")
		}
		prevSpace = false
	}
	return s
}

// parseFrontMatter reads a "---" block at the top of the file and returns
// its fields and the index of the first line after it. Without a complete
// block it returns index 0.
func parseFrontMatter(lines []string) (frontMatter, int) {
	var fm frontMatter
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "---" {
		return fm, 0
	}
	fields := 0
	for i := 1; i < len(lines) && i < 200; i++ {
		t := strings.TrimSpace(lines[i])
		if t == "---" || t == "..." {
			if fields == 0 {
				return frontMatter{}, 0
			}
			return fm, i + 1
		}
		if t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "- ") || lines[i][0] == ' ' || lines[i][0] == '\t' {
			continue // comments, list entries, nested values
		}
		key, val, ok := strings.Cut(t, ":")
		if !ok || strings.ContainsAny(key, " \t\"'") || key == "" {
			return frontMatter{}, 0 // not YAML: a separator line and text
		}
		fields++
		val = unquote(strings.TrimSpace(val))
		switch strings.ToLower(key) {
		case "title":
			fm.title = val
		case "url", "link":
			fm.url = val
		case "date":
			fm.date = val
		case "author", "authors", "by":
			fm.author = val
		}
	}
	return frontMatter{}, 0
}

// unquote removes YAML-style quotes around a scalar value.
func unquote(v string) string {
	if len(v) >= 2 {
		switch {
		case v[0] == '"' && v[len(v)-1] == '"':
			if u, err := strconv.Unquote(v); err == nil {
				return u
			}
			return v[1 : len(v)-1]
		case v[0] == '\'' && v[len(v)-1] == '\'':
			return strings.ReplaceAll(v[1:len(v)-1], "''", "'")
		}
	}
	return v
}

// appendBlock classifies the lines [a, b) of one block (a run of non-blank
// lines) and appends its items.
func appendBlock(items []item, folded []string, a, b int) []item {
	// A short block with a picture label or a credit is a photo caption.
	if b-a <= 5 {
		caption, fit := false, true
		for k := a; k < b; k++ {
			if utf8.RuneCountInString(folded[k]) > 400 {
				fit = false
			}
			if isCaptionLine(folded[k]) {
				caption = true
			}
		}
		if caption && fit {
			for k := a; k < b; k++ {
				items = append(items, item{kind: itemDrop, start: k + 1, end: k + 1, text: folded[k], reason: reasonCaption})
			}
			return items
		}
	}

	run := -1 // first line of the current run of text lines, -1 if none
	flush := func(end int) {
		if run >= 0 {
			items = appendRun(items, folded, run, end)
			run = -1
		}
	}
	for k := a; k < b; k++ {
		s := folded[k]
		if k+1 < b && isSetextUnderline(folded[k+1]) && !isSeparator(s) && !endsSentence(s) && utf8.RuneCountInString(s) <= 150 {
			flush(k)
			items = append(items,
				item{kind: itemHeading, start: k + 1, end: k + 1, text: s},
				item{kind: itemDrop, start: k + 2, end: k + 2, text: folded[k+1], reason: reasonSeparator})
			k++
			continue
		}
		it, ok := classifyLine(s)
		if !ok {
			if run < 0 {
				run = k
			}
			continue
		}
		flush(k)
		it.start, it.end = k+1, k+1
		items = append(items, it)
	}
	flush(b)
	return items
}

// classifyLine returns the item for a line that is not plain text: a
// Markdown heading, metadata or boilerplate.
func classifyLine(s string) (item, bool) {
	if h, ok := atxHeading(s); ok {
		return item{kind: itemHeading, text: h}, true
	}
	if u, ok := urlLine(s); ok {
		return item{kind: itemMeta, text: s, url: u}, true
	}
	if reason, boundary, ok := boilerplate(s); ok {
		return item{kind: itemDrop, text: s, reason: reason, boundary: boundary}, true
	}
	if a, ok := byline(s); ok {
		it := item{kind: itemMeta, text: s, author: a}
		if i, j, ok := findDate(s); ok {
			it.date = s[i:j]
		}
		return it, true
	}
	if d, ok := dateLine(s); ok {
		return item{kind: itemMeta, text: s, date: d}, true
	}
	return item{}, false
}

// appendRun turns the text lines [a, b) of a block into paragraphs.
// Short lines join into one paragraph (hard-wrapped text). When the block
// has long lines, each line that ends a sentence ends a paragraph (one
// paragraph per line, as many files are written), while a line broken
// mid-sentence joins the next. A list item always starts a paragraph, and
// a title-like first line followed by a capitalised line stands alone.
func appendRun(items []item, folded []string, a, b int) []item {
	perLine := false
	for k := a; k < b-1; k++ {
		if utf8.RuneCountInString(folded[k]) > 100 {
			perLine = true
		}
	}
	start := a
	for k := a + 1; k < b; k++ {
		prev := folded[k-1]
		inList := listItemRe.MatchString(folded[start]) // the paragraph so far is an item
		cut := startsList(prev, folded[k], inList) || (perLine && endsSentence(prev))
		if !cut && k-1 == start && headingShape(prev) {
			r, _ := utf8.DecodeRuneInString(strings.TrimLeft(folded[k], "\"'“‘«(["))
			cut = unicode.IsUpper(r)
		}
		if cut {
			items = append(items, paraItem(folded, start, k))
			start = k
		}
	}
	return append(items, paraItem(folded, start, b))
}

// startsList reports whether line s, after line prev of the same block,
// starts a list item. "2) is..." after "Ozone (O" is the rest of a
// sentence, not an item: an item follows another item (inList: prev's
// paragraph is one), a colon or a sentence end, or is a first item ("1.",
// "a)", "- ") after a line with no open parenthesis.
func startsList(prev, s string, inList bool) bool {
	m := listItemRe.FindString(s)
	if m == "" {
		return false
	}
	if inList || strings.HasSuffix(prev, ":") || endsSentence(prev) {
		return true
	}
	switch strings.TrimRightFunc(strings.Trim(m, "[]()"), func(r rune) bool { return unicode.IsSpace(r) || r == '.' || r == ')' || r == ']' }) {
	case "1", "a", "A", "i", "I", "-", "*", "+", "•":
		return strings.Count(prev, "(") <= strings.Count(prev, ")")
	}
	return false
}

func paraItem(folded []string, a, b int) item {
	text := strings.Join(folded[a:b], " ")
	return item{
		kind:     itemPara,
		start:    a + 1,
		end:      b,
		text:     text,
		boundary: isBio(text) || isCreditSentence(text),
	}
}

// mergeBroken joins a paragraph to the next one when a stray blank line
// broke a sentence: the first does not end a sentence (and is not a
// title-like line) and the second starts with a lower-case letter.
func mergeBroken(items []item) []item {
	out := items[:0]
	var texts []string // the texts of the paragraph being merged, when merging
	flush := func() {
		if len(texts) > 0 {
			last := &out[len(out)-1]
			last.text = strings.Join(texts, " ")
			last.boundary = isBio(last.text) || isCreditSentence(last.text)
			texts = texts[:0]
		}
	}
	for _, it := range items {
		if n := len(out); n > 0 && it.kind == itemPara && out[n-1].kind == itemPara {
			prev := &out[n-1]
			prevText := prev.text
			if len(texts) > 0 {
				prevText = texts[len(texts)-1]
			}
			last, _ := utf8.DecodeLastRuneInString(prevText)
			first, _ := utf8.DecodeRuneInString(it.text)
			if unicode.IsLower(first) && (unicode.IsLetter(last) || unicode.IsDigit(last) || last == ',') &&
				!(len(texts) == 0 && prev.start == prev.end && headingShape(prev.text)) {
				if len(texts) == 0 {
					texts = append(texts, prev.text)
				}
				texts = append(texts, it.text)
				prev.end = it.end
				continue
			}
		}
		flush()
		out = append(out, it)
	}
	flush()
	return out
}

// findTitle takes the title from the first title-like line before the first
// paragraph of body text and marks that item as the title.
func findTitle(items []item) string {
	for i := range items {
		it := &items[i]
		switch it.kind {
		case itemHeading:
			it.role = roleTitle
			return it.text
		case itemPara:
			if it.start == it.end && headingShape(it.text) {
				it.role = roleTitle
				return it.text
			}
			if passageShape(it.text) {
				return ""
			}
		}
	}
	return ""
}

// findHeadings gives each text item its role: a title-like line followed by
// body text is a heading; other paragraphs are passages when worth quoting
// and fragments when not.
func findHeadings(items []item) {
	for i := range items {
		it := &items[i]
		if it.role == roleTitle {
			continue
		}
		if it.kind == itemHeading {
			it.role = roleHeading
			continue
		}
		if it.kind != itemPara {
			continue
		}
		if it.start == it.end && headingShape(it.text) && nextIsBody(items, i) {
			it.role = roleHeading
			continue
		}
		if passageShape(it.text) {
			it.role = rolePassage
		} else {
			it.role = roleFragment
		}
	}
	for i := range items {
		if items[i].role == roleHeading && items[i].kind == itemPara {
			items[i].kind = itemHeading
		}
	}
}

// nextIsBody reports whether the first text item after items[i], past any
// boilerplate and metadata, is body text.
func nextIsBody(items []item, i int) bool {
	for _, it := range items[i+1:] {
		switch it.kind {
		case itemDrop, itemMeta:
			continue
		case itemHeading:
			return false
		}
		return passageShape(it.text) && !(it.start == it.end && headingShape(it.text))
	}
	return false
}

// assignSections sets each passage's section and returns the sections
// (index 0 is "no section") with the document's own date, link and author.
//
// A passage belongs to the heading above it, with one exception for pages
// that hold several posts: when a post ends (a share bar, a comment form,
// an author bio or an image credit) and one or two paragraphs come before
// the next heading, those paragraphs introduce the next post, so they take
// its heading.
//
// A date or link written just under a heading, before its first
// paragraph, belongs to that section; one written elsewhere belongs to the
// document.
func assignSections(items []item) (sections []section, date, url, author string) {
	sections = []section{{}}
	cur, inHeader := 0, true
	top := 0 // the section of the last heading that is not a sub-section
	for i := range items {
		it := &items[i]
		switch {
		case it.kind == itemHeading && it.role == roleHeading:
			sec := section{name: it.text}
			if backMatter[strings.ToLower(strings.TrimRight(it.text, ":"))] && top > 0 {
				// Notes of a post: cite the post too, with its date and link.
				sec = sections[top]
				sec.name += " › " + it.text
				it.subSection = true
			}
			sections = append(sections, sec)
			cur, inHeader = len(sections)-1, true
			if !it.subSection {
				top = cur
			}
			it.section = cur
		case it.kind == itemMeta:
			if cur > 0 && inHeader {
				s := &sections[cur]
				if s.date == "" {
					s.date = it.date
				}
				if s.url == "" {
					s.url = it.url
				}
				continue
			}
			if date == "" {
				date = it.date
			}
			if url == "" {
				url = it.url
			}
			if author == "" && cur == 0 {
				author = it.author
			}
		case it.kind == itemPara && it.role == rolePassage:
			it.section = cur
			inHeader = false
		}
	}

	// Lead-in paragraphs of a post take its heading.
	for h := range items {
		if items[h].role != roleHeading || items[h].subSection {
			continue
		}
		var lead []int
		marker := false
	back:
		for k := h - 1; k >= 0; k-- {
			it := items[k]
			switch {
			case it.boundary:
				marker = true
				break back
			case it.role == roleHeading || it.role == roleTitle:
				break back
			case it.kind == itemPara && it.role == rolePassage:
				lead = append(lead, k)
			}
		}
		if marker && len(lead) >= 1 && len(lead) <= 2 {
			for _, k := range lead {
				items[k].section = items[h].section
			}
		}
	}
	return sections, date, url, author
}

// appendParts appends the passage for paragraph it, split into parts when
// it is longer than maxPassage runes.
func appendParts(out []Passage, base Passage, it item, folded []string, maxPassage int) []Passage {
	// Where each source line's text sits in the paragraph text.
	type span struct{ line, start, end int }
	var spans []span
	off := 0
	for ln := it.start; ln <= it.end; ln++ {
		s := folded[ln-1]
		if s == "" {
			continue
		}
		if off > 0 {
			off++ // the joining space
		}
		spans = append(spans, span{ln, off, off + len(s)})
		off += len(s)
	}
	lineAt := func(b int) int { // the line holding byte b of the text
		i := sort.Search(len(spans), func(i int) bool { return b < spans[i].end })
		if i == len(spans) {
			return it.end
		}
		return spans[i].line
	}
	parts := splitText(it.text, maxPassage)
	for i, pr := range parts {
		p := base
		p.Text = it.text[pr[0]:pr[1]]
		p.StartLine = lineAt(pr[0])
		p.EndLine = lineAt(pr[1] - 1)
		if len(parts) > 1 {
			p.Part = i + 1
		}
		out = append(out, p)
	}
	return out
}
