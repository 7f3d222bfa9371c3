package eval

import (
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/citebot/citebot/corpus"
)

const tinySQuAD = `{"version": "1.1", "data": [
 {"title": "AC/DC", "paragraphs": [
  {"context": "AC/DC are an Australian rock band\nformed in Sydney in 1973.", "qas": [
   {"id": "q1", "question": " Where was AC/DC formed? ", "answers": [
     {"answer_start": 45, "text": "Sydney"}, {"answer_start": 45, "text": "Sydney"}, {"answer_start": 45, "text": "sydney"},
     {"answer_start": 45, "text": "in Sydney"}]}]},
  {"context": "   ", "qas": []},
  {"context": "Angus Young plays lead guitar.\r\n", "qas": [
   {"id": "q2", "question": "Who plays lead guitar?", "answers": [{"answer_start": 0, "text": "Angus Young"}]}]}]},
 {"title": "Sky_(United_Kingdom)", "paragraphs": [
  {"context": "Sky UK is a broadcaster.", "qas": [
   {"id": "q3", "question": "What is Sky UK?", "answers": [{"answer_start": 12, "text": "a broadcaster"}]},
   {"id": "q4", "question": "Impossible?", "answers": [], "is_impossible": true}]}]}
]}`

func TestReadSQuAD(t *testing.T) {
	fsys, qs, err := ReadSQuAD(strings.NewReader(tinySQuAD))
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := map[string]string{
		"000_AC_DC.txt": "---\ntitle: AC/DC\n---\n" +
			"\nAC/DC are an Australian rock band formed in Sydney in 1973.\n" +
			"\nAngus Young plays lead guitar.\n",
		"001_Sky_(United_Kingdom).txt": "---\ntitle: Sky (United Kingdom)\n---\n" +
			"\nSky UK is a broadcaster.\n",
	}
	names, err := fs.Glob(fsys, "*")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(wantFiles) {
		t.Errorf("got files %q, want %d files", names, len(wantFiles))
	}
	for name, want := range wantFiles {
		got, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Errorf("read %s: %v", name, err)
			continue
		}
		if string(got) != want {
			t.Errorf("%s: got\n%q\nwant\n%q", name, got, want)
		}
	}
	if err := fstest.TestFS(fsys, "000_AC_DC.txt", "001_Sky_(United_Kingdom).txt"); err != nil {
		t.Errorf("fstest.TestFS: %v", err)
	}

	want := []Question{
		{ID: "q1", Question: "Where was AC/DC formed?", Answers: []string{"Sydney", "in Sydney"}, Source: "000_AC_DC.txt", Kind: "squad"},
		{ID: "q2", Question: "Who plays lead guitar?", Answers: []string{"Angus Young"}, Source: "000_AC_DC.txt", Kind: "squad"},
		{ID: "q3", Question: "What is Sky UK?", Answers: []string{"a broadcaster"}, Source: "001_Sky_(United_Kingdom).txt", Kind: "squad"},
		{ID: "q4", Question: "Impossible?", Source: "001_Sky_(United_Kingdom).txt", Kind: "unanswerable"},
	}
	if len(qs) != len(want) {
		t.Fatalf("got %d questions %+v, want %d", len(qs), qs, len(want))
	}
	for i, w := range want {
		g := qs[i]
		if g.ID != w.ID || g.Question != w.Question || g.Source != w.Source || g.Kind != w.Kind || !slices.Equal(g.Answers, w.Answers) {
			t.Errorf("question %d: got %+v, want %+v", i, g, w)
		}
	}
}

func TestReadSQuADErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"not json", `{"data": [`, "read squad"},
		{"no articles", `{"version": "1.1", "data": []}`, "no articles"},
		{"duplicate id", `{"data": [{"title": "T", "paragraphs": [{"context": "c", "qas": [
			{"id": "x", "question": "a?", "answers": []}, {"id": "x", "question": "b?", "answers": []}]}]}]}`, "question x: duplicate id"},
		{"missing id", `{"data": [{"title": "T", "paragraphs": [{"context": "c", "qas": [{"question": "a?"}]}]}]}`, "without id"},
		{"missing question", `{"data": [{"title": "T", "paragraphs": [{"context": "c", "qas": [{"id": "y", "question": " "}]}]}]}`, "question y: missing question"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadSQuAD(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestFileSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Super_Bowl_50", "Super_Bowl_50"},
		{"Fresno,_California", "Fresno,_California"},
		{"AC/DC", "AC_DC"},
		{`a\b:c*d?"e"<f>|g h`, "a_b_c_d__e__f__g_h"},
		{"Zürich", "Zürich"},
		{"", "untitled"},
		{strings.Repeat("é", 50), strings.Repeat("é", 40)},
	}
	for _, tt := range tests {
		if got := fileSafe(tt.in); got != tt.want {
			t.Errorf("fileSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func squadDevPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CITEBOT_SQUAD_DEV")
	if path == "" {
		path = "../../../shared/data/squad/dev-v1.1.json"
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("SQuAD dev file not available (set CITEBOT_SQUAD_DEV): %v", err)
	}
	return path
}

func readSQuADDev(t *testing.T) (fs.FS, []Question) {
	t.Helper()
	f, err := os.Open(squadDevPath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fsys, qs, err := ReadSQuAD(f)
	if err != nil {
		t.Fatal(err)
	}
	return fsys, qs
}

// bodyParagraphs splits a ReadSQuAD document after its front matter into
// its blank-line-separated paragraphs.
func bodyParagraphs(t *testing.T, doc string) []string {
	t.Helper()
	rest, ok := strings.CutPrefix(doc, "---\ntitle: ")
	if !ok {
		t.Fatalf("document does not start with front matter: %.60q", doc)
	}
	_, body, ok := strings.Cut(rest, "\n---\n")
	if !ok {
		t.Fatalf("front matter not closed: %.60q", doc)
	}
	var ps []string
	for p := range strings.SplitSeq(body, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			ps = append(ps, p)
		}
	}
	return ps
}

// TestReadSQuADDev checks the published counts of SQuAD v1.1 dev and that
// every question's answer lies in one paragraph of its document.
func TestReadSQuADDev(t *testing.T) {
	fsys, qs := readSQuADDev(t)
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	paras := make(map[string][]string) // file -> normalised paragraphs
	total := 0
	for _, e := range entries {
		data, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range bodyParagraphs(t, string(data)) {
			if strings.Contains(p, "\n") {
				t.Errorf("%s: paragraph holds a line break: %.60q", e.Name(), p)
			}
			paras[e.Name()] = append(paras[e.Name()], Normalize(p))
		}
		total += len(paras[e.Name()])
	}
	if len(entries) != 48 || total != 2067 || len(qs) != 10570 {
		t.Errorf("got %d documents, %d paragraphs, %d questions, want 48, 2067, 10570", len(entries), total, len(qs))
	}
	if got, want := entries[8].Name(), "008_Sky_(United_Kingdom).txt"; got != want {
		t.Errorf("document 8: got %s, want %s", got, want)
	}

	q := qs[0]
	if q.ID != "56be4db0acb8001400a502ec" || !slices.Equal(q.Answers, []string{"Denver Broncos"}) || q.Kind != KindSQuAD || q.Source != "000_Super_Bowl_50.txt" {
		t.Errorf("first question: got %+v, want id 56be4db0acb8001400a502ec, answers [Denver Broncos] from 000_Super_Bowl_50.txt", q)
	}
	lost := 0
	for _, q := range qs {
		if !q.Answerable() {
			t.Errorf("question %s has no answers", q.ID)
			continue
		}
		// The paragraphs are normalised already: compare directly.
		found := slices.ContainsFunc(paras[q.Source], func(p string) bool {
			return slices.ContainsFunc(q.Answers, func(a string) bool { return strings.Contains(p, Normalize(a)) })
		})
		if !found {
			lost++
			if lost <= 5 {
				t.Errorf("question %s: no paragraph of %s holds any of %q", q.ID, q.Source, q.Answers)
			}
		}
	}
	if lost > 0 {
		t.Errorf("got %d questions whose answers are in no paragraph of their document, want 0", lost)
	}
}

// TestSQuADCorpus checks that package corpus, loading the documents of
// ReadSQuAD, keeps their titles and every answer in some passage of the
// answer's document: SQuAD scores mean nothing otherwise. It skips while
// corpus.Load is not available.
func TestSQuADCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: loads SQuAD dev")
	}
	fsys, qs := readSQuADDev(t)
	c, err := corpus.Load(fsys, corpus.Options{})
	if err != nil {
		t.Skipf("corpus.Load: %v", err)
	}
	if len(c.Documents) != 48 || len(c.Skipped) != 0 {
		t.Errorf("got %d documents, %d skipped %v, want 48, 0", len(c.Documents), len(c.Skipped), c.Skipped)
	}
	passages := make(map[string][]string)
	for _, d := range c.Documents {
		if d.Source == "008_Sky_(United_Kingdom).txt" && d.Title != "Sky (United Kingdom)" {
			t.Errorf("title of %s: got %q, want %q", d.Source, d.Title, "Sky (United Kingdom)")
		}
		for _, p := range d.Passages {
			passages[p.Source] = append(passages[p.Source], p.Text)
		}
	}
	lost := 0
	for _, q := range qs {
		if !slices.ContainsFunc(passages[q.Source], NewMatcher(q.Answers).Match) {
			lost++
			if lost <= 5 {
				t.Logf("question %s: no passage of %s holds any of %q", q.ID, q.Source, q.Answers)
			}
		}
	}
	// Long paragraphs are split at sentence boundaries, which may rarely
	// separate an answer that spans one; allow 0.2 %.
	if limit := len(qs) / 500; lost > limit {
		t.Errorf("got %d of %d questions whose answers are in no passage, want at most %d", lost, len(qs), limit)
	}
}
