package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
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
	// Compare also runs plain Bleve (defaults, and en + BM25) on the same
	// data in the same process and prints the three side by side.
	Compare bool
	MinHit1 float64 // fail when hit@1 is below (0 means no check)
	MinHit3 float64 // fail when hit@3 is below (0 means no check)
	Logger  *slog.Logger
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
	fs.BoolVar(&e.Compare, "compare", false, "also score plain Bleve (defaults, and en + BM25) and print the three side by side")
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

	rankings := []retrieval.Ranking{retrieval.RankingCitebot}
	if e.Compare {
		rankings = append(rankings, retrieval.RankingBleveDefault, retrieval.RankingBleveEnBM25)
	}
	var (
		names   []string
		reports []*eval.Report
	)
	for _, r := range rankings {
		rep, err := e.score(ctx, filepath.Join(tmp, r.String()), c, qs, r, stderr)
		if err != nil {
			return err
		}
		names = append(names, r.String())
		reports = append(reports, rep)
	}
	switch {
	case e.Compare && e.JSON:
		err = eval.WriteCompareJSON(stdout, names, reports)
	case e.Compare:
		err = eval.WriteCompare(stdout, names, reports)
	case e.JSON:
		err = reports[0].WriteJSON(stdout)
	default:
		err = reports[0].WriteText(stdout)
	}
	if err != nil {
		return err
	}
	rep := reports[0]
	if e.MinHit1 > 0 && rep.Hit1 < e.MinHit1 {
		return fmt.Errorf("eval: hit@1 %.3f is below --min-hit1 %.3f", rep.Hit1, e.MinHit1)
	}
	if e.MinHit3 > 0 && rep.Hit3 < e.MinHit3 {
		return fmt.Errorf("eval: hit@3 %.3f is below --min-hit3 %.3f", rep.Hit3, e.MinHit3)
	}
	return nil
}

// score builds a fresh index of c with ranking r in dir and asks every
// question.
func (e *Eval) score(ctx context.Context, dir string, c *corpus.Corpus, qs []eval.Question, r retrieval.Ranking, stderr io.Writer) (*eval.Report, error) {
	p := newProgress(stderr, "indexing passages ("+r.String()+")")
	start := time.Now()
	ix, err := retrieval.Build(ctx, dir, c, retrieval.Options{Logger: e.Logger, Progress: p.update, Ranking: r})
	p.done()
	if err != nil {
		return nil, fmt.Errorf("build index (%s): %w", r, err)
	}
	defer ix.Close()
	build := time.Since(start)
	rep, err := eval.Run(ctx, eval.ForIndex(ix, e.K), qs, eval.RunOptions{K: e.K})
	if err != nil {
		return nil, err
	}
	rep.BuildMs = float64(build.Microseconds()) / 1000
	rep.Passages = ix.Len()
	return rep, nil
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
