package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Index is `citebot index`: it builds the index of a corpus and prints what
// it holds.
type Index struct {
	Corpus   source
	IndexDir string
	Logger   *slog.Logger
}

func runIndex(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("index", flag.ContinueOnError)
	fs.SetOutput(stderr)
	corpusDir := fs.String("corpus", "", "corpus `folder` (default: $CITEBOT_CORPUS_DIR, else the embedded corpus)")
	index := fs.String("index", "", "index `folder` (default: $CITEBOT_INDEX_DIR, else the user cache)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: citebot index [flags]")
		fs.PrintDefaults()
	}
	words, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(words) > 0 {
		return usagef("index: unexpected argument %q", words[0])
	}
	var ix Index
	if ix.Corpus, err = corpusSource(*corpusDir, getenv); err != nil {
		return err
	}
	if ix.IndexDir, err = indexDir(*index, ix.Corpus, getenv); err != nil {
		return err
	}
	if ix.Logger, err = newLogger(getenv, stderr); err != nil {
		return err
	}
	return ix.Run(ctx, stdout, stderr)
}

// Run builds the index. An index that is already up to date is rebuilt all
// the same: asking for a build means wanting one.
func (ix *Index) Run(ctx context.Context, stdout, stderr io.Writer) error {
	start := time.Now()
	st, c, built, err := openStore(ctx, ix.Corpus, ix.IndexDir, ix.Logger, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	if !built {
		p := newProgress(stderr, "indexing passages")
		_, err := st.Rebuild(ctx, c)
		p.done()
		if err != nil {
			return fmt.Errorf("build index %s: %w", ix.IndexDir, err)
		}
	}
	took := time.Since(start)
	docs := st.Documents()
	passages := 0
	for _, d := range docs {
		passages += d.Passages
	}
	fmt.Fprintf(stdout, "corpus:    %s\n", ix.Corpus)
	fmt.Fprintf(stdout, "index:     %s\n", ix.IndexDir)
	fmt.Fprintf(stdout, "documents: %d\n", len(docs))
	fmt.Fprintf(stdout, "passages:  %d\n", passages)
	fmt.Fprintf(stdout, "skipped:   %d\n", len(c.Skipped))
	for _, s := range c.Skipped {
		fmt.Fprintf(stdout, "  %s: %s\n", s.Path, s.Reason)
	}
	for _, w := range c.Warnings {
		fmt.Fprintf(stdout, "warning:   %s: %s\n", w.Path, w.Reason)
	}
	fmt.Fprintf(stdout, "took:      %s\n", took.Round(time.Millisecond))
	return nil
}
