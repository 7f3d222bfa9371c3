package eval

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// fixtureReport runs the fixture under synctest's fake clock, so latencies
// are exactly 1..11 ms, with k hits scored.
func fixtureReport(t *testing.T, k int) *Report {
	t.Helper()
	var rep *Report
	synctest.Test(t, func(t *testing.T) {
		qs, c := fixture()
		var err error
		rep, err = Run(t.Context(), c.Search, qs, RunOptions{K: k})
		if err != nil {
			t.Fatal(err)
		}
	})
	rep.BuildMs = 1234.5678
	rep.Passages = 42
	return rep
}

func TestWriteText(t *testing.T) {
	var buf bytes.Buffer
	if err := fixtureReport(t, 5).WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.txt.golden", buf.Bytes())
}

func TestWriteTextEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := Summarize(nil, 0).WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{"hit@1             n/a\n", "abstain accuracy  n/a\n", "false abstains    0\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("got\n%s\nwant it to contain %q", got, want)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	rep := fixtureReport(t, 5)
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json.golden", buf.Bytes())

	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("output is not one JSON object: %v", err)
	}
	want := map[string]float64{
		"answerable": 8, "unanswerable": 3,
		"hit1": 1.0 / 8, "hit3": 3.0 / 8, "hit5": 4.0 / 8, "mrr": (1 + 1.0/2 + 1.0/3 + 1.0/4) / 8,
		"abstain_accuracy": 2.0 / 3, "false_abstains": 2,
		"p50_ms": 6, "p99_ms": 11, "build_ms": 1234.568, "passages": 42,
	}
	for k, w := range want {
		g, ok := m[k].(float64)
		if !ok {
			t.Errorf("key %s: got %v, want number %v", k, m[k], w)
			continue
		}
		if !near(g, w) {
			t.Errorf("key %s: got %v, want %v", k, g, w)
		}
	}
	if _, ok := m["questions"]; ok {
		t.Errorf("got per-question results by default, want them only with WithQuestions")
	}

	rep.WithQuestions = true
	buf.Reset()
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "report_questions.json.golden", buf.Bytes())
	var withQ struct {
		Questions []struct {
			ID        string  `json:"id"`
			Rank      int     `json:"rank"`
			Correct   bool    `json:"correct"`
			LatencyMs float64 `json:"latency_ms"`
		} `json:"questions"`
	}
	if err := json.Unmarshal(buf.Bytes(), &withQ); err != nil {
		t.Fatal(err)
	}
	if len(withQ.Questions) != 11 || withQ.Questions[1].ID != "q02" || withQ.Questions[1].Rank != 2 ||
		!withQ.Questions[1].Correct || withQ.Questions[1].LatencyMs != 2 {
		t.Errorf("got questions %+v, want 11 with q02 at rank 2, correct, 2 ms", withQ.Questions)
	}
}

func TestWriteCompare(t *testing.T) {
	names := []string{"bleve-default", "citebot"}
	reports := []*Report{fixtureReport(t, 3), fixtureReport(t, 5)}
	reports[1].BuildMs = 99
	var buf bytes.Buffer
	if err := WriteCompare(&buf, names, reports); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.txt.golden", buf.Bytes())

	buf.Reset()
	if err := WriteCompareJSON(&buf, names, reports); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.json.golden", buf.Bytes())
	var got struct {
		Systems []struct {
			Name string  `json:"name"`
			Hit5 float64 `json:"hit5"`
		} `json:"systems"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Systems) != 2 || got.Systems[0].Name != names[0] || !near(got.Systems[0].Hit5, 3.0/8) ||
		got.Systems[1].Name != names[1] || !near(got.Systems[1].Hit5, 4.0/8) {
		t.Errorf("got systems %+v, want %v with hit5 3/8 and 4/8", got.Systems, names)
	}
}

func TestWriteCompareErrors(t *testing.T) {
	rep := Summarize(nil, 0)
	tests := []struct {
		name    string
		names   []string
		reports []*Report
	}{
		{"fewer names", []string{"a"}, []*Report{rep, rep}},
		{"no reports", nil, nil},
		{"nil report", []string{"a", "b"}, []*Report{rep, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := WriteCompare(&bytes.Buffer{}, tt.names, tt.reports); err == nil {
				t.Errorf("WriteCompare: got no error, want one")
			}
			if err := WriteCompareJSON(&bytes.Buffer{}, tt.names, tt.reports); err == nil {
				t.Errorf("WriteCompareJSON: got no error, want one")
			}
		})
	}
}
