package retrieval

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/citebot/citebot/corpus"
)

// formatVersion changes whenever the layout of an index folder or the
// analysis changes; an index of another version is rebuilt.
//
// Version 2 added wordsFile; version 3 folds diacritics
// ([textAnalyzerName]).
const formatVersion = 3

// Files inside an index folder.
const (
	bleveDir     = "bleve"
	passagesFile = "passages.json"
	termsFile    = "terms.json"
	wordsFile    = "words.json" // the text's words and their counts, for spelling correction
	metaFile     = "meta.json"
	synonymsFile = "synonyms.json" // the corpus's synonym groups
)

// Bleve field names.
const (
	fieldText   = "text"
	fieldSource = "source"
)

// batchSize is the number of passages per Bleve batch: large batches build
// fewer segments, which makes both the build and searches faster. Tests
// change it to check that rankings do not depend on it.
var batchSize = 2000

// maxPrefill is the largest index whose passage analyses a build hands to
// the new [Index], so that its first searches need not analyse their
// candidates. Above it they would hold too much memory for too little
// gain: 100k passages take about 700 MB while building.
const maxPrefill = 20_000

// meta describes a built index. It is written last, so a folder without it
// is an unfinished build.
type meta struct {
	Format      int       `json:"format"`
	Fingerprint string    `json:"fingerprint"`
	Built       time.Time `json:"built"`
	BuildMS     int64     `json:"build_ms"`
	Documents   int       `json:"documents"`
	Passages    int       `json:"passages"`
	// FieldTokens is the number of analysed tokens of each Bleve field
	// over all passages.
	FieldTokens map[string]int64 `json:"field_tokens"`
}

// docRecord is a document as an index remembers it (no passages).
type docRecord struct {
	Source   string `json:"source"`
	Title    string `json:"title"`
	Date     string `json:"date"`
	URL      string `json:"url"`
	Author   string `json:"author"`
	Size     int64  `json:"size"`
	Hash     string `json:"hash"`
	Passages int    `json:"passages"`
}

type passagesJSON struct {
	Documents []docRecord      `json:"documents"`
	Passages  []corpus.Passage `json:"passages"`
}

// bleveDoc is what Bleve indexes for one passage.
type bleveDoc struct {
	Text   string `json:"text"`
	Source string `json:"source"`
}

// newMapping is the index mapping for ranking r: English analysis with
// diacritics folded ([textAnalyzerName]) and BM25; for
// [RankingBleveEnBM25] Bleve's own "en" and BM25; for
// [RankingBleveDefault] Bleve's standard analyzer and TF-IDF.
func newMapping(r Ranking) mapping.IndexMapping {
	textAnalyzer := textAnalyzerName
	im := bleve.NewIndexMapping()
	im.ScoringModel = index.BM25Scoring
	switch r {
	case RankingBleveDefault:
		textAnalyzer = standard.Name
		im.ScoringModel = index.TFIDFScoring
	case RankingBleveEnBM25:
		textAnalyzer = en.AnalyzerName
	}
	im.DefaultAnalyzer = textAnalyzer
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false

	textField := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = textAnalyzer
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = false
		return f
	}
	src := bleve.NewKeywordFieldMapping()
	src.Analyzer = keyword.Name
	src.Store = false
	src.IncludeInAll = false
	src.IncludeTermVectors = false
	src.DocValues = false

	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt(fieldText, textField())
	dm.AddFieldMappingsAt(fieldSource, src)
	// No field goes into Bleve's composite _all field: leaving it
	// enabled still costs every document a visit of an empty field.
	dm.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())
	im.DefaultMapping = dm
	return im
}

func docID(ord int) string { return fmt.Sprintf("%08d", ord) }

// built is what a build leaves in memory besides the index folder: what
// [open] would otherwise read back from it.
type built struct {
	meta meta
	pj   passagesJSON
	df   map[string]int
	// toks are the tokens of each passage's text, or nil for a corpus
	// larger than [maxPrefill] passages.
	toks [][]token
}

// build writes the index of c into dir.
func build(ctx context.Context, dir string, c *corpus.Corpus, opts Options) (_ *built, err error) {
	start := time.Now()
	lg := discardLogger(opts.Logger)
	created, err := prepareDir(dir)
	if err != nil {
		return nil, fmt.Errorf("build index %s: %w", dir, err)
	}
	defer func() {
		if err == nil {
			return
		}
		if created {
			os.RemoveAll(dir)
			return
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}()

	an, err := newAnalyzer()
	if err != nil {
		return nil, fmt.Errorf("build index %s: %w", dir, err)
	}
	var pj passagesJSON
	for _, d := range c.Documents {
		pj.Documents = append(pj.Documents, docRecord{
			Source: d.Source, Title: d.Title, Date: d.Date, URL: d.URL, Author: d.Author,
			Size: d.Size, Hash: d.Hash, Passages: len(d.Passages),
		})
		pj.Passages = append(pj.Passages, d.Passages...)
	}
	total := len(pj.Passages)

	bi, err := bleve.NewUsing(filepath.Join(dir, bleveDir), newMapping(opts.Ranking), scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("build index %s: %w", dir, err)
	}
	closed := false
	defer func() {
		if !closed {
			bi.Close()
		}
	}()

	if opts.Progress != nil {
		opts.Progress(0, total)
	}
	var toks [][]token
	if total <= maxPrefill {
		toks = make([][]token, total)
	}
	st, err := newPreparer(an, bi.Mapping()).indexAll(ctx, bi, pj.Passages, toks, func(done, total int) {
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
		lg.Debug("indexed batch", "done", done, "total", total)
	})
	if err != nil {
		return nil, fmt.Errorf("build index %s: %w", dir, err)
	}
	tokens, df, words := st.tokens, st.df, st.words
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("build index %s: %w", dir, err)
	}
	// The JSON files do not depend on Bleve's segments: write them while
	// Bleve merges, which keeps one core busy.
	wrote := make(chan error, 1)
	go func() {
		wrote <- writeFiles(dir, map[string]any{
			passagesFile: pj, termsFile: df, wordsFile: words, synonymsFile: c.Synonyms,
		})
	}()
	err = mergeAndClose(ctx, bi)
	closed = true
	if werr := <-wrote; err == nil {
		err = werr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("build index %s: %w", dir, err)
	}
	m := meta{
		Format:      formatVersion,
		Fingerprint: c.Fingerprint(),
		Built:       time.Now().UTC(),
		BuildMS:     time.Since(start).Milliseconds(),
		Documents:   len(pj.Documents),
		Passages:    total,
		FieldTokens: tokens,
	}
	if err := writeJSON(filepath.Join(dir, metaFile), m); err != nil {
		return nil, fmt.Errorf("build index %s: %w", dir, err)
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("build index %s: %w", dir, err)
	}
	lg.Info("built index", "dir", dir, "documents", m.Documents, "passages", m.Passages, "took_ms", m.BuildMS)
	return &built{meta: m, pj: pj, df: df, toks: toks}, nil
}

// mergeAndClose merges bi's segments into one, waits until that is on
// disk, and closes bi.
func mergeAndClose(ctx context.Context, bi bleve.Index) error {
	// Fewer segments make searches faster.
	var live map[string]bool
	if adv, aerr := bi.Advanced(); aerr == nil {
		if s, ok := adv.(*scorch.Scorch); ok {
			if err := s.ForceMerge(ctx, nil); err != nil {
				bi.Close()
				return fmt.Errorf("merge: %w", err)
			}
			// ForceMerge returns once the merged segment serves, which
			// may be before it is on disk: closing then would leave the
			// segments from before the merge as the index.
			known, err := waitPersisted(ctx, bi)
			if err != nil {
				bi.Close()
				return fmt.Errorf("merge: %w", err)
			}
			if known {
				live = liveFiles(s)
			}
		}
	}
	if err := bi.Close(); err != nil {
		return err
	}
	return removeDead(live)
}

// writeFiles writes each value as JSON into the file of dir it is keyed
// by, in parallel.
func writeFiles(dir string, files map[string]any) error {
	errs := make(chan error, len(files))
	for name, v := range files {
		go func() { errs <- writeJSON(filepath.Join(dir, name), v) }()
	}
	var first error
	for range files {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// waitPersisted waits until Bleve's background work is done: the current
// snapshot merged as planned and on disk. known is false when Bleve does
// not say.
func waitPersisted(ctx context.Context, bi bleve.Index) (known bool, err error) {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		st, _ := bi.StatsMap()["index"].(map[string]any)
		active, ok := st["index_bgthreads_active"].(bool)
		if !ok {
			return false, nil
		}
		if !active {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-tick.C:
		}
	}
}

// liveFiles returns the segment files of s's current snapshot, by
// folder, or nil when it cannot tell.
func liveFiles(s *scorch.Scorch) map[string]bool {
	r, err := s.Reader()
	if err != nil {
		return nil
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil
	}
	live := map[string]bool{}
	for _, ss := range snap.Segments() {
		ps, ok := ss.Segment().(interface{ Path() string })
		if !ok {
			return nil // a segment only in memory: nothing is dead
		}
		live[filepath.Clean(ps.Path())] = true
	}
	return live
}

// removeDead removes the segment files (*.zap) that sit beside the live
// ones but are not live. Scorch deletes the segments that a merge replaced
// in the background, and a build closes its index too soon for that; its
// index folders are only opened read-only after, which never deletes them.
// Left there, they would double the index's size on disk.
func removeDead(live map[string]bool) error {
	dirs := map[string]bool{}
	for p := range live {
		dirs[filepath.Dir(p)] = true
	}
	for d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			return err
		}
		for _, e := range entries {
			p := filepath.Join(d, e.Name())
			if filepath.Ext(p) == ".zap" && !live[p] {
				if err := os.Remove(p); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// prepareDir makes sure dir exists and is empty; created reports whether
// it made dir.
func prepareDir(dir string) (created bool, err error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return false, err
		}
		return true, nil
	case err != nil:
		return false, err
	case len(entries) > 0:
		return false, errors.New("folder is not empty")
	}
	return false, nil
}

// writeJSON writes v to path and syncs it.
func writeJSON(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	if err := enc.Encode(v); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// readPassages reads a passages file, decoding the passages one at a time
// rather than reading the file whole: it is most of an index's memory,
// and holding the file beside the passages would nearly double the peak.
// The passages' source, title, section, date and URL, which repeat across
// a document's passages, share one copy. n is the expected passage count
// (a capacity hint).
func readPassages(path string, n int) (passagesJSON, error) {
	var pj passagesJSON
	f, err := os.Open(path)
	if err != nil {
		return pj, err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<16))
	fail := func(err error) (passagesJSON, error) {
		return passagesJSON{}, fmt.Errorf("read %s: %w", path, err)
	}
	if err := expectDelim(dec, '{'); err != nil {
		return fail(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		switch tok {
		case "documents":
			if err := dec.Decode(&pj.Documents); err != nil {
				return fail(err)
			}
		case "passages":
			tok, err := dec.Token()
			if err != nil {
				return fail(err)
			}
			if tok == nil {
				continue // null: no passages
			}
			if tok != json.Delim('[') {
				return fail(fmt.Errorf("passages: got %v, want [", tok))
			}
			pj.Passages = make([]corpus.Passage, 0, max(n, 0))
			in := interner{}
			for dec.More() {
				var p corpus.Passage
				if err := dec.Decode(&p); err != nil {
					return fail(err)
				}
				p.Source, p.Title, p.Section = in.get(p.Source), in.get(p.Title), in.get(p.Section)
				p.Date, p.URL = in.get(p.Date), in.get(p.URL)
				pj.Passages = append(pj.Passages, p)
			}
			if err := expectDelim(dec, ']'); err != nil {
				return fail(err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail(err)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return fail(err)
	}
	return pj, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("got %v, want %v", tok, d)
	}
	return nil
}

// interner hands out one copy of each string it is given. It keeps only
// the strings of the last few documents: passages come in document order.
type interner map[string]string

func (in interner) get(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	if len(in) >= 4096 {
		clear(in)
	}
	in[s] = s
	return s
}

// readMeta reads and checks the meta file of an index folder.
func readMeta(dir string) (meta, error) {
	var m meta
	if err := readJSON(filepath.Join(dir, metaFile), &m); err != nil {
		return meta{}, err
	}
	if m.Format != formatVersion {
		return meta{}, fmt.Errorf("index format %d, want %d", m.Format, formatVersion)
	}
	return m, nil
}

func open(dir string, opts Options, b *built) (*Index, error) {
	var (
		m  meta
		pj passagesJSON
	)
	if b != nil {
		m, pj = b.meta, b.pj
	} else {
		var err error
		if m, err = readMeta(dir); err != nil {
			return nil, fmt.Errorf("open index %s: %w", dir, err)
		}
		if pj, err = readPassages(filepath.Join(dir, passagesFile), m.Passages); err != nil {
			return nil, fmt.Errorf("open index %s: %w", dir, err)
		}
	}
	if len(pj.Passages) != m.Passages || len(pj.Documents) != m.Documents {
		return nil, fmt.Errorf("open index %s: %d passages and %d documents, meta says %d and %d",
			dir, len(pj.Passages), len(pj.Documents), m.Passages, m.Documents)
	}
	an, err := newAnalyzer()
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	bi, err := bleve.OpenUsing(filepath.Join(dir, bleveDir), map[string]any{"read_only": true})
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	ix := &Index{
		dir:      dir,
		bi:       bi,
		an:       an,
		log:      discardLogger(opts.Logger),
		maxQ:     opts.MaxQuestion,
		meta:     m,
		passages: pj.Passages,
		docs:     pj.Documents,
		infos:    newInfoCache(len(pj.Passages), infoBudget),
		params:   defaultParams,
	}
	if ix.maxQ <= 0 {
		ix.maxQ = defaultMaxQuestion
	}
	var df map[string]int
	if b != nil {
		df = b.df
	}
	if err := ix.loadStats(df); err != nil {
		bi.Close()
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	return ix, nil
}

// loadStats reads the document frequencies of the text field's terms,
// unless df holds them, and fixes the BM25 statistics that every search
// hands to Bleve.
func (ix *Index) loadStats(df map[string]int) error {
	n, err := ix.bi.DocCount()
	if err != nil {
		return err
	}
	if int(n) != len(ix.passages) {
		return fmt.Errorf("bleve holds %d passages, want %d", n, len(ix.passages))
	}
	if df == nil {
		if err := readJSON(filepath.Join(ix.dir, termsFile), &df); err != nil {
			return err
		}
	}
	terms := make([]string, 0, len(df))
	for t := range df {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	ix.terms = make(map[string]uint32, len(terms))
	ix.df = make([]uint32, 1, len(terms)+1)
	for _, t := range terms {
		ix.terms[t] = uint32(len(ix.df))
		ix.df = append(ix.df, uint32(df[t]))
	}
	if ix.an.stems != nil {
		ix.an.stems.resolve = func(stem string) uint32 { return ix.terms[stem] }
	}
	if n > 0 {
		ix.avgLen = float64(ix.meta.FieldTokens[fieldText]) / float64(n)
	}
	// Bleve's BM25 takes the average field length as
	// ceil(cardinality/doc count), where cardinality sums the sizes of
	// the segments' term dictionaries. Hand it the real total length
	// instead: the average is then right and does not depend on how
	// segments were merged.
	card := map[string]int{fieldText: max(int(ix.meta.FieldTokens[fieldText]), 1)}
	card[fieldSource] = max(int(n), 1) // a filter: never scored, but Bleve wants it
	ix.stats = &search.BM25Stats{DocCount: float64(n), FieldCardinality: card}
	return nil
}

// idf is BM25's inverse document frequency of a term held by df passages.
func (ix *Index) idf(df uint32) float64 {
	n := float64(len(ix.passages))
	return math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
}

func ordOf(id string) (int, bool) {
	n, err := strconv.Atoi(id)
	return n, err == nil
}
