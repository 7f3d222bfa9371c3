package corpus

import (
	"embed"
	"io/fs"
)

//go:embed default/*.txt
var defaultFS embed.FS

// Default returns the corpus that ships inside the binary: the five documents
// of corpus/default, kept exactly as received.
func Default() fs.FS {
	sub, err := fs.Sub(defaultFS, "default")
	if err != nil {
		panic(err) // the embedded folder always exists
	}
	return sub
}
