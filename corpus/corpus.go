// Package corpus loads a folder of documents and turns it into passages:
// paragraphs of verbatim source text, each with the citation a reader needs
// (document, title, section, paragraph number, line range, date, URL).
//
// It reads plain text and Markdown through an [fs.FS], infers titles, dates,
// source links and section headings from the text (optional front matter
// overrides them), drops boilerplate lines such as photo credits and comment
// footers, and splits long paragraphs at sentence boundaries. It never
// rewrites the text it keeps: every [Passage.Text] is a substring of its
// source file after whitespace normalisation.
//
// Indexing and ranking are left to package retrieval. This package imports
// only the standard library.
package corpus

// Passage is the unit the bot quotes: one paragraph, or one part of a long
// paragraph, with its citation.
type Passage struct {
	// Source is the document's path relative to the corpus root,
	// slash-separated (e.g. "003_0526fb8791384aad.txt"). It is the
	// document's ID.
	Source string `json:"source"`
	// Title is the document's title (front matter, else inferred, else the
	// file name without extension).
	Title string `json:"title"`
	// Section is the heading the paragraph sits under, "" when none.
	Section string `json:"section"`
	// Paragraph is the paragraph number in the document, 1-based, counting
	// only kept passages' paragraphs as a reader would.
	Paragraph int `json:"paragraph"`
	// Part is the 1-based part of a paragraph that was split because it was
	// longer than the passage limit; 0 when the paragraph was not split.
	Part int `json:"part,omitempty"`
	// StartLine and EndLine are the 1-based, inclusive line range of the
	// passage in the source file.
	StartLine int `json:"start_line"`
	EndLine   int `json:"end_line"`
	// Date is the publication date as written in the source ("" when
	// unknown): the date written under the passage's section heading when
	// there is one (a page of several posts), else the document's.
	Date string `json:"date"`
	// URL is the source link ("" when unknown), chosen like Date.
	URL string `json:"url"`
	// Text is the passage text, verbatim from the source except that runs of
	// whitespace (including line breaks inside a paragraph) are folded to
	// one space and the ends are trimmed.
	Text string `json:"text"`
	// Seq is the passage's position in its document, 0-based; passages of
	// a document are in reading order, so Seq±1 are its neighbours.
	Seq int `json:"seq"`
}

// Document is one loaded file.
type Document struct {
	// Source is the path relative to the corpus root, slash-separated.
	Source string `json:"source"`
	Title  string `json:"title"`
	Date   string `json:"date"`
	URL    string `json:"url"`
	Author string `json:"author"`
	// Size is the file size in bytes; Hash its SHA-256, hex-encoded.
	Size int64  `json:"size"`
	Hash string `json:"hash"`
	// Passages in reading order.
	Passages []Passage `json:"passages"`
	// Dropped lists, in file order, every non-blank line that no passage
	// quotes, with the reason: metadata used for citations (title,
	// heading, date, link, byline, front matter), boilerplate (captions,
	// credits, comment forms, share bars) or a short fragment.
	Dropped []Dropped `json:"dropped,omitempty"`
}

// Dropped is a line of a document that no passage quotes, and why.
type Dropped struct {
	// Line is the 1-based line number in the file.
	Line int `json:"line"`
	// Text is the line with white space folded.
	Text string `json:"text"`
	// Reason is a short phrase such as "title", "heading", "date",
	// "photo caption or credit", "comment form" or "short fragment".
	Reason string `json:"reason"`
}

// Skipped records a file that was not loaded, or loaded with a repair, and why.
type Skipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Corpus is the result of [Load].
type Corpus struct {
	Documents []Document
	// Skipped lists files that were not loaded (binary, empty, too large,
	// unreadable, other extension, nothing worth quoting) and folders that
	// could not be read, with the reason, sorted by path.
	Skipped []Skipped
	// Warnings lists files that were loaded with a repair (such as invalid
	// UTF-8 replaced), with what was done.
	Warnings []Skipped
	// Synonyms are the groups of names for the same thing read from the
	// corpus's [SynonymsFile]; nil when it has none.
	Synonyms [][]string

	maxPassage int // the passage limit Load used; part of Fingerprint
}

// Options tunes [Load]. The zero value gives the defaults.
type Options struct {
	// MaxPassage is the longest passage in characters (runes); longer
	// paragraphs are split at sentence boundaries. 0 means
	// [DefaultMaxPassage].
	MaxPassage int
	// MaxFileSize is the largest file loaded, in bytes. 0 means 20 MiB.
	MaxFileSize int64
	// Progress, if set, is called after each file with the number of files
	// done and the total.
	Progress func(done, total int)
}

// Passages returns every passage of every document, in document order.
func (c *Corpus) Passages() []Passage {
	var out []Passage
	for _, d := range c.Documents {
		out = append(out, d.Passages...)
	}
	return out
}
