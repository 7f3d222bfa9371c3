package retrieval

import (
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/citebot/citebot/corpus"
)

// Benchmarks of building and searching, on the shipped corpus, SQuAD v1.1
// dev (one passage per paragraph) and synthetic corpora recombined from
// SQuAD's sentences ([synthCorpus]; 10k and 100k passages unless -synth
// says otherwise). The SQuAD file is -squad, else
// ../../shared/data/squad/dev-v1.1.json; the benchmarks that need it skip
// when it is missing. For example:
//
//	go test ./retrieval -run '^$' -bench 'Build$|BuildSQuAD' -benchtime 10x
//	go test ./retrieval -run '^$' -bench 'Search$|SearchSQuAD' -benchtime 3000x
//	go test ./retrieval -run '^$' -bench 'BuildSynth' -benchtime 1x -synth 10000,100000,1000000
//	go test ./retrieval -run '^$' -bench 'SearchSynth' -benchtime 3000x -synth 10000,100000,1000000
//
// Build benchmarks report throughput in MB/s of passage text (b.SetBytes),
// cpu-ms/op, the CPU time of a build, and index-MB, the size of the index
// folder. Search benchmarks build the index, reopen it as a server would,
// ask [benchWarm] questions, then time one search per iteration; they
// report p50-ms, p95-ms and p99-ms per search, and heap-MB, the live heap
// after the warm-up questions less the live heap before the index was
// opened.

var benchSynth = flag.String("synth", "10000,100000", "comma-separated passage counts of the synthetic corpora for BenchmarkBuildSynth and BenchmarkSearchSynth (1000000 takes minutes)")

// benchQuestions are the seed-dev questions, or a few fixed ones when the
// file is missing.
func benchQuestions(b *testing.B) []string {
	var qs []string
	for _, q := range loadSeedOptional(b, *seedPath) {
		qs = append(qs, q.Question)
	}
	if len(qs) == 0 {
		qs = []string{
			"How many Britons travelled to Syria and Iraq?",
			"Who is the director general of MI5?",
			"What did the October issue of Rumiya magazine give instructions on?",
		}
	}
	return qs
}

// squadQuestions are the questions of the SQuAD file.
func squadQuestions(sq []squadQuestion) []string {
	qs := make([]string, len(sq))
	for i, q := range sq {
		qs[i] = q.Question
	}
	return qs
}

// liveHeap returns the bytes of live heap after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// benchWarm is the number of questions asked before timing starts.
const benchWarm = 200

// benchSearch builds c, reopens the index as a server would, runs the
// questions round robin, one search per iteration, and reports latency
// percentiles and the heap the index holds.
func benchSearch(b *testing.B, c *corpus.Corpus, qs []string) {
	ctx := context.Background()
	dir := filepath.Join(b.TempDir(), "ix")
	built, err := Build(ctx, dir, c, Options{})
	if err != nil {
		b.Fatal(err)
	}
	built.Close()
	built = nil
	debug.FreeOSMemory()
	before := liveHeap()
	ix, err := Open(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	// Warm up as a server's first questions would; the timed searches
	// go on with the next questions.
	warm := min(len(qs), benchWarm)
	for _, q := range qs[:warm] {
		if _, err := ix.Search(ctx, q, SearchOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	after := liveHeap()
	heap := float64(after-min(before, after)) / (1 << 20)

	lat := make([]time.Duration, 0, max(b.N, 1024))
	b.ReportAllocs()
	b.ResetTimer()
	i := warm
	for b.Loop() {
		t0 := time.Now()
		if _, err := ix.Search(ctx, qs[i%len(qs)], SearchOptions{}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		i++
	}
	slices.Sort(lat)
	pct := func(p int) float64 { return float64(lat[(len(lat)-1)*p/100].Nanoseconds()) / 1e6 }
	b.ReportMetric(pct(50), "p50-ms")
	b.ReportMetric(pct(95), "p95-ms")
	b.ReportMetric(pct(99), "p99-ms")
	b.ReportMetric(heap, "heap-MB")
	b.ReportMetric(float64(ix.Len()), "passages")
}

// benchBuild builds c once per iteration, each time into a fresh folder.
func benchBuild(b *testing.B, c *corpus.Corpus) {
	ctx := context.Background()
	root := b.TempDir()
	b.SetBytes(textBytes(c))
	b.ReportAllocs()
	var size int64
	n := 0
	cpu0 := cpuTime()
	for b.Loop() {
		dir := filepath.Join(root, strconv.Itoa(n))
		ix, err := Build(ctx, dir, c, Options{})
		if err != nil {
			b.Fatal(err)
		}
		ix.Close()
		b.StopTimer()
		size = dirSize(b, dir)
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		n++
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/1e6/float64(max(n, 1)), "cpu-ms/op")
	b.ReportMetric(float64(size)/(1<<20), "index-MB")
	b.ReportMetric(float64(len(c.Passages())), "passages")
}

// cpuTime is the CPU time (user and system) the process has used. A build
// uses several goroutines: with cores to spare, cpu-ms/op above ns/op
// shows how well it spreads; on a busy machine it is the steadier figure.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// dirSize is the total size of the files under dir.
func dirSize(tb testing.TB, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func loadDefault(b *testing.B) *corpus.Corpus {
	c, err := corpus.Load(corpus.Default(), corpus.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// synthSizes are the passage counts of -synth.
func synthSizes(b *testing.B) []int {
	var out []int
	for _, f := range strings.Split(*benchSynth, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("bad -synth %q", *benchSynth)
		}
		out = append(out, n)
	}
	return out
}

// BenchmarkSearch searches the shipped corpus with the seed-dev questions.
func BenchmarkSearch(b *testing.B) {
	benchSearch(b, loadDefault(b), benchQuestions(b))
}

// BenchmarkBuild indexes the shipped corpus.
func BenchmarkBuild(b *testing.B) {
	benchBuild(b, loadDefault(b))
}

// BenchmarkSearchSQuAD searches SQuAD paragraphs with SQuAD questions.
func BenchmarkSearchSQuAD(b *testing.B) {
	c, sq := loadSQuAD(b, benchSQuADPath(b))
	benchSearch(b, c, squadQuestions(sq))
}

// BenchmarkBuildSQuAD indexes the SQuAD paragraphs.
func BenchmarkBuildSQuAD(b *testing.B) {
	c, _ := loadSQuAD(b, benchSQuADPath(b))
	benchBuild(b, c)
}

// BenchmarkBuildSynth indexes synthetic corpora of -synth passages.
func BenchmarkBuildSynth(b *testing.B) {
	path := benchSQuADPath(b)
	for _, n := range synthSizes(b) {
		b.Run("passages="+strconv.Itoa(n), func(b *testing.B) {
			benchBuild(b, synthCorpus(b, path, n))
		})
	}
}

// BenchmarkSearchSynth searches synthetic corpora of -synth passages with
// the SQuAD questions, whose answers they hold in recombined sentences.
func BenchmarkSearchSynth(b *testing.B) {
	path := benchSQuADPath(b)
	_, sq := loadSQuAD(b, path)
	qs := squadQuestions(sq)
	for _, n := range synthSizes(b) {
		b.Run("passages="+strconv.Itoa(n), func(b *testing.B) {
			benchSearch(b, synthCorpus(b, path, n), qs)
		})
	}
}
