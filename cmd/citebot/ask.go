package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/citebot/citebot/bot"
	"github.com/citebot/citebot/retrieval"
)

// Ask is `citebot ask`: it prints the best passages for one question.
type Ask struct {
	Corpus   source // where the documents come from
	IndexDir string // where the index lives
	K        int    // passages to print; 0 means 3
	Source   string // restrict to one document ("" means all)
	JSON     bool   // print a JSON array instead of text
	Question string
	Logger   *slog.Logger
}

// jsonHit is one hit as `citebot ask --json` prints it.
type jsonHit struct {
	Text         string  `json:"text"`
	BestSentence string  `json:"best_sentence"`
	Score        float64 `json:"score"`
	Title        string  `json:"title"`
	Section      string  `json:"section"`
	Paragraph    int     `json:"paragraph"`
	Part         int     `json:"part,omitempty"`
	Source       string  `json:"source"`
	Lines        [2]int  `json:"lines"`
	Date         string  `json:"date"`
	URL          string  `json:"url"`
}

func runAsk(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ask", flag.ContinueOnError)
	fs.SetOutput(stderr)
	corpusDir := fs.String("corpus", "", "corpus `folder` (default: $CITEBOT_CORPUS_DIR, else the embedded corpus)")
	index := fs.String("index", "", "index `folder` (default: $CITEBOT_INDEX_DIR, else the user cache)")
	k := fs.Int("k", 3, "number of passages to print (1-20)")
	src := fs.String("source", "", "only search the document with this `path` (as in the citations)")
	asJSON := fs.Bool("json", false, "print a JSON array of hits")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: citebot ask [flags] QUESTION...")
		fs.PrintDefaults()
	}
	words, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	question := strings.TrimSpace(strings.Join(words, " "))
	if question == "" {
		fs.Usage()
		return usagef("ask: no question given")
	}
	if *k < 1 || *k > 20 {
		return usagef("ask: -k %d: want 1 to 20", *k)
	}
	a := Ask{K: *k, Source: *src, JSON: *asJSON, Question: question}
	if a.Corpus, err = corpusSource(*corpusDir, getenv); err != nil {
		return err
	}
	if a.IndexDir, err = indexDir(*index, a.Corpus, getenv); err != nil {
		return err
	}
	if a.Logger, err = newCLILogger(getenv, stderr); err != nil {
		return err
	}
	return a.Run(ctx, stdout, stderr)
}

// Run answers the question.
func (a *Ask) Run(ctx context.Context, stdout, stderr io.Writer) error {
	st, _, _, err := openStore(ctx, a.Corpus, a.IndexDir, a.Logger, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.Search(ctx, a.Question, retrieval.SearchOptions{Limit: a.K, Source: a.Source})
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if res.Truncated {
		fmt.Fprintf(stderr, "note: the question was cut to its first %d characters\n", len([]rune(res.Query)))
	}
	if !a.JSON {
		_, err = io.WriteString(stdout, bot.RenderText(a.Question, res))
		return err
	}
	hits := make([]jsonHit, 0, len(res.Hits))
	for _, h := range res.Hits {
		p := h.Passage
		hits = append(hits, jsonHit{
			Text: p.Text, BestSentence: h.BestSentence, Score: h.Score,
			Title: p.Title, Section: p.Section, Paragraph: p.Paragraph, Part: p.Part,
			Source: p.Source, Lines: [2]int{p.StartLine, p.EndLine}, Date: p.Date, URL: p.URL,
		})
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(hits)
}

// parseInterleaved parses flags that may come before, between or after the
// positional words ("citebot ask how many -k 5 Britons"), returning the words.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return words, nil
		}
		if args[0] == "--" {
			return append(words, args[1:]...), nil
		}
		words = append(words, args[0])
		args = args[1:]
	}
}
