package corpus

import (
	"io/fs"
	"testing"
	"testing/fstest"
)

// FuzzLoad loads one file of arbitrary bytes, with an arbitrary passage
// limit, and checks that Load never panics and that a loaded document keeps
// every invariant of [checkDocument]. Seeds are in testdata/fuzz/FuzzLoad,
// plus the opening of each shipped document (whole documents are checked
// by TestLoadDefault; large seeds slow the fuzzer down). Run it longer with
//
//	go test -run='^$' -fuzz=FuzzLoad -fuzztime=30s ./corpus/
func FuzzLoad(f *testing.F) {
	entries, err := fs.ReadDir(Default(), ".")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(Default(), e.Name())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:min(len(data), 600)], uint16(0))
		f.Add(data[len(data)-min(len(data), 400):], uint16(120))
	}
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		maxPassage := int(limit)
		c, err := Load(fstest.MapFS{"doc.txt": {Data: data}}, Options{MaxPassage: maxPassage})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if maxPassage <= 0 {
			maxPassage = DefaultMaxPassage
		}
		switch {
		case len(c.Documents) == 1 && len(c.Skipped) == 0:
			checkDocument(t, data, c.Documents[0], maxPassage)
		case len(c.Documents) == 0 && len(c.Skipped) == 1:
			if c.Skipped[0].Reason == "" {
				t.Errorf("skipped with no reason")
			}
		default:
			t.Errorf("got %d documents and %d skipped, want exactly one of them", len(c.Documents), len(c.Skipped))
		}
		_ = c.Fingerprint()
	})
}
