package bot

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/bwmarrin/discordgo"

	"github.com/citebot/citebot/corpus"
	"github.com/citebot/citebot/retrieval"
)

// /ask result counts.
const (
	defaultResults = 3
	maxResults     = 5
)

// sourcesPerPage is the number of documents on one /sources page.
const sourcesPerPage = 10

// embedColor is the accent colour of the bot's embeds.
const embedColor = 0x3b82f6

// reply is one message the bot sends: the body of an interaction
// response, of an edit of one, or of a channel message. Rendering produces
// it; sending is a separate step.
type reply struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
	// Ephemeral makes an interaction reply visible only to its user.
	Ephemeral bool
	// Notice marks a short message (refusal, error, rate limit) that goes
	// to the user as a new message, ephemeral for interactions, even where
	// the interaction would otherwise update the message it came from.
	Notice bool
}

// noMentions is the allowed_mentions of every message the bot sends: an
// explicit empty parse list, so nothing in a reply can ping (a nil Parse
// would marshal as null, which Discord reads as "the defaults").
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// notice is a short plain reply for the user.
func notice(text string) reply {
	return reply{Content: text, Ephemeral: true, Notice: true}
}

// Plain notices. They never include internal details; those go to the log.
var (
	msgSearchFailed = notice("Sorry, I couldn't search the documents just now. Please try again in a moment.")
	msgFailed       = notice("Sorry, something went wrong. Please try again in a moment.")
	msgRestarting   = notice("I'm restarting right now. Please ask again in a minute.")
	msgRateLimited  = notice("You're asking faster than I can keep up with. Please wait a little before the next question.")
	msgExpired      = notice("This button has expired. Please ask again with /ask.")
	msgNoQuestion   = notice("Please ask a question, for example: How many Britons travelled to Syria and Iraq?")
	msgNoContext    = notice("That passage is no longer in the index. Please ask again with /ask.")
	msgRefused      = notice("Only server managers and the bot's admins can re-index the documents.")
	msgBusy         = notice("A re-index is already running. Please wait for it to finish.")
)

// askView is what a page of /ask results shows besides the hits.
type askView struct {
	// Question is the question as the user asked it.
	Question string
	// Offset is the number of results before this page; Limit the page size.
	Offset, Limit int
	// Ref is the reference part of the page buttons' custom IDs
	// ([inlineAskRef] or "#" and a [refCache] ID); "" means no page buttons.
	Ref string
	// SourceTitle is the title of the document the search was limited to,
	// "" for all documents.
	SourceTitle string
}

// renderAnswer turns one page of search results into a reply: a header
// line, one embed per hit (quote with the best sentence in bold, citation,
// link), Show context buttons and page buttons. The result always fits
// Discord's limits.
func renderAnswer(v askView, res retrieval.Result) reply {
	q := escapeClip(oneLine(v.Question), 300)
	in := ""
	if v.SourceTitle != "" {
		in = " in *" + escapeClip(v.SourceTitle, 200) + "*"
	}
	var head strings.Builder
	switch {
	case len(res.Hits) == 0 && v.Offset > 0 && !res.NoneRelevant:
		fmt.Fprintf(&head, "No more results for “%s”%s.", q, in)
	case len(res.Hits) == 0:
		fmt.Fprintf(&head, "I found nothing in the documents that answers “%s”%s.", q, in)
		if res.Corrected != "" && res.Corrected != res.Query {
			fmt.Fprintf(&head, " Did you mean “%s”?", escapeClip(oneLine(res.Corrected), 300))
		}
		head.WriteString(" Try other words, or see /sources for what the documents cover.")
	default:
		first := v.Offset + 1
		last := v.Offset + len(res.Hits)
		total := max(res.Total, last)
		if first == last {
			fmt.Fprintf(&head, "**Result %d of %d** for “%s”%s", first, total, q, in)
		} else {
			fmt.Fprintf(&head, "**Results %d–%d of %d** for “%s”%s", first, last, total, q, in)
		}
		if res.Corrected != "" && res.Corrected != res.Query {
			fmt.Fprintf(&head, "\nShowing results for “%s”.", escapeClip(oneLine(res.Corrected), 300))
		}
	}
	if res.Truncated {
		fmt.Fprintf(&head, "\nYour question was cut to %d characters.", textLen(res.Query))
	}
	r := reply{Content: clip(head.String(), maxContent)}

	hits := res.Hits
	if len(hits) > maxEmbeds {
		hits = hits[:maxEmbeds]
	}
	// Titles and footers first, then share what is left of the 6000
	// characters among the quotes.
	used := 0
	for i, h := range hits {
		e := &discordgo.MessageEmbed{
			Title: strconv.Itoa(v.Offset+i+1) + ". " + escapeClip(oneLine(h.Passage.Title), 150),
			URL:   linkURL(h.Passage.URL),
			Color: embedColor,
		}
		if f := citationFooter(h.Passage); f != "" {
			e.Footer = &discordgo.MessageEmbedFooter{Text: f}
		}
		used += embedLen(e)
		r.Embeds = append(r.Embeds, e)
	}
	needs := make([]int, len(hits))
	for i, h := range hits {
		needs[i] = textLen(quote(h.Passage.Text, h.BestSentence, maxEmbedDesc))
	}
	shares := waterFill(needs, maxEmbedsTotal-used, maxEmbedDesc)
	for i, h := range hits {
		r.Embeds[i].Description = quote(h.Passage.Text, h.BestSentence, shares[i])
	}

	var ctxRow, pageRow []discordgo.MessageComponent
	for i, h := range hits {
		if i == 5 { // one action row holds 5 buttons
			break
		}
		ctxRow = append(ctxRow, discordgo.Button{
			Label:    "Context #" + strconv.Itoa(v.Offset+i+1),
			Style:    discordgo.SecondaryButton,
			CustomID: contextID(h.Passage.Source, h.Passage.Seq),
		})
	}
	if v.Ref != "" {
		if id := askID(max(0, v.Offset-v.Limit), v.Limit, v.Ref); v.Offset > 0 && textLen(id) <= maxCustomID {
			pageRow = append(pageRow, discordgo.Button{Label: "Previous", Style: discordgo.SecondaryButton, CustomID: id})
		}
		next := v.Offset + len(res.Hits)
		if id := askID(next, v.Limit, v.Ref); len(res.Hits) > 0 && next < res.Total && textLen(id) <= maxCustomID {
			pageRow = append(pageRow, discordgo.Button{Label: "More results", Style: discordgo.PrimaryButton, CustomID: id})
		}
	}
	for _, row := range [][]discordgo.MessageComponent{ctxRow, pageRow} {
		if len(row) > 0 {
			r.Components = append(r.Components, discordgo.ActionsRow{Components: row})
		}
	}
	return r
}

// renderContext shows a passage between its neighbours (nil when the
// passage is first or last in its document).
func renderContext(p corpus.Passage, prev, next *corpus.Passage) reply {
	// The quoted passage first, up to half the room; its neighbours
	// share the rest.
	const room = maxEmbedDesc - 300 // labels and line breaks aside
	need := func(c *corpus.Passage) int {
		if c == nil {
			return 0
		}
		return textLen(quote(c.Text, "", maxEmbedDesc))
	}
	own := min(need(&p), room/2)
	shares := waterFill([]int{need(prev), need(next)}, room-own, room)
	var b strings.Builder
	if prev != nil {
		b.WriteString("*" + paragraphLabel(*prev) + "*\n" + quote(prev.Text, "", shares[0]) + "\n\n")
	} else {
		b.WriteString("*(start of the document)*\n\n")
	}
	b.WriteString("**" + paragraphLabel(p) + " (the quoted passage)**\n" + quote(p.Text, "", own))
	if next != nil {
		b.WriteString("\n\n*" + paragraphLabel(*next) + "*\n" + quote(next.Text, "", shares[1]))
	} else {
		b.WriteString("\n\n*(end of the document)*")
	}
	e := &discordgo.MessageEmbed{
		Title:       escapeClip("Context: "+oneLine(p.Title), maxEmbedTitle),
		URL:         linkURL(p.URL),
		Description: b.String(),
		Color:       embedColor,
	}
	if f := citationFooter(p); f != "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: f}
	}
	return reply{Embeds: []*discordgo.MessageEmbed{e}, Ephemeral: true}
}

// renderSources shows one page of the document list, with page buttons
// when there is more than one page. page is clamped to the valid range.
func renderSources(docs []retrieval.DocInfo, page int) reply {
	if len(docs) == 0 {
		return reply{Content: "The index holds no documents yet."}
	}
	pages := (len(docs) + sourcesPerPage - 1) / sourcesPerPage
	page = min(max(page, 0), pages-1)
	passages := 0
	for _, d := range docs {
		passages += d.Passages
	}
	var b strings.Builder
	from := page * sourcesPerPage
	for i, d := range docs[from:min(from+sourcesPerPage, len(docs))] {
		title := escapeClip(oneLine(d.Title), 80)
		if u := linkURL(d.URL); u != "" && len(u) <= 250 {
			title = "[" + title + "](" + maskedLinkURL(u) + ")"
		} else {
			title = "**" + title + "**"
		}
		fmt.Fprintf(&b, "%d. %s — %s", from+i+1, title, plural(d.Passages, "passage"))
		if d.Date != "" {
			b.WriteString(" · " + escapeClip(oneLine(d.Date), 40))
		}
		b.WriteString("\n")
	}
	e := &discordgo.MessageEmbed{
		Title:       fmt.Sprintf("Sources: %s, %s", plural(len(docs), "document"), plural(passages, "passage")),
		Description: strings.TrimSuffix(b.String(), "\n"),
		Color:       embedColor,
	}
	r := reply{Embeds: []*discordgo.MessageEmbed{e}}
	if pages > 1 {
		e.Footer = &discordgo.MessageEmbedFooter{Text: fmt.Sprintf("Page %d of %d", page+1, pages)}
		r.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			// Disabled buttons still need valid, distinct custom IDs.
			discordgo.Button{Label: "Previous", Style: discordgo.SecondaryButton, CustomID: sourcesID(max(page-1, 0)), Disabled: page == 0},
			discordgo.Button{Label: "Next", Style: discordgo.SecondaryButton, CustomID: sourcesID(min(page+1, pages-1)), Disabled: page == pages-1},
		}}}
	}
	return r
}

// helpText is the /help reply.
const helpText = `**citebot** answers questions by quoting the documents it was given: the passages that best answer you, the best sentence in bold, each with its citation (document, section, paragraph, date and link). It never writes an answer of its own.

**How to ask**
• ` + "`/ask question:`" + ` your question, e.g. *How many Britons travelled to Syria and Iraq?*
  Options: ` + "`source`" + ` limits the search to one document, ` + "`results`" + ` shows 1 to 5 passages, ` + "`private`" + ` shows the answer only to you.
• Send me a direct message, or mention me in a channel followed by your question.
• **More results** shows the next passages; **Context** shows the paragraphs around a passage.

**Other commands**
• ` + "`/sources`" + ` lists the documents I can quote.
• ` + "`/reindex`" + ` reloads the documents (server managers and admins only).

Plain words work best; if nothing in the documents answers, I say so instead of guessing.`

func renderHelp() reply {
	return reply{Content: helpText, Ephemeral: true}
}

// renderReindex reports a finished rebuild.
func renderReindex(ch retrieval.Change) reply {
	var b strings.Builder
	fmt.Fprintf(&b, "**Re-index finished** in %s.\n", formatDuration(ch.Took))
	fmt.Fprintf(&b, "Documents: %d (%d added, %d removed, %d changed)\n",
		ch.Documents, len(ch.DocsAdded), len(ch.DocsRemoved), len(ch.DocsChanged))
	fmt.Fprintf(&b, "Passages: %d (%d added, %d removed)\n", ch.Passages, ch.PassagesAdded, ch.PassagesRemoved)
	for _, l := range []struct {
		name  string
		paths []string
	}{{"Added", ch.DocsAdded}, {"Removed", ch.DocsRemoved}, {"Changed", ch.DocsChanged}} {
		if len(l.paths) > 0 {
			b.WriteString(l.name + ": " + pathList(l.paths, 8) + "\n")
		}
	}
	for _, l := range []struct {
		name  string
		files []corpus.Skipped
	}{{"Skipped", ch.Skipped}, {"Repaired", ch.Warnings}} {
		n := len(l.files)
		if n == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s %s:\n", l.name, plural(n, "file"))
		for i, s := range l.files {
			if i == 10 {
				fmt.Fprintf(&b, "…and %d more (see the log)\n", n-i)
				break
			}
			fmt.Fprintf(&b, "• `%s`: %s\n", codeSafe(clip(s.Path, 120)), escapeClip(oneLine(s.Reason), 200))
		}
	}
	return reply{Content: clip(strings.TrimSuffix(b.String(), "\n"), maxContent), Ephemeral: true}
}

// renderReindexFailed reports a failed rebuild; the admin sees the error.
func renderReindexFailed(err error) reply {
	if errors.Is(err, retrieval.ErrBuildRunning) {
		return msgBusy
	}
	return reply{
		Content:   "**Re-index failed**; the previous index keeps answering questions.\nError: " + escapeClip(oneLine(err.Error()), 1500),
		Ephemeral: true,
	}
}

// RenderText renders a search result as Markdown text for the terminal
// (what `citebot ask` prints): a header line, then each hit as a quote
// with its best sentence in bold, followed by its citation (title,
// section, paragraph, date, URL). Quoted text is Markdown-escaped, so the
// text renders verbatim. It is never trimmed.
func RenderText(question string, res retrieval.Result) string {
	var b strings.Builder
	q := escapeMarkdown(oneLine(question))
	if len(res.Hits) == 0 {
		fmt.Fprintf(&b, "Nothing in the documents answers “%s”.\n", q)
		if res.Corrected != "" && res.Corrected != res.Query {
			fmt.Fprintf(&b, "Did you mean “%s”?\n", escapeMarkdown(oneLine(res.Corrected)))
		}
		return b.String()
	}
	fmt.Fprintf(&b, "%s for “%s”\n", plural(len(res.Hits), "result"), q)
	if res.Corrected != "" && res.Corrected != res.Query {
		fmt.Fprintf(&b, "Showing results for “%s”.\n", escapeMarkdown(oneLine(res.Corrected)))
	}
	if res.Truncated {
		fmt.Fprintf(&b, "The question was cut to %d characters.\n", textLen(res.Query))
	}
	for i, h := range res.Hits {
		p := h.Passage
		fmt.Fprintf(&b, "\n%d. > %s\n", i+1, quote(p.Text, h.BestSentence, 1<<30))
		cite := []string{"*" + escapeMarkdown(oneLine(p.Title)) + "*"}
		if s := sectionOf(p); s != "" {
			cite = append(cite, "section “"+escapeMarkdown(s)+"”")
		}
		cite = append(cite, strings.ToLower(paragraphLabel(p)))
		if p.Date != "" {
			cite = append(cite, escapeMarkdown(oneLine(p.Date)))
		}
		if p.URL != "" {
			cite = append(cite, oneLine(p.URL))
		}
		b.WriteString("   — " + strings.Join(cite, ", ") + "\n")
	}
	return b.String()
}

// citationFooter is an embed footer (plain text, no Markdown): section,
// paragraph and date; the title and link are the embed's title.
func citationFooter(p corpus.Passage) string {
	parts := []string{}
	if s := sectionOf(p); s != "" {
		parts = append(parts, clip(s, 120))
	}
	parts = append(parts, paragraphLabel(p))
	if p.Date != "" {
		parts = append(parts, clip(oneLine(p.Date), 60))
	}
	if p.URL != "" && linkURL(p.URL) == "" { // not linkable: show it as text
		parts = append(parts, clip(oneLine(p.URL), 200))
	}
	return neutraliseMentions(strings.Join(parts, " · "))
}

func sectionOf(p corpus.Passage) string {
	s := oneLine(p.Section)
	if s == oneLine(p.Title) {
		return ""
	}
	return s
}

func paragraphLabel(p corpus.Passage) string {
	s := "Paragraph " + strconv.Itoa(p.Paragraph)
	if p.Part > 0 {
		s += ", part " + strconv.Itoa(p.Part)
	}
	return s
}

// linkURL returns u when Discord accepts it as an embed or masked link
// (absolute http or https), else "".
func linkURL(u string) string {
	u = strings.TrimSpace(u)
	if u == "" || len(u) > maxURL {
		return ""
	}
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return ""
	}
	return pu.String()
}

// maskedLinkURL makes u safe inside a Markdown link's parentheses.
func maskedLinkURL(u string) string {
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(u)
}

// escapeClip escapes s for Markdown and keeps the result within limit
// characters, clipping the plain text first so no escape is cut in half.
func escapeClip(s string, limit int) string {
	if e := escapeMarkdown(s); textLen(e) <= limit {
		return e
	}
	lo, hi := 0, limit // the longest plain clip whose escaped form fits
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if textLen(escapeMarkdown(clip(s, mid))) <= limit {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		return ""
	}
	return escapeMarkdown(clip(s, lo))
}

// oneLine folds all whitespace runs, line breaks included, to one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// blank reports whether s has nothing to read: only white space and
// invisible format characters (zero-width spaces, direction marks, byte
// order marks). Such a question gets the notice asking for one.
func blank(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) }) < 0
}

// codeSafe makes s safe inside a `code span`.
func codeSafe(s string) string {
	return strings.ReplaceAll(oneLine(s), "`", "'")
}

func pathList(paths []string, n int) string {
	var out []string
	for i, p := range paths {
		if i == n {
			out = append(out, fmt.Sprintf("and %d more", len(paths)-n))
			break
		}
		out = append(out, "`"+codeSafe(clip(p, 120))+"`")
	}
	return strings.Join(out, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	default:
		return d.Round(time.Second).String()
	}
}

// embedLen counts an embed's characters the way Discord's 6000 limit does.
func embedLen(e *discordgo.MessageEmbed) int {
	n := textLen(e.Title) + textLen(e.Description)
	if e.Footer != nil {
		n += textLen(e.Footer.Text)
	}
	if e.Author != nil {
		n += textLen(e.Author.Name)
	}
	for _, f := range e.Fields {
		n += textLen(f.Name) + textLen(f.Value)
	}
	return n
}

// waterFill shares total among needs: each gets what it needs up to cap,
// and what small ones leave over goes to the large ones.
func waterFill(needs []int, total, cap int) []int {
	out := make([]int, len(needs))
	order := make([]int, len(needs))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return needs[order[a]] < needs[order[b]] })
	left := max(total, 0)
	for k, i := range order {
		share := left / (len(order) - k)
		out[i] = min(needs[i], share, cap)
		left -= out[i]
	}
	return out
}
