package corpus

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

const body1 = "The first paragraph of the story is long enough to be quoted on its own."
const body2 = "A second paragraph follows, and it also says something worth quoting."

// TestInfer checks, one small document at a time, what is inferred
// (title, date, link, sections) and what is cleaned away. Passages are
// written "section | text"; dropped lines "reason: text".
func TestInfer(t *testing.T) {
	for _, tc := range []struct {
		name, file, src  string
		title, date, url string
		passages         []string
		dropped          []string
	}{
		{
			name:     "title after date line, article source link",
			src:      "Thursday, 31 August 2017\n\nHomegrown threat grows\n\n\n" + body1 + "\n\nArticle source: http://example.com/a?b=1\n",
			title:    "Homegrown threat grows",
			date:     "Thursday, 31 August 2017",
			url:      "http://example.com/a?b=1",
			passages: []string{" | " + body1},
			dropped:  []string{"date: Thursday, 31 August 2017", "title: Homegrown threat grows", "link: Article source: http://example.com/a?b=1"},
		},
		{
			name:     "dotted date, lone dash and source line with a date",
			src:      "\nBIG NEWS IN CAPITALS, SAY EXPERTS\n\n-\n\n24.03.2017\n\nIndependent (23 March 2017)\n\n" + body1 + "\n\nKaynak/Source:",
			title:    "BIG NEWS IN CAPITALS, SAY EXPERTS",
			date:     "24.03.2017",
			passages: []string{" | " + body1},
			dropped:  []string{"title: BIG NEWS IN CAPITALS, SAY EXPERTS", "separator: -", "date: 24.03.2017", "date: Independent (23 March 2017)", "empty label: Kaynak/Source:"},
		},
		{
			name:     "other date forms",
			src:      "Report\n\nPosted on August 31, 2017\n\n" + body1 + "\n",
			title:    "Report",
			date:     "August 31, 2017",
			passages: []string{" | " + body1},
			dropped:  []string{"title: Report", "date: Posted on August 31, 2017"},
		},
		{
			name:     "ISO date and bare link",
			src:      "Report\n2017-08-31\nhttps://example.org/report\n\n" + body1 + "\n",
			title:    "Report",
			date:     "2017-08-31",
			url:      "https://example.org/report",
			passages: []string{" | " + body1},
			dropped:  []string{"title: Report", "date: 2017-08-31", "link: https://example.org/report"},
		},
		{
			name:     "a sentence that mentions a date or link is text",
			src:      "The attack happened on 22 March 2017.\n\nMore at https://example.org in the report, which is long.\n",
			title:    "doc",
			passages: []string{" | The attack happened on 22 March 2017.", " | More at https://example.org in the report, which is long."},
		},
		{
			name:     "byline gives the author",
			src:      "Report\n\nBy Jane Doe, 5 May 2018\n\n" + body1 + "\n",
			title:    "Report",
			date:     "5 May 2018",
			passages: []string{" | " + body1},
			dropped:  []string{"title: Report", "byline: By Jane Doe, 5 May 2018"},
		},
		{
			name:     "no title line: file name",
			file:     "notes/2018-report.txt",
			src:      body1 + "\n\n" + body2 + "\n",
			title:    "2018-report",
			passages: []string{" | " + body1, " | " + body2},
		},
		{
			name:  "photo captions and credits",
			src:   "Title line here\n\n" + body1 + "\n\nSoldiers walk on rubble in Raqqa, June 14, 2017. Picture taken June 14, 2017. REUTERS/Rodi Said\nImage:\nFighters are taking the fight to IS\n\nA policeman fires tear gas Credit: Jane Roe/Reuters\n\nWes Mountain/The ConversationCC BY-ND\n\n" + body2 + "\n",
			title: "Title line here",
			passages: []string{
				" | " + body1,
				" | " + body2,
			},
			dropped: []string{
				"title: Title line here",
				"photo caption or credit: Soldiers walk on rubble in Raqqa, June 14, 2017. Picture taken June 14, 2017. REUTERS/Rodi Said",
				"photo caption or credit: Image:",
				"photo caption or credit: Fighters are taking the fight to IS",
				"photo caption or credit: A policeman fires tear gas Credit: Jane Roe/Reuters",
				"photo caption or credit: Wes Mountain/The ConversationCC BY-ND",
			},
		},
		{
			name:     "a body sentence naming Reuters is kept",
			src:      "A Reuters/Ipsos poll found that most people agreed with the plan, the agency said.\n",
			title:    "doc",
			passages: []string{" | A Reuters/Ipsos poll found that most people agreed with the plan, the agency said."},
		},
		{
			name:  "image file names and separators",
			src:   "Title line here\n\nDAC-Neil-Basu-06-600x429\n\n" + body1 + "\n\nturkey-shooter\n\n* * *\n\n03071847.2018.1434271.fp.png_v03\n\n" + body2 + "\nvigil_of_solidarity_27027482763\n",
			title: "Title line here",
			passages: []string{
				" | " + body1,
				" | " + body2,
			},
			dropped: []string{
				"title: Title line here",
				"image file name: DAC-Neil-Basu-06-600x429",
				"image file name: turkey-shooter",
				"separator: * * *",
				"image file name: 03071847.2018.1434271.fp.png_v03",
				"image file name: vigil_of_solidarity_27027482763",
			},
		},
		{
			name:  "comment forms, share bars and calls to action",
			src:   body1 + "\n\nShare this:\n\nShare on Facebook Share on Twitter Email\n\nLike this:\n\nAdvertisements\n\nRelated\n\nPlease stay up to date on the blog for more news from us.\n\nNo comments:\n\nPost a Comment\n\nLeave a Reply\n\nYour email address will not be published. Required fields are marked *\n\nDeja una respuesta\n\nTu dirección de correo electrónico no será publicada. Los campos obligatorios están marcados con *\n",
			title: "doc",
			passages: []string{
				" | " + body1,
			},
			dropped: []string{
				"share or advertisement line: Share this:",
				"share or advertisement line: Share on Facebook Share on Twitter Email",
				"share or advertisement line: Like this:",
				"share or advertisement line: Advertisements",
				"share or advertisement line: Related",
				"call to action: Please stay up to date on the blog for more news from us.",
				"comment form: No comments:",
				"comment form: Post a Comment",
				"comment form: Leave a Reply",
				"comment form: Your email address will not be published. Required fields are marked *",
				"comment form: Deja una respuesta",
				"comment form: Tu dirección de correo electrónico no será publicada. Los campos obligatorios están marcados con *",
			},
		},
		{
			name:     "short fragments are not passages",
			src:      "Title line here\n\n" + body1 + "\n\nSee below\n\nYes.\n\nIt was done.\n",
			title:    "Title line here",
			passages: []string{" | " + body1, " | It was done."},
			dropped:  []string{"title: Title line here", "short fragment: See below", "short fragment: Yes."},
		},
		{
			name:  "headings start sections; a question can be a heading, an interview turn cannot",
			src:   "Guide\n\n" + body1 + "\n\nBackground\n\n" + body2 + "\n\nWhat happens next?\n\nQ: What happens next?\n\nA: Nobody knows yet, but the council meets on Monday to decide.\n",
			title: "Guide",
			passages: []string{
				" | " + body1,
				"Background | " + body2,
				"What happens next? | Q: What happens next?",
				"What happens next? | A: Nobody knows yet, but the council meets on Monday to decide.",
			},
			dropped: []string{"title: Guide", "heading: Background", "heading: What happens next?"},
		},
		{
			name: "blog page: post lead-ins after a bio or footer take the next post's title",
			src: "Posts Tagged ‘Security’\n\nA new piece for a magazine, an interview with the chief constable.\n\nInterview with the Chief Constable\n\n" + body1 +
				"\n\nJane Doe is the Director of Studies at the Institute\n\nAnother piece, this time for a newspaper, on the same topic.\n\nWhy the threat is changing\n\n" + body2 +
				"\n\nAdvertisements\n\nA third post with a short introduction before the title.\n\nThe third post title\n\nThe body of the third post is here and it is long enough.\n",
			title: "doc",
			passages: []string{
				"Interview with the Chief Constable | A new piece for a magazine, an interview with the chief constable.",
				"Interview with the Chief Constable | " + body1,
				"Interview with the Chief Constable | Jane Doe is the Director of Studies at the Institute",
				"Why the threat is changing | Another piece, this time for a newspaper, on the same topic.",
				"Why the threat is changing | " + body2,
				"The third post title | A third post with a short introduction before the title.",
				"The third post title | The body of the third post is here and it is long enough.",
			},
			dropped: []string{
				"archive header: Posts Tagged ‘Security’",
				"heading: Interview with the Chief Constable",
				"heading: Why the threat is changing",
				"share or advertisement line: Advertisements",
				"heading: The third post title",
			},
		},
		{
			name:  "a paragraph before a heading stays in its section without a post boundary",
			src:   "Guide\n\nPart one\n\n" + body1 + "\n\nThe last paragraph of part one is here and is long.\n\nPart two\n\n" + body2 + "\n",
			title: "Guide",
			passages: []string{
				"Part one | " + body1,
				"Part one | The last paragraph of part one is here and is long.",
				"Part two | " + body2,
			},
			dropped: []string{"title: Guide", "heading: Part one", "heading: Part two"},
		},
		{
			name:  "date under a post heading belongs to that post; notes are a sub-section",
			src:   "Archive page\n\nFirst post\n\nFebruary 2018, Volume 11, Issue 2\n\n" + body1 + "\n\nNotes\n[a] A note about the first post, with detail.\n\nSecond post\n\n" + body2 + "\n",
			title: "Archive page",
			passages: []string{
				"First post | " + body1,
				"First post › Notes | [a] A note about the first post, with detail.",
				"Second post | " + body2,
			},
			dropped: []string{"title: Archive page", "heading: First post", "date: February 2018, Volume 11, Issue 2", "heading: Notes", "heading: Second post"},
		},
		{
			name:  "markdown headings, lists and images",
			file:  "doc.md",
			src:   "# The guide\n\nIntro text that is long enough to be quoted by the bot.\n\n## Steps\n\n- First step, explained in enough words to quote.\n- Second step, also explained in enough words.\n\n![diagram](img/d.png)\n\nSetext heading\n--------------\n\n" + body2 + "\n",
			title: "The guide",
			passages: []string{
				" | Intro text that is long enough to be quoted by the bot.",
				"Steps | - First step, explained in enough words to quote.",
				"Steps | - Second step, also explained in enough words.",
				"Setext heading | " + body2,
			},
			dropped: []string{"title: The guide", "heading: Steps", "image file name: ![diagram](img/d.png)", "heading: Setext heading", "separator: --------------"},
		},
		{
			name:  "hard-wrapped lines join; long lines are paragraphs; a stray blank line inside a sentence is mended",
			src:   "Wrapped title\n\nThis paragraph is wrapped\nat a short width, as plain\ntext often is.\n\n" + body1 + " " + body1 + "\n" + body2 + "\n\nInvestigators are probing links to a wider network, saying that\n\nalthough there was no prior intelligence he had been investigated.\n",
			title: "Wrapped title",
			passages: []string{
				" | This paragraph is wrapped at a short width, as plain text often is.",
				" | " + body1 + " " + body1,
				" | " + body2,
				" | Investigators are probing links to a wider network, saying that although there was no prior intelligence he had been investigated.",
			},
			dropped: []string{"title: Wrapped title"},
		},
		{
			name:  "one paragraph per line, with lines broken mid-sentence (subscripts)",
			src:   "Oxygen\n\n" + body1 + " " + body1 + " It forms dioxygen, O\n2, and ozone (O\n3) is rare; in water, H\n2. Then more.\n" + body2 + "\nBackground\nThe next paragraph starts after a heading on its own line, with no blank line.\n",
			title: "Oxygen",
			passages: []string{
				" | " + body1 + " " + body1 + " It forms dioxygen, O 2, and ozone (O 3) is rare; in water, H 2. Then more.",
				" | " + body2,
				"Background | The next paragraph starts after a heading on its own line, with no blank line.",
			},
			dropped: []string{"title: Oxygen", "heading: Background"},
		},
		{
			name:     "CRLF and lone CR line ends",
			src:      "Title line here\r\n\r\n" + body1 + "\r\rLast line of the file with enough words in it.",
			title:    "Title line here",
			passages: []string{" | " + body1, " | Last line of the file with enough words in it."},
			dropped:  []string{"title: Title line here"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := tc.file
			if name == "" {
				name = "doc.txt"
			}
			c, err := Load(fstest.MapFS{name: file(tc.src)}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Documents) != 1 {
				t.Fatalf("got %d documents (skipped %v), want 1", len(c.Documents), c.Skipped)
			}
			d := c.Documents[0]
			checkDocument(t, []byte(tc.src), d, DefaultMaxPassage)
			if d.Title != tc.title || d.Date != tc.date || d.URL != tc.url {
				t.Errorf("got title %q date %q url %q, want %q %q %q", d.Title, d.Date, d.URL, tc.title, tc.date, tc.url)
			}
			var got []string
			for _, p := range d.Passages {
				got = append(got, p.Section+" | "+p.Text)
			}
			if !slices.Equal(got, tc.passages) {
				t.Errorf("got passages:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(tc.passages, "\n\t"))
			}
			var drops []string
			for _, x := range d.Dropped {
				drops = append(drops, x.Reason+": "+x.Text)
			}
			if !slices.Equal(drops, tc.dropped) {
				t.Errorf("got dropped:\n\t%s\nwant:\n\t%s", strings.Join(drops, "\n\t"), strings.Join(tc.dropped, "\n\t"))
			}
		})
	}
}

// TestSplitLongParagraph checks that a paragraph over the limit is split
// into numbered parts that fit, cut between sentences (or words, for a
// sentence too long by itself), and together give back the paragraph.
func TestSplitLongParagraph(t *testing.T) {
	sentence := "Mr. Smith said the U.S. plan costs 3.5 billion dollars, e.g. for roads. "
	longSentence := strings.TrimSpace(strings.Repeat("and the words go on without a stop ", 12)) + "."
	for _, tc := range []struct {
		name      string
		para      string
		max       int
		wantParts int
		end       string // every part ends with this, at a sentence end
	}{
		{"fits", strings.Repeat(sentence, 3), 1000, 0, ""},
		{"two parts", strings.Repeat(sentence, 20), 1000, 2, "for roads."},
		{"many parts", strings.Repeat(sentence, 20), 200, 10, "for roads."},
		{"one sentence longer than the limit", longSentence, 100, 5, ""},
		{"a word longer than the limit", strings.Repeat("x", 250) + " tail words here.", 100, 3, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "Title line here\n\n" + tc.para + "\n\n" + body2 + "\n"
			c, err := Load(fstest.MapFS{"doc.txt": file(src)}, Options{MaxPassage: tc.max})
			if err != nil {
				t.Fatal(err)
			}
			d := c.Documents[0]
			checkDocument(t, []byte(src), d, tc.max)
			var parts []Passage
			for _, p := range d.Passages {
				if p.Paragraph == 1 {
					parts = append(parts, p)
				}
			}
			if tc.wantParts == 0 {
				if len(parts) != 1 || parts[0].Part != 0 {
					t.Fatalf("got %d passages for paragraph 1 (part %d), want 1 unsplit", len(parts), parts[0].Part)
				}
				return
			}
			if len(parts) != tc.wantParts {
				t.Fatalf("got %d parts, want %d", len(parts), tc.wantParts)
			}
			var texts []string
			for i, p := range parts {
				if p.Part != i+1 {
					t.Errorf("part %d: got Part %d, want %d", i, p.Part, i+1)
				}
				if n := utf8.RuneCountInString(p.Text); n > tc.max {
					t.Errorf("part %d: got %d runes, want at most %d", i+1, n, tc.max)
				}
				if !strings.HasSuffix(p.Text, tc.end) {
					t.Errorf("part %d: %q does not end with %q", i+1, p.Text, tc.end)
				}
				texts = append(texts, p.Text)
			}
			if got, want := strings.ReplaceAll(strings.Join(texts, ""), " ", ""), strings.ReplaceAll(tc.para, " ", ""); got != want {
				t.Errorf("parts put together:\n got  %q\n want %q", got, want)
			}
			// No cut inside a word, except in a word longer than the limit.
			words := map[string]bool{}
			var overlong []string
			for _, w := range strings.Fields(tc.para) {
				words[w] = true
				if utf8.RuneCountInString(w) > tc.max {
					overlong = append(overlong, w)
				}
			}
			for i, p := range parts {
				f := strings.Fields(p.Text)
				for _, w := range []string{f[0], f[len(f)-1]} {
					if !words[w] && !slices.ContainsFunc(overlong, func(o string) bool { return strings.Contains(o, w) }) {
						t.Errorf("part %d: cut inside a word, %q is not a word of the paragraph", i+1, w)
					}
				}
			}
			if d.Passages[len(d.Passages)-1].Paragraph != 2 || d.Passages[len(d.Passages)-1].Part != 0 {
				t.Errorf("got last passage paragraph %d part %d, want paragraph 2 unsplit", d.Passages[len(d.Passages)-1].Paragraph, d.Passages[len(d.Passages)-1].Part)
			}
		})
	}
}

// TestSplitEven checks that the parts of a split paragraph are of similar
// length rather than full parts and a stub.
func TestSplitEven(t *testing.T) {
	para := strings.Repeat("This sentence is exactly fifty characters long ok. ", 25) // 1275 runes
	spans := splitText(strings.TrimSpace(para), 1000)
	if len(spans) != 2 {
		t.Fatalf("got %d parts, want 2", len(spans))
	}
	a, b := spans[0][1]-spans[0][0], spans[1][1]-spans[1][0]
	if a-b > 60 || b-a > 60 {
		t.Errorf("got parts of %d and %d bytes, want them within one sentence of each other", a, b)
	}
}

func ExampleLoad() {
	fsys := fstest.MapFS{
		"news/storm.txt": {Data: []byte(`Storm hits the coast

Monday, 5 March 2018

The storm reached the coast early on Monday, flooding roads in three towns.

Image:
Waves break over the harbour wall

Officials said the water would recede by Wednesday.

Article source: https://example.org/storm
`)},
		"scan.pdf": {Data: []byte("%PDF-1.4")},
	}
	c, err := Load(fsys, Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range c.Documents {
		fmt.Printf("%s: %q, %s, %s\n", d.Source, d.Title, d.Date, d.URL)
		for _, p := range d.Passages {
			fmt.Printf("  ¶%d (lines %d-%d) %s\n", p.Paragraph, p.StartLine, p.EndLine, p.Text)
		}
	}
	for _, s := range c.Skipped {
		fmt.Printf("skipped %s: %s\n", s.Path, s.Reason)
	}
	// Output:
	// news/storm.txt: "Storm hits the coast", Monday, 5 March 2018, https://example.org/storm
	//   ¶1 (lines 5-5) The storm reached the coast early on Monday, flooding roads in three towns.
	//   ¶2 (lines 10-10) Officials said the water would recede by Wednesday.
	// skipped scan.pdf: unsupported extension .pdf
}
