package corpus

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

const article = `Storm hits the coast

Monday, 5 March 2018

The storm reached the coast early on Monday morning, flooding roads in three towns.

Officials said the water would recede by Wednesday. Schools stayed closed.
`

// TestLoadDefault checks that the shipped corpus loads whole and keeps every
// invariant, and that boilerplate never reaches a passage.
func TestLoadDefault(t *testing.T) {
	c, err := Load(Default(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Documents) != 5 || len(c.Skipped) != 0 || len(c.Warnings) != 0 {
		t.Fatalf("got %d documents, %d skipped, %d warnings, want 5, 0, 0", len(c.Documents), len(c.Skipped), len(c.Warnings))
	}
	for _, d := range c.Documents {
		src, err := fs.ReadFile(Default(), d.Source)
		if err != nil {
			t.Fatal(err)
		}
		checkDocument(t, src, d, DefaultMaxPassage)
	}
	for _, p := range c.Passages() {
		for _, bad := range []string{"REUTERS/", "Post a Comment", "No comments:", "Deja una respuesta", "Image:", "Credit:", "Advertisements", "Kaynak/Source", "Article source:", "CC BY", "Posts Tagged", "Please stay up to date"} {
			if strings.Contains(p.Text, bad) {
				t.Errorf("%s ¶%d: passage contains boilerplate %q: %q", p.Source, p.Paragraph, bad, p.Text)
			}
		}
	}
}

// TestDefaultCitations pins the citations a reader sees for the shipped
// corpus: titles, dates, links and the post titles of the blog page.
func TestDefaultCitations(t *testing.T) {
	c, err := Load(Default(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]Document{}
	for _, d := range c.Documents {
		docs[d.Source[:3]] = d
	}
	for _, tc := range []struct {
		doc, title, date, url string
	}{
		{"000", "Homegrown extremists 'more threat' than IS recruits", "Thursday, 31 August 2017", "http://feeds.foxnews.com/~r/foxnews/section/lifestyle/~3/7di4XO4S2co/kylie-jenner-selling-t-shirts-featuring-kylie-jenner.html"},
		{"001", "ISIS CLAIMING RESPONSIBILITY FOR LONDON ATTACK TO MASK HUGE LOSSES IN IRAQ AND SYRIA, SAY TERROR EXPERTS", "24.03.2017", ""},
		{"002", "002_0365d994d677c689", "", ""},
		{"003", "003_0526fb8791384aad", "", ""},
		{"004", "Westminster attack was long overdue and couldn't have been prevented", "", ""},
	} {
		d := docs[tc.doc]
		if d.Title != tc.title || d.Date != tc.date || d.URL != tc.url {
			t.Errorf("%s: got title %q date %q url %q, want %q %q %q", tc.doc, d.Title, d.Date, d.URL, tc.title, tc.date, tc.url)
		}
	}

	// In the blog page, a passage that starts with these words sits under
	// this post title.
	blog := docs["003"]
	for _, tc := range []struct{ start, section, date string }{
		{"A new piece for an excellent outlet", "A View from the CT Foxhole: Neil Basu, Senior National Coordinator for Counterterrorism Policing in the United Kingdom", "February 2018"},
		{"Basu: I think there’s probably more in detention overseas", "A View from the CT Foxhole: Neil Basu, Senior National Coordinator for Counterterrorism Policing in the United Kingdom", "February 2018"},
		{"[a] O-levels", "A View from the CT Foxhole: Neil Basu, Senior National Coordinator for Counterterrorism Policing in the United Kingdom › Substantive Notes", "February 2018"},
		{"Slightly late posting here", "Al-Qaeda’s Revenge: The 2004 Madrid Train Bombings/The Exile: The Flight of Osama bin Laden", ""},
		{"These two books show", "Al-Qaeda’s Revenge: The 2004 Madrid Train Bombings/The Exile: The Flight of Osama bin Laden", ""},
		{"Security services and governments", "Comic explainer: what is lone-actor terrorism?", ""},
		{"Illustrations by Wes Mountain", "Comic explainer: what is lone-actor terrorism?", ""},
		{"Late to post this", "Twelve years on from the 7/7 atrocities, the terror threat has evolved. Have our defences?", ""},
		{"Raffaello Pantucci is the Director", "Twelve years on from the 7/7 atrocities, the terror threat has evolved. Have our defences?", ""},
		{"And another new piece", "This worldwide day of terror shows that in the age of globalisation, nowhere is safe", ""},
		{"Finally comes a quieter", "This worldwide day of terror shows that in the age of globalisation, nowhere is safe", ""},
		{"Two of the world’s nuclear powers", "Sectarian violence in Kashmir is increasingly spilling over onto the streets of Britain", ""},
		{"The fact that there are more and more Daesh-inspired", "Why is Daesh Able to Inspire More Attacks Than Al-Qa’ida?", ""},
	} {
		i := slices.IndexFunc(blog.Passages, func(p Passage) bool { return strings.HasPrefix(p.Text, tc.start) })
		if i < 0 {
			t.Errorf("003: no passage starts with %q", tc.start)
			continue
		}
		if p := blog.Passages[i]; p.Section != tc.section || p.Date != tc.date {
			t.Errorf("003 %q: got section %q date %q, want %q %q", tc.start, p.Section, p.Date, tc.section, tc.date)
		}
	}
}

// TestLoadFrontMatter checks that a front matter block sets the citation
// fields, overriding what the text suggests, and is never quoted.
func TestLoadFrontMatter(t *testing.T) {
	for _, tc := range []struct {
		name, src                       string
		title, date, url, author, first string
		firstLine                       int
	}{
		{
			name:  "quoted values override inference",
			src:   "---\ntitle: \"Flood report: day 1\"\nurl: 'https://example.org/flood'\ndate: 2018-03-05\nauthor: Jane Doe\ntags: [a, b]\n---\n" + article,
			title: "Flood report: day 1", date: "2018-03-05", url: "https://example.org/flood", author: "Jane Doe",
			first: "The storm reached the coast", firstLine: 12,
		},
		{
			name:  "partial front matter keeps inferred fields",
			src:   "---\nurl: https://example.org/x\n---\n" + article,
			title: "Storm hits the coast", date: "Monday, 5 March 2018", url: "https://example.org/x",
			first: "The storm reached the coast", firstLine: 8,
		},
		{
			name:  "unclosed block is not front matter",
			src:   "---\ntitle: Not front matter\n\n" + strings.Repeat("Some text that goes on and on without end. ", 3),
			title: "doc", first: "Some text that goes on", firstLine: 4,
		},
		{
			name:  "a separator followed by prose is not front matter",
			src:   "---\nThe first paragraph is here, and it is long enough to quote.\n---\n",
			title: "doc", first: "The first paragraph is here", firstLine: 2,
		},
		{
			name:  "markdown heading gives the title",
			src:   "# Storm report\n\nThe storm reached the coast early on Monday morning, flooding roads.\n",
			title: "Storm report", first: "The storm reached the coast", firstLine: 3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(fstest.MapFS{"doc.md": file(tc.src)}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Documents) != 1 {
				t.Fatalf("got %d documents (skipped %v), want 1", len(c.Documents), c.Skipped)
			}
			d := c.Documents[0]
			checkDocument(t, []byte(tc.src), d, DefaultMaxPassage)
			if d.Title != tc.title || d.Date != tc.date || d.URL != tc.url || d.Author != tc.author {
				t.Errorf("got title %q date %q url %q author %q, want %q %q %q %q", d.Title, d.Date, d.URL, d.Author, tc.title, tc.date, tc.url, tc.author)
			}
			p := d.Passages[0]
			if !strings.HasPrefix(p.Text, tc.first) || p.StartLine != tc.firstLine {
				t.Errorf("got first passage %q on line %d, want one starting %q on line %d", p.Text, p.StartLine, tc.first, tc.firstLine)
			}
			if p.Date != d.Date || p.URL != d.URL {
				t.Errorf("got passage date %q url %q, want the document's %q %q", p.Date, p.URL, d.Date, d.URL)
			}
			for _, q := range d.Passages {
				if strings.Contains(q.Text, "title:") {
					t.Errorf("front matter quoted in passage %q", q.Text)
				}
			}
		})
	}
}

// errFS wraps an fs.FS and fails to open, stat or list the named paths.
type errFS struct {
	fs.FS
	fail map[string]bool
}

var errDenied = errors.New("permission denied")

func (e errFS) Open(name string) (fs.File, error) {
	if e.fail[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errDenied}
	}
	return e.FS.Open(name)
}

func (e errFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if e.fail[name] {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errDenied}
	}
	return fs.ReadDir(e.FS, name)
}

// TestLoadSkips checks that each kind of bad file is skipped with a clear
// reason and that the others still load.
func TestLoadSkips(t *testing.T) {
	big := strings.Repeat("A long line of perfectly fine text that fills the file. ", 40)
	fsys := fstest.MapFS{
		"good.txt":             file(article),
		"upper.TXT":            file(article),
		"notes/deep/more.Md":   file(article),
		"report.pdf":           file("%PDF-1.4"),
		"README":               file(article),
		"empty.txt":            file(""),
		"blank.txt":            file(" \n\t\n  \n"),
		"nul.txt":              {Data: []byte("text\x00with a NUL byte and more text after it")},
		"control.txt":          {Data: []byte("\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f abc")},
		"big.txt":              file(big),
		"locked.txt":           file(article),
		"locked-dir/x.txt":     file(article),
		"only-heading.txt":     file("Just a title\n"),
		".git/config":          file("[core]"),
		".hidden.txt":          file(article),
		"notes/.cache/old.txt": file(article),
	}
	c, err := Load(errFS{fsys, map[string]bool{"locked.txt": true, "locked-dir": true}}, Options{MaxFileSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var loaded []string
	for _, d := range c.Documents {
		loaded = append(loaded, d.Source)
	}
	if want := []string{"good.txt", "notes/deep/more.Md", "upper.TXT"}; !slices.Equal(loaded, want) {
		t.Errorf("got loaded %q, want %q", loaded, want)
	}
	want := map[string]string{
		"README":           "unsupported file type (no extension)",
		"big.txt":          fmt.Sprintf("too large: %d bytes (limit 1000)", len(big)),
		"blank.txt":        "empty file (white space only)",
		"control.txt":      "binary file (mostly control characters)",
		"empty.txt":        "empty file",
		"locked-dir":       "unreadable: readdir: permission denied",
		"locked.txt":       "unreadable: open: permission denied",
		"nul.txt":          "binary file (contains NUL bytes)",
		"only-heading.txt": "no text to quote (only headings, metadata or boilerplate)",
		"report.pdf":       "unsupported extension .pdf",
	}
	got := map[string]string{}
	for _, s := range c.Skipped {
		got[s.Path] = s.Reason
	}
	for p, reason := range want {
		if got[p] != reason {
			t.Errorf("%s: got skip reason %q, want %q", p, got[p], reason)
		}
	}
	for p, reason := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: skipped (%s), want it loaded or ignored", p, reason)
		}
	}
	if !slices.IsSortedFunc(c.Skipped, func(a, b Skipped) int { return strings.Compare(a.Path, b.Path) }) {
		t.Errorf("skipped list is not sorted by path: %v", c.Skipped)
	}
}

// TestLoadInvalidUTF8 checks that bad bytes are replaced, the file still
// loads and a warning names it.
func TestLoadInvalidUTF8(t *testing.T) {
	src := "Caf\xe9 society\n\nThe caf\xe9 on the corner opened in 1923 and still serves breakfast.\n"
	c, err := Load(fstest.MapFS{"latin1.txt": file(src)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Documents) != 1 {
		t.Fatalf("got %d documents, skipped %v; want the file loaded", len(c.Documents), c.Skipped)
	}
	d := c.Documents[0]
	checkDocument(t, []byte(src), d, DefaultMaxPassage)
	if want := "The caf\uFFFD on the corner opened in 1923 and still serves breakfast."; d.Passages[0].Text != want {
		t.Errorf("got passage %q, want %q", d.Passages[0].Text, want)
	}
	if d.Title != "Caf\uFFFD society" {
		t.Errorf("got title %q, want %q", d.Title, "Caf\uFFFD society")
	}
	wantWarn := []Skipped{{Path: "latin1.txt", Reason: "invalid UTF-8: 2 bad byte sequences replaced with U+FFFD"}}
	if !slices.Equal(c.Warnings, wantWarn) {
		t.Errorf("got warnings %v, want %v", c.Warnings, wantWarn)
	}
}

// TestLoadRootError checks that an unreadable root is the one error Load
// returns.
func TestLoadRootError(t *testing.T) {
	if _, err := Load(os.DirFS(t.TempDir()+"/missing"), Options{}); err == nil {
		t.Error("Load of a missing folder: got nil error, want one")
	}
	_, err := Load(errFS{fstest.MapFS{"a.txt": file(article)}, map[string]bool{".": true}}, Options{})
	if !errors.Is(err, errDenied) {
		t.Errorf("Load of an unreadable root: got error %v, want one wrapping %v", err, errDenied)
	}
}

// TestLoadSymlinkAndOrder checks, on a real folder, that a symlinked file
// loads, that documents come in sorted path order, and that progress is
// reported once per file.
func TestLoadSymlinkAndOrder(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.txt", "a.txt", "c/z.md"} {
		if err := os.MkdirAll(dir+"/c", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir+"/"+name, []byte(article), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(dir+"/a.txt", dir+"/link.txt"); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	var calls [][2]int
	c, err := Load(os.DirFS(dir), Options{Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range c.Documents {
		got = append(got, d.Source)
	}
	if want := []string{"a.txt", "b.txt", "c/z.md", "link.txt"}; !slices.Equal(got, want) {
		t.Errorf("got documents %q, want %q", got, want)
	}
	if want := [][2]int{{1, 4}, {2, 4}, {3, 4}, {4, 4}}; !slices.Equal(calls, want) {
		t.Errorf("got progress calls %v, want %v", calls, want)
	}
}

// TestFingerprint checks what changes the fingerprint and what does not.
func TestFingerprint(t *testing.T) {
	base := fstest.MapFS{"a.txt": file(article), "b.txt": file(article), "bad.pdf": file("x")}
	fp := func(fsys fs.FS, opts Options) string {
		t.Helper()
		c, err := Load(fsys, opts)
		if err != nil {
			t.Fatal(err)
		}
		return c.Fingerprint()
	}
	want := fp(base, Options{})
	if len(want) != 64 {
		t.Fatalf("got fingerprint %q, want 64 hex digits", want)
	}
	with := func(name string, f *fstest.MapFile) fstest.MapFS {
		m := fstest.MapFS{}
		for k, v := range base {
			m[k] = v
		}
		if f == nil {
			delete(m, name)
		} else {
			m[name] = f
		}
		return m
	}
	for _, tc := range []struct {
		name string
		fsys fs.FS
		opts Options
		same bool
	}{
		{"same files again", with("a.txt", file(article)), Options{}, true},
		{"progress callback does not matter", base, Options{Progress: func(int, int) {}}, true},
		{"edited file", with("a.txt", file(article+"\nOne more sentence to change the hash.\n")), Options{}, false},
		{"removed file", with("b.txt", nil), Options{}, false},
		{"added file", with("c.txt", file(article)), Options{}, false},
		{"renamed file", fstest.MapFS{"a.txt": file(article), "d.txt": file(article), "bad.pdf": file("x")}, Options{}, false},
		{"fixed bad file", with("bad.pdf", nil), Options{}, false},
		{"bad file now skipped for another reason", with("empty.txt", file("")), Options{}, false},
		{"other passage limit", base, Options{MaxPassage: 50}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fp(tc.fsys, tc.opts)
			if (got == want) != tc.same {
				t.Errorf("got fingerprint %s, base %s; want same=%v", got, want, tc.same)
			}
		})
	}
}
