package corpus

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// DefaultMaxPassage is the longest passage, in characters, when
// [Options].MaxPassage is 0: three passages this long fit whole in one
// Discord reply (6000 characters over its embeds) with their citations.
const DefaultMaxPassage = 1500

const defaultMaxFileSize = 20 << 20

// Load reads every .txt and .md file below the root of fsys, recursively,
// and chunks it into passages. A bad file is skipped and recorded in
// [Corpus.Skipped], never an error; Load fails only when the root itself
// cannot be read.
//
// Files and folders whose names start with "." are ignored. Files are read
// in sorted path order, so the result does not depend on the file system.
// A file is skipped when it has another extension, is not a regular file,
// is larger than [Options.MaxFileSize] (checked before reading), cannot be
// read, is empty or white space only, looks binary (NUL bytes or mostly
// control characters), or has no text worth quoting. Invalid UTF-8 is
// replaced with U+FFFD and recorded in [Corpus.Warnings].
func Load(fsys fs.FS, opts Options) (*Corpus, error) {
	maxPassage := opts.MaxPassage
	if maxPassage <= 0 {
		maxPassage = DefaultMaxPassage
	}
	maxSize := opts.MaxFileSize
	if maxSize <= 0 {
		maxSize = defaultMaxFileSize
	}

	c := &Corpus{maxPassage: maxPassage}
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			c.Skipped = append(c.Skipped, Skipped{Path: p, Reason: "unreadable: " + errText(err)})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load corpus: %w", err)
	}
	slices.Sort(files)

	for i, p := range files {
		if p == SynonymsFile {
			if err := c.loadSynonyms(fsys); err != nil {
				c.Skipped = append(c.Skipped, Skipped{Path: p, Reason: "synonym file: " + errText(err)})
			}
			continue
		}
		doc, reason, warning := loadFile(fsys, p, maxSize, maxPassage)
		switch {
		case reason != "":
			c.Skipped = append(c.Skipped, Skipped{Path: p, Reason: reason})
		default:
			c.Documents = append(c.Documents, doc)
		}
		if warning != "" {
			c.Warnings = append(c.Warnings, Skipped{Path: p, Reason: warning})
		}
		if opts.Progress != nil {
			opts.Progress(i+1, len(files))
		}
	}
	slices.SortFunc(c.Skipped, func(a, b Skipped) int { return strings.Compare(a.Path, b.Path) })
	return c, nil
}

// loadFile reads and chunks one file. It returns a skip reason instead of
// a document when the file cannot be used, and a warning when it was
// repaired.
func loadFile(fsys fs.FS, p string, maxSize int64, maxPassage int) (doc Document, skip, warning string) {
	ext := strings.ToLower(path.Ext(p))
	if ext != ".txt" && ext != ".md" {
		if ext == "" {
			return doc, "unsupported file type (no extension)", ""
		}
		return doc, "unsupported extension " + ext, ""
	}
	info, err := fs.Stat(fsys, p)
	if err != nil {
		return doc, "unreadable: " + errText(err), ""
	}
	if !info.Mode().IsRegular() {
		return doc, "not a regular file", ""
	}
	if info.Size() > maxSize {
		return doc, fmt.Sprintf("too large: %d bytes (limit %d)", info.Size(), maxSize), ""
	}
	data, err := readLimited(fsys, p, maxSize)
	if err != nil {
		return doc, "unreadable: " + errText(err), ""
	}
	if int64(len(data)) > maxSize {
		return doc, fmt.Sprintf("too large: more than %d bytes (limit %d)", maxSize, maxSize), ""
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if len(data) == 0 {
			return doc, "empty file", ""
		}
		return doc, "empty file (white space only)", ""
	}
	if why := binaryReason(data); why != "" {
		return doc, "binary file (" + why + ")", ""
	}

	sum := sha256.Sum256(data)
	text := string(data)
	if !utf8.Valid(data) {
		bad := countInvalid(data)
		text = strings.ToValidUTF8(text, "\uFFFD")
		warning = fmt.Sprintf("invalid UTF-8: %d bad byte sequences replaced with U+FFFD", bad)
	}
	pd := parse(text, p, maxPassage)
	if len(pd.passages) == 0 {
		return doc, "no text to quote (only headings, metadata or boilerplate)", warning
	}
	return Document{
		Source:   p,
		Title:    pd.title,
		Date:     pd.date,
		URL:      pd.url,
		Author:   pd.author,
		Size:     int64(len(data)),
		Hash:     hex.EncodeToString(sum[:]),
		Passages: pd.passages,
		Dropped:  pd.dropped,
	}, "", warning
}

// readLimited reads at most limit+1 bytes of file p, so that a file that grew
// after its size was checked is still caught.
func readLimited(fsys fs.FS, p string, limit int64) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

// binaryReason says why data looks binary, or "" when it looks like text.
// It looks at the first 8 KiB: any NUL byte, or more than one byte in ten
// being a control character other than tab, line feed, form feed, vertical
// tab, carriage return or escape.
func binaryReason(data []byte) string {
	head := data[:min(len(data), 8<<10)]
	if bytes.IndexByte(data, 0) >= 0 {
		return "contains NUL bytes"
	}
	ctl := 0
	for _, b := range head {
		if (b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f' && b != '\v' && b != 0x1b) || b == 0x7f {
			ctl++
		}
	}
	if ctl*10 > len(head) {
		return "mostly control characters"
	}
	return ""
}

// countInvalid counts the runs of invalid UTF-8 in data, as
// strings.ToValidUTF8 replaces them.
func countInvalid(data []byte) int {
	n, inBad := 0, false
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size == 1 {
			if !inBad {
				n++
			}
			inBad = true
		} else {
			inBad = false
		}
		data = data[size:]
	}
	return n
}

// errText is err's message without the path that the skip record already
// names.
func errText(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// Fingerprint identifies the corpus content: it changes when any loaded
// file's name, size or hash changes, or when a file is added or removed.
// Skipped files count too, by path and reason, so that fixing a bad file
// changes it; so does the passage limit and the version of the chunking
// rules, so that a new release re-indexes.
func (c *Corpus) Fingerprint() string {
	type entry struct{ kind, path, detail string }
	var es []entry
	for _, d := range c.Documents {
		es = append(es, entry{"doc", d.Source, fmt.Sprintf("%d %s", d.Size, d.Hash)})
	}
	for _, s := range c.Skipped {
		es = append(es, entry{"skip", s.Path, s.Reason})
	}
	for _, g := range c.Synonyms {
		es = append(es, entry{"synonyms", SynonymsFile, fmt.Sprintf("%q", g)})
	}
	slices.SortFunc(es, func(a, b entry) int {
		if c := strings.Compare(a.path, b.path); c != 0 {
			return c
		}
		if c := strings.Compare(a.kind, b.kind); c != 0 {
			return c
		}
		return strings.Compare(a.detail, b.detail)
	})
	h := sha256.New()
	fmt.Fprintf(h, "citebot corpus %d max_passage=%d\n", rulesVersion, c.maxPassage)
	for _, e := range es {
		fmt.Fprintf(h, "%s\t%q\t%s\n", e.kind, e.path, e.detail)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// loadSynonyms reads the root synonym file into c.Synonyms.
func (c *Corpus) loadSynonyms(fsys fs.FS) error {
	f, err := fsys.Open(SynonymsFile)
	if err != nil {
		return err
	}
	defer f.Close()
	c.Synonyms, err = ParseSynonyms(io.LimitReader(f, 1<<20))
	return err
}

// rulesVersion is bumped whenever cleaning or chunking rules change the
// passages of unchanged files; it is part of [Corpus.Fingerprint].
const rulesVersion = 1
