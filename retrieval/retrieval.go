// Package retrieval indexes passages with Bleve and answers questions with
// ranked, cited hits.
//
// An [Index] is one on-disk Bleve (scorch) index of a corpus's passages plus
// the passages themselves. A [Store] keeps the live index under a folder,
// rebuilds into a fresh folder and swaps atomically, so searches never stop.
// No exported name mentions a Bleve type.
//
// Ranking is two-stage. Bleve ranks all passages with BM25 over English
// analysis (possessives, stop words, Porter stemming) and returns a window
// of candidates; the candidates are then re-scored from their own tokens:
// BM25 with the true average passage length, the best-matching sentence,
// and proximity of terms that are adjacent in the question. Ties go to the
// earlier passage, so rankings do not depend on how Bleve laid out its
// segments. Loading documents and chunking them into passages is left to
// package corpus; turning hits into replies is left to the bot.
package retrieval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"

	"github.com/citebot/citebot/corpus"
)

// Span is a byte range [Start, End) in a passage's Text.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Hit is one ranked passage.
type Hit struct {
	Passage corpus.Passage
	// Score is the ranking score (higher is better; comparable only
	// within one result).
	Score float64
	// BestSentence is the sentence of Passage.Text that best matches the
	// question, verbatim (a substring of Passage.Text).
	BestSentence string
	// Highlights are the spans of Passage.Text that match query terms, in
	// order and not overlapping; matched words separated only by spaces
	// share one span.
	Highlights []Span
}

// Result is the answer to one search. "Nothing relevant found" is a result
// (NoneRelevant true, Hits empty), not an error.
type Result struct {
	Hits []Hit
	// NoneRelevant is true when the best candidate was too weak to quote.
	NoneRelevant bool
	// Total is the number of matching passages before paging (for "More
	// results"); 0 when NoneRelevant.
	Total int
	// Query is the question as searched (after cutting to MaxQuestion).
	Query string
	// Truncated is true when the question was cut to MaxQuestion characters.
	Truncated bool
	// Corrected, when not empty, is the query with misspelled terms replaced
	// by close indexed terms ("showing results for ..."); the hits answer
	// the corrected query.
	Corrected string
}

// SearchOptions tunes one search. The zero value gives the defaults.
type SearchOptions struct {
	// Limit is the number of hits to return. 0 means 3.
	Limit int
	// Offset skips that many hits (paging).
	Offset int
	// Source restricts hits to one document ([corpus.Passage.Source]); ""
	// means all.
	Source string
}

// Options tunes index building and searching. The zero value gives the defaults.
type Options struct {
	// MaxQuestion is the longest question in characters; longer ones are
	// cut. 0 means 500.
	MaxQuestion int
	// Logger receives progress and warnings; nil discards them.
	Logger *slog.Logger
	// Progress, if set, is called during a build with passages indexed so far
	// and the total.
	Progress func(done, total int)
	// Ranking selects the ranking; the zero value is [RankingCitebot].
	// The baselines need an index built with the same Ranking, so give
	// [Build] and [Open] the same value.
	Ranking Ranking
	// Synonyms are groups of names for the same thing (see
	// [corpus.ParseSynonyms]); a question naming one also matches the
	// others. They add to the corpus's own [corpus.Corpus.Synonyms], which
	// [Build] keeps in the index folder. Used by searches, so [Open] must
	// get them too. Nil means none beyond the corpus's.
	Synonyms [][]string
}

const defaultMaxQuestion = 500

// ErrClosed is returned by searches on a closed index or store.
var ErrClosed = errors.New("index closed")

// Index is one built index: a Bleve index on disk plus the passages it holds.
// It is safe for concurrent searches.
type Index struct {
	dir  string
	bi   bleve.Index
	an   analyzer
	log  *slog.Logger
	maxQ int
	meta meta

	passages []corpus.Passage
	docs     []docRecord

	// terms maps each term of the text field to its id (1-based); df[id]
	// is the number of passages holding it.
	terms  map[string]uint32
	df     []uint32
	avgLen float64
	// stats are the BM25 statistics handed to Bleve with every search, so
	// that its scores do not depend on the segment layout.
	stats *search.BM25Stats

	// infos caches passages' analyses, filled on first use, up to
	// [infoBudget] bytes.
	infos *infoCache

	wordsOnce sync.Once
	words     *wordList

	params  rankParams
	syn     synonyms
	ranking Ranking

	closed atomic.Bool
}

// Build indexes the passages of c into dir, which must not exist or be empty.
// On failure, including a cancelled ctx, it removes what it wrote.
func Build(ctx context.Context, dir string, c *corpus.Corpus, opts Options) (*Index, error) {
	b, err := build(ctx, dir, c, opts)
	if err != nil {
		return nil, err
	}
	ix, err := openIndex(dir, opts, b)
	if err != nil {
		return nil, err
	}
	// The build analysed every passage already: keep what the cache
	// holds, so the first searches need not.
	for i, ts := range b.toks {
		if _, ok := ix.infos.put(i, ix.makeInfo(ix.passages[i], ts)); !ok || ix.infos.bytes() >= ix.infos.budget {
			break
		}
	}
	return ix, nil
}

// Open opens an index that [Build] wrote to dir.
func Open(dir string, opts Options) (*Index, error) {
	return openIndex(dir, opts, nil)
}

// openIndex opens the index in dir, taking what b holds from b rather
// than from the folder when b is not nil.
func openIndex(dir string, opts Options, b *built) (*Index, error) {
	ix, err := open(dir, opts, b)
	if err != nil {
		return nil, err
	}
	var groups [][]string
	if err := readJSON(filepath.Join(dir, synonymsFile), &groups); err != nil && !errors.Is(err, fs.ErrNotExist) {
		ix.Close()
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	ix.loadSynonyms(append(groups, opts.Synonyms...))
	ix.ranking = opts.Ranking
	return ix, nil
}

// Search ranks the passages for question. The question is plain text: no
// part of it is read as query syntax. An empty question, or one with no
// indexed word, gives NoneRelevant. The error is [ErrClosed] after
// [Index.Close], or ctx's error.
func (ix *Index) Search(ctx context.Context, question string, opts SearchOptions) (Result, error) {
	if ix.closed.Load() {
		return Result{}, ErrClosed
	}
	start := time.Now()
	if opts.Limit <= 0 {
		opts.Limit = 3
	}
	opts.Offset = max(opts.Offset, 0)
	var res Result
	var err error
	if ix.ranking == RankingCitebot {
		res, err = ix.search(ctx, question, opts)
	} else {
		res, err = ix.searchBaseline(ctx, question, opts)
	}
	if err != nil {
		if ix.closed.Load() {
			return Result{}, ErrClosed
		}
		return Result{}, fmt.Errorf("search %s: %w", ix.dir, err)
	}
	if ix.log.Enabled(ctx, slog.LevelDebug) {
		ix.log.Debug("searched", "question", res.Query, "corrected", res.Corrected, "hits", len(res.Hits),
			"total", res.Total, "none_relevant", res.NoneRelevant, "took_us", time.Since(start).Microseconds())
	}
	return res, nil
}

// Close releases the index. Searches after Close fail with [ErrClosed].
func (ix *Index) Close() error {
	if ix.closed.Swap(true) {
		return nil
	}
	if err := ix.bi.Close(); err != nil {
		return fmt.Errorf("close index %s: %w", ix.dir, err)
	}
	return nil
}

// Dir returns the folder the index lives in.
func (ix *Index) Dir() string { return ix.dir }

// Len returns the number of passages in the index.
func (ix *Index) Len() int { return len(ix.passages) }

func discardLogger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
