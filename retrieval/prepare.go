package retrieval

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/citebot/citebot/corpus"
)

// prepared is one passage made ready for the index.
type prepared struct {
	// toks are the tokens of the passage's text, as the ranking reads them.
	toks []token
	// doc is the Bleve document.
	doc *document.Document
}

// preparer analyses passages for a build, in parallel. The ranking needs
// each passage's tokens, and Bleve needs them too; where the mapping
// analyses the text with the analyzer the ranking uses, Bleve is handed
// those tokens instead of analysing the text a second time. The index is
// then the same as if Bleve had analysed it.
type preparer struct {
	an analyzer
	im mapping.IndexMapping
	// reuse is true when the mapping's text analyzer is the ranking's.
	reuse bool
}

func newPreparer(an analyzer, im mapping.IndexMapping) *preparer {
	return &preparer{an: an, im: im, reuse: im.AnalyzerNameForPath(fieldText) == textAnalyzerName}
}

// batchStats are what a build learns from the passages while indexing
// them.
type batchStats struct {
	// tokens is the number of tokens of each field.
	tokens map[string]int64
	// df is the number of passages that hold each term of the text.
	df map[string]int
	// words counts the text's indexed words, lower-cased and unstemmed,
	// for spelling correction (see [wordList]).
	words map[string]int
}

func newBatchStats() batchStats {
	return batchStats{tokens: map[string]int64{}, df: map[string]int{}, words: map[string]int{}}
}

func (s *batchStats) add(o batchStats) {
	if len(s.tokens) == 0 && len(s.df) == 0 && len(s.words) == 0 {
		*s = o // the first: take its maps rather than copy them
		return
	}
	for f, n := range o.tokens {
		s.tokens[f] += n
	}
	for t, n := range o.df {
		s.df[t] += n
	}
	for w, n := range o.words {
		s.words[w] += n
	}
}

// indexAll indexes ps into bi (the passage ps[i] as docID(i)). A corpus
// of more than GOMAXPROCS batches of [batchSize] passages goes in batches
// of batchSize: GOMAXPROCS goroutines each take the next batch, analyse
// it and hand it to Bleve, so that Bleve builds segments in parallel too.
// A smaller one is analysed by GOMAXPROCS goroutines and indexed as one
// batch: one segment, which the build need not merge. When toks is not
// nil, toks[i] receives the tokens of ps[i]. progress, if not nil, is
// called after each batch with the passages done so far; calls do not
// overlap.
func (p *preparer) indexAll(ctx context.Context, bi bleve.Index, ps []corpus.Passage, toks [][]token, progress func(done, total int)) (batchStats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next  atomic.Int64 // first passage of the next batch
		mu    sync.Mutex   // guards the rest
		st    = newBatchStats()
		done  int
		first error
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		cancel()
	}
	workers := runtime.GOMAXPROCS(0)
	if len(ps) <= workers*batchSize {
		docs := make([]*document.Document, len(ps))
		part := (len(ps) + workers - 1) / workers
		var wg sync.WaitGroup
		for lo := 0; lo < len(ps); lo += part {
			hi := min(lo+part, len(ps))
			wg.Go(func() {
				own := newBatchStats()
				if err := p.prepareAll(ctx, ps[lo:hi], lo, toks, docs[lo:hi], &own); err != nil {
					fail(err)
					return
				}
				mu.Lock()
				st.add(own)
				mu.Unlock()
			})
		}
		wg.Wait()
		if first != nil {
			return batchStats{}, first
		}
		if err := indexDocs(bi, ps, docs); err != nil {
			return batchStats{}, err
		}
		if progress != nil {
			progress(len(ps), len(ps))
		}
		return st, nil
	}
	size := max(batchSize, 1)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			// Each worker counts into its own maps, added up at the end.
			own := newBatchStats()
			defer func() {
				mu.Lock()
				st.add(own)
				mu.Unlock()
			}()
			for {
				lo := int(next.Add(int64(size))) - size
				if lo >= len(ps) || ctx.Err() != nil {
					return
				}
				hi := min(lo+size, len(ps))
				if err := p.indexBatch(ctx, bi, ps[lo:hi], lo, toks, &own); err != nil {
					fail(err)
					return
				}
				mu.Lock()
				done += hi - lo
				if progress != nil {
					progress(done, len(ps))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		return batchStats{}, first
	}
	return st, nil
}

// indexBatch analyses ps, the passages from number first on, indexes
// them as one Bleve batch and counts them into st.
func (p *preparer) indexBatch(ctx context.Context, bi bleve.Index, ps []corpus.Passage, first int, toks [][]token, st *batchStats) error {
	docs := make([]*document.Document, len(ps))
	if err := p.prepareAll(ctx, ps, first, toks, docs, st); err != nil {
		return err
	}
	return indexDocs(bi, ps, docs)
}

// indexDocs indexes docs, the documents of ps, as one Bleve batch.
func indexDocs(bi bleve.Index, ps []corpus.Passage, docs []*document.Document) error {
	b := bi.NewBatch()
	for k, doc := range docs {
		if err := b.IndexAdvanced(doc); err != nil {
			return fmt.Errorf("passage %d of %s: %w", ps[k].Seq, ps[k].Source, err)
		}
	}
	return bi.Batch(b)
}

// prepareAll analyses ps, the passages from number first on, into docs
// and counts them into st.
func (p *preparer) prepareAll(ctx context.Context, ps []corpus.Passage, first int, toks [][]token, docs []*document.Document, st *batchStats) error {
	seen := map[string]bool{}
	var out prepared
	for k := range ps {
		if k%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := p.prepare(&ps[k], docID(first+k), &out); err != nil {
			return fmt.Errorf("passage %d of %s: %w", ps[k].Seq, ps[k].Source, err)
		}
		docs[k] = out.doc
		st.tokens[fieldText] += int64(len(out.toks))
		clear(seen)
		text := ps[k].Text
		for _, t := range out.toks {
			if !seen[t.term] {
				seen[t.term] = true
				st.df[t.term]++
			}
			w := strings.ToLower(text[t.start:t.end])
			if _, ok := st.words[w]; ok {
				st.words[w]++
			} else {
				st.words[strings.Clone(w)] = 1 // not a slice of the text
			}
		}
		if toks != nil {
			toks[first+k] = out.toks
		}
	}
	return ctx.Err()
}

// prepare analyses passage ps, whose document ID is id, into out.
func (p *preparer) prepare(ps *corpus.Passage, id string, out *prepared) error {
	out.toks = p.an.analyze(ps.Text)
	doc := document.NewDocument(id)
	if err := p.im.MapDocument(doc, bleveDoc{Text: ps.Text, Source: ps.Source}); err != nil {
		return err
	}
	for k, f := range doc.Fields {
		if tf, ok := f.(*document.TextField); ok && p.reuse && tf.Name() == fieldText {
			doc.Fields[k] = document.NewTextFieldCustom(tf.Name(), tf.ArrayPositions(), tf.Value(), tf.Options(), analyzed(tokenStream(out.toks)))
		}
	}
	out.doc = doc
	return nil
}

// analyzed is an analyzer that returns tokens analysed beforehand. Bleve
// only reads them, so one stream may serve several documents.
type analyzed analysis.TokenStream

func (a analyzed) Analyze([]byte) analysis.TokenStream { return analysis.TokenStream(a) }

// tokenStream turns tokens back into the Bleve tokens they came from (the
// type of token, which indexing does not read, aside).
func tokenStream(toks []token) analysis.TokenStream {
	if len(toks) == 0 {
		return analysis.TokenStream{}
	}
	n := 0
	for _, t := range toks {
		n += len(t.term)
	}
	buf := make([]byte, 0, n)
	slab := make([]analysis.Token, len(toks))
	ts := make(analysis.TokenStream, len(toks))
	for i, t := range toks {
		s := len(buf)
		buf = append(buf, t.term...)
		slab[i] = analysis.Token{
			Term: buf[s:len(buf):len(buf)], Start: t.start, End: t.end,
			Position: t.pos, Type: analysis.AlphaNumeric,
		}
		ts[i] = &slab[i]
	}
	return ts
}
