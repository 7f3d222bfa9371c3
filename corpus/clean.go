package corpus

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the line classifiers: boilerplate (dropped), metadata
// (date, URL, byline), and the shape tests for headings and body text.
// Every rule is a general pattern of web-page furniture, never a sentence
// of a particular document.

// Reasons recorded in [Dropped.Reason].
const (
	reasonCaption   = "photo caption or credit"
	reasonImageFile = "image file name"
	reasonComment   = "comment form"
	reasonShare     = "share or advertisement line"
	reasonLabel     = "empty label"
	reasonArchive   = "archive header"
	reasonCallout   = "call to action"
	reasonSeparator = "separator"
	reasonFragment  = "short fragment"

	// Lines used for the citation rather than quoted.
	reasonTitle       = "title"
	reasonHeading     = "heading"
	reasonDate        = "date"
	reasonLink        = "link"
	reasonByline      = "byline"
	reasonFrontMatter = "front matter"
)

// A boilerplate rule: lines of at most max runes matching re (after white
// space is folded) are dropped with reason. When hints is set, re runs only
// on lines whose lower-case text holds one of them (a cheap filter for the
// unanchored patterns). A line dropped by a boundary rule is page furniture
// that sits between posts (a comment form, a share bar), so it also marks
// the end of a post; see [assignSections].
type boilerRule struct {
	re       *regexp.Regexp
	max      int
	hints    []string
	reason   string
	boundary bool
}

var boilerRules = []boilerRule{
	// Comment forms and blog footers (Blogger, WordPress), in a few languages.
	{re: regexp.MustCompile(`(?i)^(?:(?:no|\d+) comments?:?|post a comment|leave a (?:reply|comment)|leave a reply to \S.*|cancel reply|comments are closed\.?|add comment|post comment|submit comment|(?:deja|dejar) (?:una respuesta|un comentario)|laisser un commentaire|lascia un commento|deixe (?:uma resposta|um comentário)|hinterlasse einen kommentar|publicar comentario)$`),
		max: 80, reason: reasonComment, boundary: true},
	{re: regexp.MustCompile(`(?i)e-?mail address will not be published|required fields are marked|^you must be logged in to post a comment|correo electrónico no será publicad|campos obligatorios están marcados|adresse (?:e-?mail|de messagerie) ne sera pas publiée|indirizzo email non sarà pubblicato|e-mail-adresse wird nicht veröffentlicht|endereço de e-?mail não será publicado`),
		max: 250, hints: []string{"publi", "required", "logged in", "veröffentlicht", "obligatori"}, reason: reasonComment, boundary: true},
	{re: regexp.MustCompile(`(?i)^(?:notify me of (?:follow-up comments|new posts|new comments)|save my name, email)`),
		max: 250, reason: reasonComment, boundary: true},
	{re: regexp.MustCompile(`(?i)^(?:(?:newer|older) posts?(?: (?:newer|older) posts?)?(?: home)?|subscribe to: post comments \(atom\)|post comments \(atom\))$`),
		max: 80, reason: reasonComment, boundary: true},
	{re: regexp.MustCompile(`(?i)^(?:posted|published) by \S.* at \d{1,2}:\d{2}`),
		max: 120, reason: reasonComment, boundary: true},
	// Advertising and share bars.
	{re: regexp.MustCompile(`(?i)^(?:\(?(?:advertisements?|advertising|sponsored(?: content)?|ad)\)?|share|share this(?: post| article| story)?(?: on| via| with)?|like this|click to share on .*|like loading\.\.\.|loading\.\.\.|related(?: posts| articles| stories)?):?$`),
		max: 80, reason: reasonShare, boundary: true},
	// Archive headers of blog pages ("Posts Tagged 'X'", "Category Archives: X").
	{re: regexp.MustCompile(`(?i)^(?:(?:posts|articles|entries|stories) (?:tagged|filed under|about|in category|labell?ed)\b|(?:tag|category|author|monthly|yearly|daily|date) archives?\b|archives? for\b|browsing (?:tag|category|author)\b|showing posts with label\b|all posts (?:tagged|by|in)\b)`),
		max: 80, reason: reasonArchive, boundary: true},
	// Calls to action at the end of a post.
	{re: regexp.MustCompile(`(?i)^(?:please )?(?:stay up to date|keep up to date|stay tuned|subscribe|sign up|follow us|follow me|like us|join us|don't forget to|do not forget to|click here|continue reading|read more)\b.*\b(?:blog|newsletter|updates|news|page|site|website|channel|feed|facebook|twitter|instagram|subscribe|follow|here|reading)\b`),
		max: 200, reason: reasonCallout, boundary: true},
	{re: regexp.MustCompile(`(?i)^please (?:share|like|follow|subscribe|visit|check out|support|consider)\b.*\b(?:blog|newsletter|updates|page|site|website|channel|feed|facebook|twitter|instagram)\b`),
		max: 200, reason: reasonCallout, boundary: true},
	{re: regexp.MustCompile(`(?i)^(?:continue reading|read more)(?: »| →| ›|\.\.\.|…)?$`),
		max: 40, reason: reasonCallout, boundary: true},
}

// labelWords are names of source, credit and filing fields; a line holding
// only such labels and a colon ("Source:", "Kaynak/Source:", "Tags:") is
// an empty field left over from a page template.
var labelWords = map[string]bool{
	"source": true, "sources": true, "kaynak": true, "fuente": true, "fuentes": true,
	"quelle": true, "fonte": true, "bron": true, "via": true, "tags": true, "tag": true,
	"labels": true, "label": true, "categories": true, "category": true, "filed under": true,
	"credit": true, "credits": true, "photo": true, "photos": true, "image": true,
	"images": true, "picture": true, "caption": true, "video": true, "share": true,
	"posted in": true, "etiquetas": true, "categorías": true, "schlagwörter": true,
}

// Caption rules. A block (lines between blank lines) that holds an empty
// picture label ("Image:") or a credit is a photo caption, and all of it is
// dropped: captions often repeat over two or three lines.
var (
	captionLabelRe = regexp.MustCompile(`(?i)^(image|photo|picture|caption|video|graphic|illustration|gallery|foto|imagen)s? ?:$`)
	// A credit closes its line: "... REUTERS/Rodi Said", "... Credit:
	// Danish Ismail/Reuters", "Wes Mountain/The ConversationCC BY-ND".
	creditRe = regexp.MustCompile(`(?:\b(?:[Cc]redits?|CREDIT|[Pp]hoto(?:graph)?(?: credit)?|Picture|Fotos?|Imagen|Bild): \S|\b(?:REUTERS|Reuters|AFP|AP|EPA|AAP|Getty Images|AP Photo|PA|Shutterstock|Alamy|Xinhua)/\S|\S/(?:REUTERS|Reuters|AFP|AP|AP Photo|EPA|Getty Images|Getty|PA Wire|PA|Shutterstock|Alamy|Xinhua)\b|CC BY(?:-(?:SA|ND|NC))*\b|©|\(Photo: )[^.!?]{0,50}$`)
)

// Image file names left from pages: "DAC-Neil-Basu-06-600x429",
// "turkey-shooter", "photo_2018_12345.jpg".
var (
	imageExtRe = regexp.MustCompile(`(?i)\.(jpe?g|png|gif|webp|svg|bmp|tiff?|heic)\b`)
	dimsRe     = regexp.MustCompile(`\d{2,4}x\d{2,4}`)
	digitRunRe = regexp.MustCompile(`\d{5,}`)
	mdImageRe  = regexp.MustCompile(`^!\[[^\]]*\]\([^)]*\)$`)
)

// isImageFileName reports whether the line s (white space folded) is a bare
// file name or slug rather than text.
func isImageFileName(s string) bool {
	if mdImageRe.MatchString(s) {
		return true
	}
	if strings.ContainsAny(s, " ") || utf8.RuneCountInString(s) < 4 {
		return false
	}
	if strings.Contains(s, "://") || strings.HasPrefix(s, "www.") {
		return false // a URL, handled as metadata
	}
	if !strings.ContainsAny(s, "-_.") {
		return false
	}
	if imageExtRe.MatchString(s) || dimsRe.MatchString(s) || digitRunRe.MatchString(s) {
		return true
	}
	// An all lower-case slug of several words: "turkey-shooter".
	letters := 0
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			return false
		case unicode.IsLetter(r):
			letters++
		case r == '-' || r == '_' || unicode.IsDigit(r):
		default:
			return false
		}
	}
	return letters > 0 && strings.ContainsAny(s, "-_")
}

// isSeparator reports whether s holds no letter or digit at all ("-",
// "* * *", "□").
func isSeparator(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// isEmptyLabel reports whether s is only field labels and a colon, such
// as "Source:" or "Kaynak/Source:".
func isEmptyLabel(s string) bool {
	if !strings.HasSuffix(s, ":") || utf8.RuneCountInString(s) > 40 {
		return false
	}
	body := strings.TrimSpace(strings.TrimSuffix(s, ":"))
	if body == "" {
		return false
	}
	for _, part := range strings.FieldsFunc(body, func(r rune) bool { return r == '/' || r == '|' || r == ',' }) {
		if !labelWords[strings.ToLower(strings.TrimSpace(part))] {
			return false
		}
	}
	return true
}

// boilerplate reports whether the line s (white space folded) is
// boilerplate, why, and whether it marks a boundary between posts.
func boilerplate(s string) (reason string, boundary, ok bool) {
	if isSeparator(s) {
		return reasonSeparator, false, true
	}
	n := utf8.RuneCountInString(s)
	if n > 300 {
		return "", false, false
	}
	if isImageFileName(s) {
		return reasonImageFile, false, true
	}
	if isEmptyLabel(s) {
		return reasonLabel, false, true
	}
	if isShareBar(s) {
		return reasonShare, true, true
	}
	lower := ""
	for _, r := range boilerRules {
		if n > r.max || (r.reason == reasonArchive && endsSentence(s)) {
			continue
		}
		if r.hints != nil {
			if lower == "" {
				lower = strings.ToLower(s)
			}
			if !slices.ContainsFunc(r.hints, func(h string) bool { return strings.Contains(lower, h) }) {
				continue
			}
		}
		if r.re.MatchString(s) {
			return r.reason, r.boundary, true
		}
	}
	return "", false, false
}

// shareWords are the words of a share bar ("Share on Facebook Tweet Email").
var shareWords = map[string]bool{
	"share": true, "tweet": true, "email": true, "e-mail": true, "print": true,
	"facebook": true, "twitter": true, "linkedin": true, "pinterest": true,
	"reddit": true, "whatsapp": true, "tumblr": true, "pocket": true,
	"telegram": true, "skype": true, "blogthis!": true, "messenger": true,
	"more": true, "this": true, "on": true, "to": true, "via": true, "x": true,
	"like": true, "pin": true, "it": true, "save": true, "copy": true, "link": true,
	"mail": true, "flipboard": true, "|": true, "·": true, "•": true, "-": true,
}

var shareCore = map[string]bool{
	"share": true, "tweet": true, "facebook": true, "twitter": true,
	"pinterest": true, "linkedin": true, "whatsapp": true, "blogthis!": true, "reddit": true,
}

// isShareBar reports whether s is made only of share-button words and
// names at least one network ("Email This BlogThis! Share to Twitter").
func isShareBar(s string) bool {
	words := strings.Fields(strings.ToLower(s))
	if len(words) < 2 || len(words) > 20 {
		return false
	}
	core := 0
	for _, w := range words {
		w = strings.TrimRight(w, ":,")
		if !shareWords[w] {
			return false
		}
		if shareCore[w] {
			core++
		}
	}
	return core >= 2 || (core == 1 && len(words) <= 4)
}

// isCaptionLine reports whether s marks its block as a photo caption.
func isCaptionLine(s string) bool {
	if len(s) <= 24 && captionLabelRe.MatchString(s) {
		return true
	}
	if utf8.RuneCountInString(s) > 400 {
		return false
	}
	// A credit sits in the last few dozen characters.
	tail := s
	if len(tail) > 160 {
		i := len(tail) - 160
		for i < len(tail) && !utf8.RuneStart(tail[i]) {
			i++
		}
		tail = tail[i:]
	}
	if !slices.ContainsFunc(creditHints, func(h string) bool { return strings.Contains(tail, h) }) {
		return false // no credit can match: skip the regexp
	}
	return creditRe.MatchString(tail)
}

// creditHints are substrings that every match of creditRe holds.
var creditHints = []string{"redit", "REDIT", "hoto", "Picture", "Foto", "Imagen", "Bild", "©", "CC BY",
	"Reuters/", "REUTERS/", "/Reuters", "/REUTERS", "AFP", "AP", "EPA", "Getty", "PA", "Shutterstock", "Alamy", "Xinhua"}

// Dates. The text is kept as written; the patterns only find it.
var dateRe = regexp.MustCompile(`(?i)` +
	`\b(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,? )?` +
	`(?:` +
	// 31 August 2017, 31st of August, 2017
	`\d{1,2}(?:st|nd|rd|th)?(?: of)? ` + monthRe + `,? \d{4}` +
	// August 31, 2017
	`|` + monthRe + ` \d{1,2}(?:st|nd|rd|th)?,? \d{4}` +
	// August 2017
	`|` + monthRe + `,? \d{4}` +
	// 2017-08-31, 2017-08-31T10:00:00Z
	`|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?` +
	// 24.03.2017, 24/03/2017, 2017/03/24
	`|\d{1,2}[./]\d{1,2}[./]\d{4}|\d{4}/\d{1,2}/\d{1,2}` +
	`)\b`)

const monthRe = `(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`

// findDate returns the byte range of the first plausible date in s.
func findDate(s string) (int, int, bool) {
	for _, m := range dateRe.FindAllStringIndex(s, 4) {
		if plausibleDate(s[m[0]:m[1]]) {
			return m[0], m[1], true
		}
	}
	return 0, 0, false
}

// plausibleDate rejects numeric matches that cannot be dates (99.99.2017).
func plausibleDate(d string) bool {
	head := d
	if len(head) > 10 {
		head = head[:10]
	}
	if r, _ := utf8.DecodeRuneInString(d); !unicode.IsDigit(r) || strings.IndexFunc(head, unicode.IsLetter) >= 0 {
		return true // a month name
	}
	nums := strings.FieldsFunc(head, func(r rune) bool { return !unicode.IsDigit(r) })
	if len(nums) < 3 {
		return false
	}
	a, b, c := atoi(nums[0]), atoi(nums[1]), atoi(nums[2])
	var day, month, year int
	if len(nums[0]) == 4 { // 2017-03-24
		year, month, day = a, b, c
	} else { // 24.03.2017 or 03/24/2017
		year, day, month = c, a, b
		if month > 12 {
			day, month = b, a
		}
	}
	return year >= 1000 && year <= 2999 && month >= 1 && month <= 12 && day >= 1 && day <= 31
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
		if n > 1e6 {
			break
		}
	}
	return n
}

// dateLine returns the date written on s when s is a date line: a short
// line that is mostly a date ("Thursday, 31 August 2017", "Independent
// (23 March 2017)", "February 2018, Volume 11, Issue 2"), not a sentence
// that mentions one.
func dateLine(s string) (string, bool) {
	if utf8.RuneCountInString(s) > 80 || !strings.ContainsAny(s, "0123456789") {
		return "", false
	}
	i, j, ok := findDate(s)
	if !ok {
		return "", false
	}
	rest := strings.TrimSpace(s[j:])
	if rest != "" && endsSentence(s) {
		return "", false
	}
	words := 0
	for _, w := range strings.Fields(s[:i] + " " + rest) {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			words++
		}
	}
	if words > 6 {
		return "", false
	}
	return s[i:j], true
}

// URL lines: a bare link, or a short label and a link ("Article source:
// http://...").
var (
	urlTokenRe = regexp.MustCompile(`^<?((?:https?://|www\.)\S+?)>?[.,;)]*$`)
	mdLinkRe   = regexp.MustCompile(`^\[[^\]]*\]\(((?:https?://|www\.)[^)\s]+)\)$`)
	urlLabelRe = regexp.MustCompile(`(?i)^(article |original |story )?(source|link|url|via|from|see|more|read more|read the (full )?(article|story)|originally (published|posted)( at| on| in)?|first published( at| on| in)?|permalink)\s*[:\-–—]?$`)
)

// urlLine returns the link on s when s is a URL line.
func urlLine(s string) (string, bool) {
	if !strings.Contains(s, "://") && !strings.Contains(s, "www.") {
		return "", false
	}
	if m := mdLinkRe.FindStringSubmatch(s); m != nil {
		return m[1], true
	}
	f := strings.Fields(s)
	if len(f) == 0 || len(f) > 7 {
		return "", false
	}
	m := urlTokenRe.FindStringSubmatch(f[len(f)-1])
	if m == nil {
		return "", false
	}
	label := strings.Join(f[:len(f)-1], " ")
	if label == "" || strings.HasSuffix(label, ":") || urlLabelRe.MatchString(label) {
		return m[1], true
	}
	return "", false
}

// Bylines: "By Jane Doe", "Authors: Raffaello Pantucci".
var bylineRe = regexp.MustCompile(`(?i)^(?:by|written by|posted by|words by|reporting by|story by|authors? ?:|autor(?:es)? ?:)\s*(.+)$`)

// byline returns the author named on s when s is a byline.
func byline(s string) (string, bool) {
	if utf8.RuneCountInString(s) > 100 || len(strings.Fields(s)) > 14 {
		return "", false
	}
	m := bylineRe.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	name := m[1]
	if r, _ := utf8.DecodeRuneInString(name); !unicode.IsUpper(r) {
		return "", false // "By the time...", "By 2020..."
	}
	if strings.HasSuffix(name, ".") && !strings.HasSuffix(strings.TrimSuffix(name, "."), " Jr") {
		if f := strings.Fields(name); len(f) > 4 {
			return "", false // a sentence
		}
	}
	if i, _, ok := findDate(name); ok {
		name = name[:i]
	}
	name = strings.TrimRight(strings.TrimSpace(name), ",|-–—·•")
	name = strings.TrimSpace(name)
	if name == "" {
		return "", false
	}
	return name, true
}

// Author bios that close an article ("Jane Doe is director of ..."): kept
// as text, never taken for a heading, and they mark the end of a post.
var (
	bioStartRe = regexp.MustCompile(`^(?:\p{Lu}[\p{L}'’.-]*\s+){1,3}\p{Lu}[\p{L}'’-]*,?\s+(?:is|was|are|were)\s`)
	bioRoleRe  = regexp.MustCompile(`(?i)\b(director|head|editor|fellow|professor|author|correspondent|reporter|journalist|analyst|officer|researcher|lecturer|writer|founder|chief|senior|associate|contributor|chair|chairman|president|consultant|columnist|producer|executive|manager|advis[eo]r|partner|historian|scientist|student|candidate|expert|specialist|coordinator)\b`)
)

func isBio(s string) bool {
	if len(s) > 1200 || !strings.Contains(s, " is ") && !strings.Contains(s, " was ") && !strings.Contains(s, " are ") && !strings.Contains(s, " were ") {
		return false
	}
	return utf8.RuneCountInString(s) <= 300 && bioStartRe.MatchString(s) && bioRoleRe.MatchString(s)
}

// Credit sentences kept as text ("Illustrations by X for Y."): like bios,
// they close a post.
var creditSentenceRe = regexp.MustCompile(`(?i)^(illustrations?|photos?|photographs?|photography|images?|pictures?|graphics?|animations?|artwork|video|maps?|charts?|drawings?)( and \p{L}+)? (by|courtesy of)\s+\p{Lu}`)

func isCreditSentence(s string) bool {
	return utf8.RuneCountInString(s) <= 200 && creditSentenceRe.MatchString(s)
}

// Speaker turns of an interview ("CTC: How has...?", "Basu: ...").
var speakerRe = regexp.MustCompile(`^\p{Lu}[\p{L}.'’-]{0,24}:[\s\p{Zs}]`)

// listItemRe matches the start of a list item: "- ", "* ", "1. ", "[a] ",
// "(b) ".
var listItemRe = regexp.MustCompile(`^(?:[-*+•]|\d{1,3}[.)]|\[\w{1,3}\]|\(\w{1,3}\))[\s\p{Zs}]`)

// backMatter are headings of notes and references; under a post they
// become a sub-section ("Post title › Notes").
var backMatter = map[string]bool{
	"notes": true, "substantive notes": true, "endnotes": true, "footnotes": true,
	"references": true, "citations": true, "bibliography": true, "sources": true,
	"further reading": true, "acknowledgements": true, "acknowledgments": true,
	"appendix": true, "works cited": true,
}

// endsSentence reports whether s ends with sentence punctuation, possibly
// followed by closing quotes or brackets.
func endsSentence(s string) bool {
	s = strings.TrimRightFunc(s, func(r rune) bool { return isCloser(r) || unicode.IsSpace(r) })
	r, _ := utf8.DecodeLastRuneInString(s)
	return isTerminal(r)
}

// trailingWords are words a heading cannot end with: a line ending in one
// is a sentence cut short.
var trailingWords = map[string]bool{
	"the": true, "a": true, "an": true, "and": true, "or": true, "but": true,
	"of": true, "to": true, "in": true, "on": true, "for": true, "with": true,
	"by": true, "that": true, "which": true, "who": true, "as": true, "at": true,
	"from": true, "is": true, "are": true, "was": true, "were": true, "be": true,
	"this": true, "its": true, "their": true, "his": true, "her": true, "our": true,
	"than": true, "if": true, "because": true, "while": true, "into": true,
}

// headingShape reports whether s (one line, white space folded) looks like
// a title: short, starting with a capital or digit, not ending like a
// sentence (a short question is allowed), not an interview turn or bio.
func headingShape(s string) bool {
	n := utf8.RuneCountInString(s)
	if n < 2 || n > 150 {
		return false
	}
	words := strings.Fields(s)
	if len(words) > 24 {
		return false
	}
	first, _ := utf8.DecodeRuneInString(strings.TrimLeft(s, "\"'“‘«(¿¡"))
	if !unicode.IsUpper(first) && !unicode.IsDigit(first) && !unicode.IsTitle(first) {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(strings.TrimRightFunc(s, isCloser))
	switch last {
	case '.', ',', ';', ':', '…', '-', '–', '—', '/', '&':
		return false
	case '?', '!':
		if n > 100 || speakerRe.MatchString(s) {
			return false
		}
	}
	if trailingWords[strings.ToLower(strings.Trim(words[len(words)-1], "\"'“”‘’"))] && len(words) > 2 {
		return false
	}
	if listItemRe.MatchString(s) || isBio(s) {
		return false
	}
	letters := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters*2 < n {
		return false
	}
	return len(Sentences(s)) <= 2
}

// passageShape reports whether a paragraph is worth quoting on its own: at
// least 40 characters, or a complete sentence of three words or more.
func passageShape(s string) bool {
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
		return false
	}
	if utf8.RuneCountInString(s) >= 40 {
		return true
	}
	return endsSentence(s) && len(strings.Fields(s)) >= 3
}

// atxHeading returns the text of a Markdown heading line ("## Notes").
func atxHeading(s string) (string, bool) {
	if !strings.HasPrefix(s, "#") {
		return "", false
	}
	t := strings.TrimLeft(s, "#")
	if len(s)-len(t) > 6 || t == "" || (t[0] != ' ' && t[0] != '\t') {
		return "", false
	}
	t = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(t), "#"))
	if t == "" {
		return "", false
	}
	return t, true
}

// isSetextUnderline reports whether s underlines the line above it as a
// Markdown heading ("=====" or "-----").
func isSetextUnderline(s string) bool {
	if len(s) < 2 {
		return false
	}
	return strings.Trim(s, "=") == "" || strings.Trim(s, "-") == ""
}
