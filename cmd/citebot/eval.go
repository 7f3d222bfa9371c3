package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/citebot/citebot/corpus"
	"github.com/citebot/citebot/retrieval"
	"github.com/citebot/citebot/retrieval/eval"
)

// Eval is `citebot eval`: it builds a fresh index of a corpus, asks every
// question of a question set, and scores the ranking.
type Eval struct {
	Questions string // JSON Lines question file (see ../shared/eval/README.md)
	SQuAD     string // a SQuAD v1.1 file: its articles are the corpus
	Corpus    source // corpus for Questions
	K         int    // passages per question; 0 means 5
	JSON      bool
	MinHit1   float64 // fail when hit@1 is below (0 means no check)
	MinHit3   float64 // fail when hit@3 is below (0 means no check)
	Logger    *slog.Logger
}

func runEval(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var e Eval
	fs.StringVar(&e.Questions, "questions", "", "question `file` in JSON Lines")
	fs.StringVar(&e.SQuAD, "squad", "", "SQuAD v1.1 `file` (its articles become the corpus)")
	corpusDir := fs.String("corpus", "", "corpus `folder` for --questions (default: $CITEBOT_CORPUS_DIR, else the embedded corpus)")
	fs.IntVar(&e.K, "k", 5, "passages retrieved per question")
	fs.BoolVar(&e.JSON, "json", false, "print one JSON object instead of text")
	fs.Float64Var(&e.MinHit1, "min-hit1", 0, "exit 1 when hit@1 is below this fraction")
	fs.Float64Var(&e.MinHit3, "min-hit3", 0, "exit 1 when hit@3 is below this fraction")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: citebot eval (--questions FILE.jsonl | --squad FILE.json) [flags]")
		fs.PrintDefaults()
	}
	words, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(words) > 0 {
		return usagef("eval: unexpected argument %q", words[0])
	}
	if (e.Questions == "") == (e.SQuAD == "") {
		fs.Usage()
		return usagef("eval: give exactly one of --questions and --squad")
	}
	if e.K < 1 || e.K > 100 {
		return usagef("eval: -k %d: want 1 to 100", e.K)
	}
	if e.Corpus, err = corpusSource(*corpusDir, getenv); err != nil {
		return err
	}
	if e.Logger, err = newCLILogger(getenv, stderr); err != nil {
		return err
	}
	return e.Run(ctx, stdout, stderr)
}

// Run scores the ranking and prints the report.
func (e *Eval) Run(ctx context.Context, stdout, stderr io.Writer) error {
	docs, qs, err := e.load()
	if err != nil {
		return err
	}
	c, err := corpus.Load(docs, corpus.Options{})
	if err != nil {
		return fmt.Errorf("load corpus: %w", err)
	}
	tmp, err := os.MkdirTemp("", "citebot-eval-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	p := newProgress(stderr, "indexing passages")
	start := time.Now()
	ix, err := retrieval.Build(ctx, tmp+"/index", c, retrieval.Options{Logger: e.Logger, Progress: p.update})
	p.done()
	if err != nil {
		return fmt.Errorf("build index: %w", err)
	}
	defer ix.Close()
	build := time.Since(start)

	search := func(ctx context.Context, q string) (retrieval.Result, error) {
		return ix.Search(ctx, q, retrieval.SearchOptions{Limit: e.K})
	}
	rep, err := eval.Run(ctx, search, qs, eval.RunOptions{K: e.K})
	if err != nil {
		return err
	}
	rep.BuildMs = float64(build.Microseconds()) / 1000
	rep.Passages = len(c.Passages())
	if e.JSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if e.MinHit1 > 0 && rep.Hit1 < e.MinHit1 {
		return fmt.Errorf("eval: hit@1 %.3f is below --min-hit1 %.3f", rep.Hit1, e.MinHit1)
	}
	if e.MinHit3 > 0 && rep.Hit3 < e.MinHit3 {
		return fmt.Errorf("eval: hit@3 %.3f is below --min-hit3 %.3f", rep.Hit3, e.MinHit3)
	}
	return nil
}

// load returns the documents and the questions to ask.
func (e *Eval) load() (fs.FS, []eval.Question, error) {
	if e.SQuAD != "" {
		f, err := os.Open(e.SQuAD)
		if err != nil {
			return nil, nil, fmt.Errorf("eval: %w", err)
		}
		defer f.Close()
		docs, qs, err := eval.ReadSQuAD(f)
		if err != nil {
			return nil, nil, fmt.Errorf("eval: read %s: %w", e.SQuAD, err)
		}
		return docs, qs, nil
	}
	f, err := os.Open(e.Questions)
	if err != nil {
		return nil, nil, fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	qs, err := eval.ReadQuestions(f)
	if err != nil {
		return nil, nil, fmt.Errorf("eval: read %s: %w", e.Questions, err)
	}
	return e.Corpus.FS(), qs, nil
}
