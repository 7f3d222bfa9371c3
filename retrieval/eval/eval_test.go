package eval

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"lower", "MI5 Live", "mi5 live"},
		{"trim", "  a b \n", "a b"},
		{"runs", "a \t\n\r b", "a b"},
		{"nbsp", "3,500\u00a0individuals", "3,500 individuals"},
		{"narrow nbsp and em space", "a\u202fb\u2003c", "a b c"},
		{"curly kept", "Years’ “Quote”", "years’ “quote”"},
		{"punctuation kept", "U.S.-led, (2017)", "u.s.-led, (2017)"},
		{"empty", " \n ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name    string
		answers []string
		text    string
		want    bool
	}{
		{"exact", []string{"over 400 live operations"}, "MI5 has over 400 live operations.", true},
		{"case", []string{"PC Keith Palmer"}, "pc KEITH palmer was killed", true},
		{"nbsp in passage", []string{"3,500 individuals"}, "some 3,500\u00a0individuals", true},
		{"nbsp in answer", []string{"3,500\u00a0individuals"}, "some 3,500 individuals", true},
		{"line break in passage", []string{"murdered three people"}, "he murdered\nthree  people", true},
		{"answer with outer spaces", []string{" 40 "}, "injured 40 people", true},
		{"curly apostrophe vs straight", []string{"30 years’ incarceration"}, "30 years' incarceration", false},
		{"straight apostrophe vs curly", []string{"30 years' incarceration"}, "30 years’ incarceration", false},
		{"curly apostrophe both", []string{"30 years’ incarceration"}, "faces 30 YEARS’ incarceration", true},
		{"curly double quotes", []string{"“moderate imams”"}, "\"moderate imams\"", false},
		{"punctuation must match", []string{"3,500 individuals"}, "3500 individuals", false},
		{"hyphen must match", []string{"counter-terrorism units"}, "counterterrorism units", false},
		{"substring inside word", []string{"cat"}, "concatenate", true},
		{"second answer", []string{"Joshua Stewart", "Jonathan Russell"}, "said Jonathan Russell.", true},
		{"no answers", nil, "anything", false},
		{"empty answer ignored", []string{"", "  "}, "anything", false},
		{"no space folding inside words", []string{"ab"}, "a b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(tt.answers, tt.text); got != tt.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tt.answers, tt.text, got, tt.want)
			}
		})
	}
}

func TestReadQuestions(t *testing.T) {
	in := "\uFEFF" + `{"id": "dev-001", "question": "Who?", "answers": [], "source": "", "kind": "unanswerable"}` + "\r\n" +
		"\n" +
		`{"id": "dev-002", "question": "MI5 live operations count", "answers": ["over 400 live operations", "x"], "source": "002.txt", "kind": "keyword", "note": "extra fields are ignored"}` + "\n" +
		`{"id": "dev-003", "question": "no trailing newline", "answers": ["a"]}`
	got, err := ReadQuestions(strings.NewReader(in))
	if err != nil {
		t.Fatalf("ReadQuestions: %v", err)
	}
	want := []Question{
		{ID: "dev-001", Question: "Who?", Answers: []string{}, Kind: "unanswerable"},
		{ID: "dev-002", Question: "MI5 live operations count", Answers: []string{"over 400 live operations", "x"}, Source: "002.txt", Kind: "keyword"},
		{ID: "dev-003", Question: "no trailing newline", Answers: []string{"a"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d questions, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Question != w.Question || g.Source != w.Source || g.Kind != w.Kind || !slices.Equal(g.Answers, w.Answers) {
			t.Errorf("question %d: got %+v, want %+v", i, g, w)
		}
	}
	if got[0].Answerable() || !got[1].Answerable() {
		t.Errorf("Answerable: got %v, %v, want false, true", got[0].Answerable(), got[1].Answerable())
	}
}

func TestReadQuestionsErrors(t *testing.T) {
	const ok = `{"id": "a", "question": "q", "answers": []}` + "\n"
	tests := []struct {
		name string
		in   string
		want []string // substrings of the error
	}{
		{"bad json", ok + `{"id": "b", "question": "q", "answers": [}` + "\n", []string{"line 2", "invalid character"}},
		{"missing question", ok + `{"id": "b", "answers": []}`, []string{"line 2", "missing question"}},
		{"blank question", `{"id": "b", "question": "  ", "answers": []}`, []string{"line 1", "missing question"}},
		{"null question", `{"id": "b", "question": null, "answers": []}`, []string{"line 1", "missing question"}},
		{"missing id", "\n" + `{"question": "q", "answers": []}`, []string{"line 2", "missing id"}},
		{"missing answers", `{"id": "b", "question": "q"}`, []string{"line 1", "missing answers"}},
		{"empty answer", `{"id": "b", "question": "q", "answers": ["ok", " "]}`, []string{"line 1", "answer 2 is empty"}},
		{"answers not strings", `{"id": "b", "question": "q", "answers": [1]}`, []string{"line 1", "cannot unmarshal"}},
		{"duplicate id", ok + ok + ok, []string{"line 2", `duplicate id "a"`, "line 1"}},
		{"not an object", ok + `["a"]`, []string{"line 2"}},
		{"null line", `null`, []string{"line 1", "missing id"}},
		{"two objects on a line", strings.TrimSuffix(ok, "\n") + ok, []string{"line 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qs, err := ReadQuestions(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("got %d questions and no error, want an error containing %q", len(qs), tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// TestReadQuestionsSeedDev reads the shared question set and checks the
// counts its README states.
func TestReadQuestionsSeedDev(t *testing.T) {
	path := os.Getenv("CITEBOT_SEED_DEV")
	if path == "" {
		path = "../../../shared/eval/seed-dev.jsonl"
	}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skipf("%s not found (set CITEBOT_SEED_DEV)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	qs, err := ReadQuestions(f)
	if err != nil {
		t.Fatal(err)
	}
	kinds := make(map[string]int)
	answerable := 0
	for _, q := range qs {
		kinds[q.Kind]++
		if q.Answerable() {
			answerable++
		}
	}
	if len(qs) != 40 || answerable != 35 {
		t.Errorf("got %d questions, %d answerable, want 40, 35", len(qs), answerable)
	}
	want := map[string]int{"factoid": 6, "paraphrase": 6, "keyword": 5, "misspelled": 4, "synonym": 4, "number": 6, "who": 4, "unanswerable": 5}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("kind %s: got %d questions, want %d", k, kinds[k], n)
		}
	}
}
