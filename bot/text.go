package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Discord's message limits. Lengths count UTF-16 code units (see
// [textLen]), which is never less than what Discord counts.
const (
	maxContent     = 2000
	maxEmbedTitle  = 256
	maxEmbedDesc   = 4096
	maxFieldName   = 256
	maxFieldValue  = 1024
	maxFields      = 25
	maxFooter      = 2048
	maxEmbedsTotal = 6000
	maxEmbeds      = 10
	maxCustomID    = 100
	maxButtonLabel = 80
	maxChoiceName  = 100
	maxChoiceValue = 100
	maxChoices     = 25
	maxURL         = 2048
)

const ellipsis = "…"

// textLen is the length of s as Discord's limits count it. It counts
// UTF-16 code units, so a character outside the Basic Multilingual Plane
// counts twice; that is never less than Discord's own count.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// cutRunes returns the longest prefix of s with textLen at most max.
func cutRunes(s string, max int) string {
	n := 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if n+w > max {
			return s[:i]
		}
		n += w
	}
	return s
}

// clip shortens plain text (no Markdown) to max, cutting at a word
// boundary when one is near and adding an ellipsis.
func clip(s string, max int) string {
	if textLen(s) <= max {
		return s
	}
	if max <= 1 {
		return cutRunes(ellipsis, max)
	}
	cut := cutRunes(s, max-1)
	if i := strings.LastIndexFunc(cut, unicode.IsSpace); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRightFunc(cut, unicode.IsSpace) + ellipsis
}

// escapeMarkdown makes s render verbatim in Discord: Markdown characters
// are backslash-escaped, "<" is escaped so <@id>, <@&id>, <#id> and <t:…>
// stay text, and @everyone / @here get a zero-width space after the "@"
// so they can never ping (allowed_mentions is the second guard). URLs are
// left alone so they stay clickable.
func escapeMarkdown(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	lineStart := true
	for i := 0; i < len(s); {
		if hasURLPrefix(s[i:]) && (i == 0 || !isWordByte(s[i-1])) {
			j := i
			for j < len(s) && !isSpaceByte(s[j]) && s[j] != '<' {
				j++
			}
			b.WriteString(neutraliseMentions(s[i:j]))
			i = j
			lineStart = false
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\' || r == '*' || r == '_' || r == '~' || r == '`' || r == '|' ||
			r == '[' || r == ']' || r == '<':
			b.WriteByte('\\')
			b.WriteRune(r)
		case (r == '>' || r == '#') && lineStart,
			(r == '-' || r == '+') && lineStart && i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '#'):
			// quote, heading, list item or "-# " subtext
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= '0' && r <= '9' && lineStart:
			// "1. item" at the start of a line is an ordered list.
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			b.WriteString(s[i:j])
			if j+1 < len(s) && s[j] == '.' && s[j+1] == ' ' {
				b.WriteString(`\.`)
				j++
			}
			i = j
			lineStart = false
			continue
		case r == '@' && isPingWord(s[i+1:]):
			b.WriteString("@\u200b")
		default:
			b.WriteRune(r)
		}
		i += size
		if r == '\n' {
			lineStart = true
		} else if r != ' ' && r != '\t' {
			lineStart = false
		}
	}
	return b.String()
}

func hasURLPrefix(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// isPingWord reports whether s, the text after an "@", makes a mass
// mention.
func isPingWord(s string) bool {
	return strings.HasPrefix(s, "everyone") || strings.HasPrefix(s, "here")
}

// neutraliseMentions is for text that Discord does not parse as Markdown
// (footers, author names, button labels, choice names): it cannot render
// a mention there, but a zero-width space keeps copy-pasted text harmless.
func neutraliseMentions(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '@' && isPingWord(s[i+1:]) {
			b.WriteString("\u200b")
		}
	}
	return b.String()
}

// splitSentences cuts text into sentences. The pieces concatenate back to
// text exactly; each keeps its trailing spaces.
func splitSentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if r != '.' && r != '!' && r != '?' && r != '…' {
			continue
		}
		// Closing quotes and brackets belong to the sentence.
		for i < len(text) {
			c, sz := utf8.DecodeRuneInString(text[i:])
			if c != '"' && c != '\'' && c != '”' && c != '’' && c != ')' && c != ']' && c != '»' {
				break
			}
			i += sz
		}
		if i >= len(text) || !isSpaceByte(text[i]) {
			continue
		}
		for i < len(text) && isSpaceByte(text[i]) {
			i++
		}
		out = append(out, text[start:i])
		start = i
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// quote renders passage text for a Discord message: Markdown escaped, the
// best sentence (a substring of text; "" for none) in bold, within limit
// characters. When the text is too long it keeps the best sentence and as
// many whole sentences around it as fit, marking each cut with an
// ellipsis; only a single sentence longer than limit is cut inside, at a
// word boundary.
func quote(text, best string, limit int) string {
	text = strings.TrimSpace(text)
	best = strings.TrimSpace(best)
	bStart, bEnd := -1, -1
	if best != "" {
		if i := strings.Index(text, best); i >= 0 {
			bStart, bEnd = i, i+len(best)
		}
	}
	render := func(from, to int) string {
		var b strings.Builder
		if from > 0 {
			b.WriteString(ellipsis + " ")
		}
		if bStart >= 0 && bStart < to && bEnd > from {
			s, e := max(bStart, from), min(bEnd, to)
			b.WriteString(escapeMarkdown(text[from:s]))
			b.WriteString(bold(strings.TrimSpace(text[s:e])))
			if e < to && isSpaceByte(text[e-1]) {
				b.WriteByte(' ')
			}
			b.WriteString(escapeMarkdown(strings.TrimRightFunc(text[e:to], unicode.IsSpace)))
		} else {
			b.WriteString(escapeMarkdown(strings.TrimRightFunc(text[from:to], unicode.IsSpace)))
		}
		if to < len(text) {
			b.WriteString(" " + ellipsis)
		}
		return b.String()
	}
	if out := render(0, len(text)); textLen(out) <= limit {
		return out
	}

	// Sentence boundaries as byte offsets: bounds[k] is where sentence k starts.
	sents := splitSentences(text)
	bounds := make([]int, len(sents)+1)
	for k, s := range sents {
		bounds[k+1] = bounds[k] + len(s)
	}
	// The window [lo, hi) of sentences starts at the best sentence(s).
	lo, hi := 0, 1
	if bStart >= 0 {
		for lo+1 < len(sents) && bounds[lo+1] <= bStart {
			lo++
		}
		hi = lo + 1
		for hi < len(sents) && bounds[hi] < bEnd {
			hi++
		}
	}
	if textLen(render(bounds[lo], bounds[hi])) > limit {
		return cutInside(text[bounds[lo]:bounds[hi]], bStart >= 0, lo > 0, limit)
	}
	// Grow the window one sentence at a time, after then before. Sizes
	// are estimated from each sentence's escaped length (escaping is
	// nearly additive), then the result is checked and shrunk if needed.
	cost := make([]int, len(sents))
	for k, sn := range sents {
		cost[k] = textLen(escapeMarkdown(sn))
	}
	bLo, bHi := lo, hi
	size := textLen(render(bounds[lo], bounds[hi]))
	for grew := true; grew; {
		grew = false
		if hi < len(sents) && size+cost[hi] <= limit {
			size += cost[hi]
			hi++
			grew = true
		}
		if lo > 0 && size+cost[lo-1] <= limit {
			size += cost[lo-1]
			lo--
			grew = true
		}
	}
	for {
		out := render(bounds[lo], bounds[hi])
		if textLen(out) <= limit {
			return out
		}
		switch { // drop the sentence farthest from the best one
		case hi > bHi && hi-bHi >= bLo-lo:
			hi--
		case lo < bLo:
			lo++
		default:
			return cutInside(text[bounds[lo]:bounds[hi]], bStart >= 0, lo > 0, limit)
		}
	}
}

// bold escapes s and makes it bold. A URL at its end stays outside the
// bold: Discord's link detection would run on into the closing "**".
func bold(s string) string {
	tail := ""
	if k := strings.LastIndexAny(s, " \t"); hasURLPrefix(s[k+1:]) {
		s, tail = strings.TrimSpace(s[:max(k, 0)]), s[max(k, 0):]
	}
	if s == "" {
		return escapeMarkdown(strings.TrimSpace(tail))
	}
	return "**" + escapeMarkdown(s) + "**" + escapeMarkdown(tail)
}

// cutInside shortens one over-long sentence at a word boundary.
func cutInside(s string, strong, lead bool, max int) string {
	prefix, suffix := "", " "+ellipsis
	if lead {
		prefix = ellipsis + " "
	}
	wrap := func(t string) string {
		if t = strings.TrimSpace(t); strong {
			t = bold(t)
		} else {
			t = escapeMarkdown(t)
		}
		return prefix + t + suffix
	}
	words := strings.Fields(s)
	lo, hi := 0, len(words) // binary search the longest word prefix that fits
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if textLen(wrap(strings.Join(words[:mid], " "))) <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo > 0 {
		return wrap(strings.Join(words[:lo], " "))
	}
	// Not even one word fits: cut the first word by characters. Escaping
	// only adds characters, so cut the escaped form and drop a dangling
	// backslash.
	room := max - textLen(prefix) - textLen(suffix)
	if room <= 0 {
		return cutRunes(ellipsis, max)
	}
	cut := cutRunes(escapeMarkdown(words[0]), room)
	if n := len(cut) - len(strings.TrimRight(cut, `\`)); n%2 == 1 {
		cut = cut[:len(cut)-1] // a backslash cut from what it escaped
	}
	return prefix + cut + suffix
}
