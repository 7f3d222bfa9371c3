package corpus

import (
	"fmt"
	"io/fs"
	"testing"
	"testing/fstest"
)

// BenchmarkLoad loads and chunks the shipped corpus from memory.
func BenchmarkLoad(b *testing.B) {
	fsys := Default()
	b.SetBytes(corpusBytes(b, fsys))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(fsys, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadLarge loads a corpus of about 5 MB, the size of SQuAD v1.1
// dev, made of 55 copies of the shipped documents.
func BenchmarkLoadLarge(b *testing.B) {
	big := fstest.MapFS{}
	entries, err := fs.ReadDir(Default(), ".")
	if err != nil {
		b.Fatal(err)
	}
	for i := range 55 {
		for _, e := range entries {
			data, err := fs.ReadFile(Default(), e.Name())
			if err != nil {
				b.Fatal(err)
			}
			big[fmt.Sprintf("copy%02d/%s", i, e.Name())] = &fstest.MapFile{Data: data}
		}
	}
	b.SetBytes(corpusBytes(b, big))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(big, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func corpusBytes(b *testing.B, fsys fs.FS) int64 {
	var n int64
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}
