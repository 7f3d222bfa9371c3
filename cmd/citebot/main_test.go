package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedDir is ../shared beside the checkout, where the evaluation data lives.
const sharedDir = "../../../shared"

func runCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestAskJSONAnswersFromEmbeddedCorpus(t *testing.T) {
	index := t.TempDir()
	out, stderr, err := runCmd(t, nil, "ask", "--index", index, "--json", "-k", "3", "How many Britons travelled to Syria and Iraq?")
	if err != nil {
		t.Fatalf("ask: %v\n%s", err, stderr)
	}
	var hits []map[string]any
	if err := json.Unmarshal([]byte(out), &hits); err != nil {
		t.Fatalf("ask --json printed %q: %v", out, err)
	}
	if len(hits) == 0 || len(hits) > 3 {
		t.Fatalf("got %d hits, want 1 to 3", len(hits))
	}
	for _, key := range []string{"text", "best_sentence", "score", "title", "section", "paragraph", "source", "date", "url"} {
		if _, ok := hits[0][key]; !ok {
			t.Errorf("hit has no %q key: %v", key, hits[0])
		}
	}
	top := hits[0]
	if !strings.Contains(top["text"].(string), "800 Britons") {
		t.Errorf("got top passage %q, want the one about 800 Britons", top["text"])
	}
	if top["source"] != "000_451b94beb1f441e5.txt" {
		t.Errorf("got source %v, want 000_451b94beb1f441e5.txt", top["source"])
	}
	if top["date"] != "Thursday, 31 August 2017" {
		t.Errorf("got date %v, want Thursday, 31 August 2017", top["date"])
	}
	// The quoted text is the source's text, word for word.
	src, err := os.ReadFile(filepath.Join("../../corpus/default", top["source"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(strings.Fields(string(src)), " "), top["text"].(string)) {
		t.Errorf("quoted text is not in its source file: %q", top["text"])
	}
}

func TestAskJSONNothingRelevantIsEmptyArray(t *testing.T) {
	out, stderr, err := runCmd(t, nil, "ask", "--index", t.TempDir(), "--json", "What is the best recipe for chocolate cake?")
	if err != nil {
		t.Fatalf("ask: %v\n%s", err, stderr)
	}
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("got %s, want []", out)
	}
}

func TestAskTextHasCitation(t *testing.T) {
	out, stderr, err := runCmd(t, map[string]string{"CITEBOT_INDEX_DIR": t.TempDir()}, "ask", "Who", "is", "head", "of", "policy", "at", "Quilliam?", "-k", "1")
	if err != nil {
		t.Fatalf("ask: %v\n%s", err, stderr)
	}
	for _, want := range []string{"Jonathan Russell", "Westminster attack was long overdue", "paragraph"} {
		if !strings.Contains(out, want) {
			t.Errorf("ask printed %q, want it to contain %q", out, want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"unknown command", []string{"frobnicate"}},
		{"ask without question", []string{"ask"}},
		{"ask bad k", []string{"ask", "-k", "0", "why"}},
		{"ask unknown flag", []string{"ask", "--nope", "why"}},
		{"eval without input", []string{"eval"}},
		{"eval with both inputs", []string{"eval", "--questions", "a", "--squad", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCmd(t, nil, tt.args...)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("got %v, want a usage error", err)
			}
			if code := exitCode(err, &bytes.Buffer{}); code != 2 {
				t.Errorf("got exit code %d, want 2", code)
			}
		})
	}
}

func TestServeWithoutTokenSaysHowToGetOne(t *testing.T) {
	_, _, err := runCmd(t, nil, "serve")
	if err == nil {
		t.Fatal("got no error, want one about DISCORD_TOKEN")
	}
	for _, want := range []string{"DISCORD_TOKEN", "citebot ask"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestMissingCorpusFolderIsClearError(t *testing.T) {
	_, _, err := runCmd(t, nil, "ask", "--corpus", filepath.Join(t.TempDir(), "nope"), "why")
	if err == nil || !strings.Contains(err.Error(), "--corpus") {
		t.Fatalf("got %v, want an error naming --corpus", err)
	}
}

func TestEvalSeedDevJSON(t *testing.T) {
	questions := filepath.Join(sharedDir, "eval", "seed-dev.jsonl")
	if _, err := os.Stat(questions); err != nil {
		t.Skipf("no evaluation data: %v", err)
	}
	out, stderr, err := runCmd(t, nil, "eval", "--questions", questions, "--json")
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, stderr)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("eval --json printed %q: %v", out, err)
	}
	rep := map[string]float64{}
	for k, v := range raw {
		if f, ok := v.(float64); ok {
			rep[k] = f
		}
	}
	for _, key := range []string{"answerable", "unanswerable", "hit1", "hit3", "hit5", "mrr", "abstain_accuracy", "false_abstains", "p50_ms", "p99_ms", "build_ms", "passages"} {
		if _, ok := rep[key]; !ok {
			t.Errorf("report has no %q key", key)
		}
	}
	if rep["answerable"] != 35 || rep["unanswerable"] != 5 {
		t.Errorf("got %v answerable and %v unanswerable, want 35 and 5", rep["answerable"], rep["unanswerable"])
	}
	if rep["hit3"] < 0.85 {
		t.Errorf("got hit@3 %.3f, want at least 0.85", rep["hit3"])
	}
}

func TestEvalFailsBelowThreshold(t *testing.T) {
	questions := filepath.Join(sharedDir, "eval", "seed-dev.jsonl")
	if _, err := os.Stat(questions); err != nil {
		t.Skipf("no evaluation data: %v", err)
	}
	out, _, err := runCmd(t, nil, "eval", "--questions", questions, "--min-hit1", "1.01")
	if err == nil || !strings.Contains(err.Error(), "below --min-hit1") {
		t.Fatalf("got %v, want a failure below --min-hit1", err)
	}
	if !strings.Contains(out, "hit@1") {
		t.Errorf("eval printed %q, want a report with hit@1", out)
	}
}

func TestEvalCompareShowsThreeSystems(t *testing.T) {
	questions := filepath.Join(sharedDir, "eval", "seed-dev.jsonl")
	if _, err := os.Stat(questions); err != nil {
		t.Skipf("no evaluation data: %v", err)
	}
	out, stderr, err := runCmd(t, nil, "eval", "--questions", questions, "--compare", "--json")
	if err != nil {
		t.Fatalf("eval --compare: %v\n%s", err, stderr)
	}
	var got struct {
		Systems []struct {
			Name string  `json:"name"`
			Hit1 float64 `json:"hit1"`
		} `json:"systems"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("eval --compare --json printed %q: %v", out, err)
	}
	var names []string
	for _, s := range got.Systems {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "citebot,bleve-default,bleve-en-bm25" {
		t.Errorf("got systems %v, want citebot, bleve-default, bleve-en-bm25", names)
	}
}

func TestProgressOnTerminalOnly(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, label: "indexing", tty: true}
	p.update(1, 2)
	p.update(2, 2)
	p.done()
	if got := buf.String(); !strings.HasSuffix(got, "\rindexing 2/2 (100%)\n") || strings.Count(got, "\n") != 1 {
		t.Errorf("got %q, want one line ending in the final count and a single newline", got)
	}
	buf.Reset()
	p = newProgress(&buf, "indexing") // not a terminal
	p.update(1, 1)
	p.done()
	if buf.Len() != 0 {
		t.Errorf("got %q on a non-terminal, want nothing", buf.String())
	}
}
