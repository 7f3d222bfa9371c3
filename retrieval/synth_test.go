package retrieval

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/citebot/citebot/corpus"
)

var (
	synthDir = flag.String("synthdir", "", "TestWriteSynth writes the synthetic corpus of -synthn passages into this `folder` as text files (skipped when empty)")
	synthN   = flag.Int("synthn", 100_000, "passages in the corpus TestWriteSynth writes; 0 writes SQuAD's own articles")
)

// defaultSQuAD is SQuAD v1.1 dev as the shared data folder holds it,
// relative to this package's folder.
const defaultSQuAD = "../../shared/data/squad/dev-v1.1.json"

// benchSQuADPath returns the SQuAD file that benchmarks and synthetic
// corpora use: -squad, else [defaultSQuAD]. It skips tb when the file is
// missing.
func benchSQuADPath(tb testing.TB) string {
	tb.Helper()
	p := *squadPath
	if p == "" {
		p = defaultSQuAD
	}
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("no SQuAD file (%v); pass -squad FILE", err)
	}
	return p
}

// synthSource is what synthetic passages are made from: the sentences of
// SQuAD's paragraphs, with the title of their article, and the sentence
// count of each paragraph.
type synthSource struct {
	sents  []string
	titles []string // article title of each sentence
	counts []int    // sentences per SQuAD paragraph
}

var (
	synthMu    sync.Mutex
	synthCache = map[string]*synthSource{}
)

func loadSynthSource(tb testing.TB, path string) *synthSource {
	tb.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if s := synthCache[path]; s != nil {
		return s
	}
	c, _ := loadSQuAD(tb, path)
	s := &synthSource{}
	for _, d := range c.Documents {
		for _, p := range d.Passages {
			spans := corpus.Sentences(p.Text)
			for _, sp := range spans {
				s.sents = append(s.sents, p.Text[sp[0]:sp[1]])
				s.titles = append(s.titles, d.Title)
			}
			s.counts = append(s.counts, max(len(spans), 1))
		}
	}
	if len(s.sents) == 0 {
		tb.Fatalf("no sentences in %s", path)
	}
	synthCache[path] = s
	return s
}

// synthPerDoc is the number of passages of each synthetic document.
const synthPerDoc = 50

// synthCorpus makes a corpus of n passages by recombining the sentences of
// the SQuAD paragraphs in path with a fixed seed. The same file and n give
// the same corpus, and the corpus of n passages starts with the corpus of
// any smaller n. Each passage takes the sentence count of a random SQuAD
// paragraph, then that many random sentences; documents hold
// [synthPerDoc] passages and are titled after the article of their first
// sentence. No file is written.
func synthCorpus(tb testing.TB, path string, n int) *corpus.Corpus {
	tb.Helper()
	src := loadSynthSource(tb, path)
	rng := rand.New(rand.NewPCG(20240601, 5))
	c := &corpus.Corpus{}
	var sb strings.Builder
	for i := 0; i < n; i += synthPerDoc {
		k := len(c.Documents)
		d := corpus.Document{Source: fmt.Sprintf("synth/%05d/%06d.txt", k/1000, k)}
		for j := 0; j < synthPerDoc && i+j < n; j++ {
			sb.Reset()
			m := src.counts[rng.IntN(len(src.counts))]
			for s := range m {
				x := rng.IntN(len(src.sents))
				if s > 0 {
					sb.WriteByte(' ')
				} else if j == 0 {
					d.Title = fmt.Sprintf("%s %d", src.titles[x], k)
				}
				sb.WriteString(src.sents[x])
			}
			d.Passages = append(d.Passages, corpus.Passage{
				Source: d.Source, Title: d.Title, Paragraph: j + 1, Seq: j, Text: sb.String(),
			})
		}
		d.Hash = fmt.Sprintf("synth-%d-%d", k, len(d.Passages))
		c.Documents = append(c.Documents, d)
	}
	return c
}

// textBytes is the size of the passages' text, which is what a build
// indexes and what its MB/s counts.
func textBytes(c *corpus.Corpus) int64 {
	var n int64
	for _, d := range c.Documents {
		for _, p := range d.Passages {
			n += int64(len(p.Text))
		}
	}
	return n
}

func TestSynthCorpus(t *testing.T) {
	path := benchSQuADPath(t)
	small := synthCorpus(t, path, 120)
	again := synthCorpus(t, path, 120)
	big := synthCorpus(t, path, 260)
	if got := len(small.Passages()); got != 120 {
		t.Fatalf("got %d passages, want 120", got)
	}
	if got, want := len(small.Documents), (120+synthPerDoc-1)/synthPerDoc; got != want {
		t.Errorf("got %d documents, want %d", got, want)
	}
	sp, ap, bp := small.Passages(), again.Passages(), big.Passages()
	for i := range sp {
		if sp[i] != ap[i] {
			t.Fatalf("passage %d: got %+v on the second run, want %+v", i, ap[i], sp[i])
		}
		if sp[i] != bp[i] {
			t.Fatalf("passage %d: got %+v in the larger corpus, want %+v", i, bp[i], sp[i])
		}
	}
	distinct := map[string]bool{}
	for _, p := range sp {
		distinct[p.Text] = true
		if p.Text == "" || p.Title == "" {
			t.Errorf("passage %s#%d: empty text or title", p.Source, p.Seq)
		}
	}
	if len(distinct) < 110 {
		t.Errorf("got %d distinct passages of 120, want nearly all distinct", len(distinct))
	}
}

// TestWriteSynth writes the synthetic corpus as a corpus folder (or, with
// -synthn 0, the SQuAD articles, one paragraph per passage), for measuring
// the citebot binary on it:
//
//	go test ./retrieval -run TestWriteSynth -synthdir /tmp/synth100k -synthn 100000
func TestWriteSynth(t *testing.T) {
	if *synthDir == "" {
		t.Skip("no -synthdir")
	}
	var c *corpus.Corpus
	if *synthN == 0 {
		c, _ = loadSQuAD(t, benchSQuADPath(t))
	} else {
		c = synthCorpus(t, benchSQuADPath(t), *synthN)
	}
	var sb strings.Builder
	for _, d := range c.Documents {
		sb.Reset()
		fmt.Fprintf(&sb, "---\ntitle: %s\n---\n\n", d.Title)
		for _, p := range d.Passages {
			sb.WriteString(p.Text)
			sb.WriteString("\n\n")
		}
		path := filepath.Join(*synthDir, filepath.FromSlash(d.Source))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d documents, %d passages, %d MB of text to %s",
		len(c.Documents), len(c.Passages()), textBytes(c)>>20, *synthDir)
}

var synthIndex = flag.String("synthindex", "", "TestBuildSynthIndex builds the synthetic corpus of -synthn passages into this index `folder` (skipped when empty)")

// TestBuildSynthIndex builds the index of a synthetic corpus, for
// TestOpenMemory to open in a fresh process:
//
//	go test ./retrieval -run TestBuildSynthIndex -synthindex /tmp/ix-100k -synthn 100000
func TestBuildSynthIndex(t *testing.T) {
	if *synthIndex == "" {
		t.Skip("no -synthindex")
	}
	c := synthCorpus(t, benchSQuADPath(t), *synthN)
	ix, err := Build(context.Background(), *synthIndex, c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
}

var memIndex = flag.String("memindex", "", "TestOpenMemory opens the index in this `folder` (an index, or a store with CURRENT) and reports memory (skipped when empty)")

// procStatus returns a field of /proc/self/status in MB ("VmRSS",
// "VmHWM"), or -1 where there is none.
func procStatus(name string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%f kB", &kb); err == nil {
				return kb / 1024
			}
		}
	}
	return -1
}

// TestOpenMemory reports the memory of a process that opens an index and
// answers questions, as a server does after starting:
//
//	go test ./retrieval -run TestOpenMemory -memindex /tmp/ix-squad -v
func TestOpenMemory(t *testing.T) {
	if *memIndex == "" {
		t.Skip("no -memindex")
	}
	dir := *memIndex
	if b, err := os.ReadFile(filepath.Join(dir, currentFile)); err == nil {
		dir = filepath.Join(dir, strings.TrimSpace(string(b)))
	}
	report := func(when string) {
		debug.FreeOSMemory() // what the scavenger would return in time
		t.Logf("%-28s VmRSS %6.1f MB  VmHWM %6.1f MB  live heap %6.1f MB",
			when, procStatus("VmRSS"), procStatus("VmHWM"), float64(liveHeap())/(1<<20))
	}
	qs := []string{"How many Britons travelled to Syria and Iraq?", "Who is the director general of MI5?"}
	for _, q := range loadSeedOptional(t, *seedPath) {
		qs = append(qs, q.Question)
	}
	if p := *squadPath; p != "" || fileExists(defaultSQuAD) {
		if p == "" {
			p = defaultSQuAD
		}
		_, sq := loadSQuAD(t, p)
		qs = append(qs, squadQuestions(sq)[:200]...)
	}
	// The questions are loaded first, so that "before open" counts them.
	report("before open")
	ix, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	report(fmt.Sprintf("opened (%d passages)", ix.Len()))
	for _, q := range qs {
		if _, err := ix.Search(context.Background(), q, SearchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	report(fmt.Sprintf("after %d questions", len(qs)))
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
