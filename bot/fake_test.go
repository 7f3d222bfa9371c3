package bot

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/citebot/citebot/corpus"
	"github.com/citebot/citebot/retrieval"
)

var websocketCloseError4004 = websocket.CloseError{Code: 4004, Text: "Authentication failed."}

// fakeSearcher is a hand-written [Searcher]: a passage matches when it
// holds a word (4+ letters) of the question; more matching words rank
// higher. Delay slows every search (it honours ctx). Safe for concurrent
// use; set replaces the documents, as a reindex would.
type fakeSearcher struct {
	state *fakeState
}

type fakeState struct {
	mu    sync.Mutex
	docs  []corpus.Document
	delay time.Duration
	err   error
	calls int
}

func newFakeSearcher(docs ...corpus.Document) fakeSearcher {
	return fakeSearcher{state: &fakeState{docs: docs}}
}

func (f fakeSearcher) set(docs ...corpus.Document) {
	f.state.mu.Lock()
	defer f.state.mu.Unlock()
	f.state.docs = docs
}

func (f fakeSearcher) setDelay(d time.Duration) {
	f.state.mu.Lock()
	defer f.state.mu.Unlock()
	f.state.delay = d
}

func (f fakeSearcher) setErr(err error) {
	f.state.mu.Lock()
	defer f.state.mu.Unlock()
	f.state.err = err
}

func (f fakeSearcher) snapshot() ([]corpus.Document, time.Duration, error) {
	if f.state == nil {
		return nil, 0, nil
	}
	f.state.mu.Lock()
	defer f.state.mu.Unlock()
	f.state.calls++
	return f.state.docs, f.state.delay, f.state.err
}

func (f fakeSearcher) Search(ctx context.Context, question string, opts retrieval.SearchOptions) (retrieval.Result, error) {
	docs, delay, err := f.snapshot()
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return retrieval.Result{}, ctx.Err()
		case <-t.C:
		}
	}
	if err != nil {
		return retrieval.Result{}, err
	}
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(question), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		if len(w) >= 4 || w[0] >= '0' && w[0] <= '9' {
			words = append(words, w)
		}
	}
	var hits []retrieval.Hit
	for _, d := range docs {
		if opts.Source != "" && d.Source != opts.Source {
			continue
		}
		for _, p := range d.Passages {
			text := strings.ToLower(p.Text)
			n := 0
			for _, w := range words {
				if strings.Contains(text, w) {
					n++
				}
			}
			if n > 0 {
				best := p.Text
				if s := splitSentences(p.Text); len(s) > 0 {
					best = strings.TrimSpace(s[0])
				}
				hits = append(hits, retrieval.Hit{Passage: p, Score: float64(n), BestSentence: best})
			}
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	res := retrieval.Result{Query: question, Total: len(hits)}
	if len(hits) == 0 {
		res.NoneRelevant = true
		return res, nil
	}
	limit := opts.Limit
	if limit == 0 {
		limit = 3
	}
	from := min(opts.Offset, len(hits))
	res.Hits = hits[from:min(from+limit, len(hits))]
	return res, nil
}

func (f fakeSearcher) Documents() []retrieval.DocInfo {
	docs, _, _ := f.snapshot()
	out := []retrieval.DocInfo{}
	for _, d := range docs {
		out = append(out, retrieval.DocInfo{Source: d.Source, Title: d.Title, Date: d.Date, URL: d.URL, Passages: len(d.Passages)})
	}
	return out
}

func (f fakeSearcher) Passage(source string, seq int) (corpus.Passage, bool) {
	docs, _, _ := f.snapshot()
	for _, d := range docs {
		if d.Source == source && seq >= 0 && seq < len(d.Passages) {
			return d.Passages[seq], true
		}
	}
	return corpus.Passage{}, false
}

// fakeDoc makes a document of paragraphs.
func fakeDoc(source, title, url string, paragraphs ...string) corpus.Document {
	d := corpus.Document{Source: source, Title: title, URL: url, Date: "Thursday, 31 August 2017"}
	for i, text := range paragraphs {
		d.Passages = append(d.Passages, corpus.Passage{
			Source: source, Title: title, Paragraph: i + 1, Seq: i, Date: d.Date, URL: url,
			StartLine: 2*i + 1, EndLine: 2*i + 1, Text: text,
		})
	}
	return d
}
