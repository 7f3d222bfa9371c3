package bot

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/citebot/citebot/retrieval"
)

// Button custom IDs carry what a click needs to be answered, in at most
// [maxCustomID] characters:
//
//	ask:<offset>:<limit>:=<key>:<question>  a page of /ask results; the question inline and
//	                                        <key> "" (all documents) or [sourceKey]
//	ask:<offset>:<limit>:#<id>              the same, question and source kept in the
//	                                        bot's [refCache] under <id> (long questions)
//	ctx:<seq>:<key>                         Show context: passage seq of document [sourceKey]
//	src:<page>                              a page of /sources (0-based)
//
// Inline IDs keep working after a restart; cached ones expire with the
// cache and the click then gets a polite "ask again".
type buttonID struct {
	Kind string // "ask", "ctx" or "src"
	// Offset and Limit page /ask results.
	Offset, Limit int
	// CacheID is the [refCache] key ("" when the question is inline).
	CacheID string
	// Question and SourceKey are the inline question and its document
	// filter ([sourceKey], "" for all).
	Question, SourceKey string
	// Seq is the passage for "ctx"; SourceKey its document.
	Seq int
	// Page is the /sources page.
	Page int
}

const (
	kindAsk     = "ask"
	kindContext = "ctx"
	kindSources = "src"
)

// askRefRoom is the room left for the reference part of an "ask" ID:
// "ask:" plus a 5-digit offset, a 1-digit limit and two colons take 12.
const askRefRoom = maxCustomID - 12

// maxOffset is the largest offset an "ask" ID can carry within askRefRoom.
const maxOffset = 99999

var errBadCustomID = errors.New("unknown button")

// sourceKey names a document inside a custom ID: its path when short and
// free of ':' (the common case), else "~" and 16 hex digits of the
// path's SHA-256.
func sourceKey(source string) string {
	if source != "" && len(source) <= 60 && !strings.ContainsAny(source, ":~") {
		return source
	}
	return hashKey(source)
}

func hashKey(source string) string {
	sum := sha256.Sum256([]byte(source))
	return "~" + hex.EncodeToString(sum[:8])
}

// resolveSource maps a [sourceKey] (or a plain path) back to a document
// path among docs.
func resolveSource(docs []retrieval.DocInfo, key string) (string, bool) {
	if key == "" {
		return "", false
	}
	for _, d := range docs {
		if d.Source == key {
			return d.Source, true
		}
	}
	if strings.HasPrefix(key, "~") {
		for _, d := range docs {
			if hashKey(d.Source) == key {
				return d.Source, true
			}
		}
	}
	return "", false
}

// inlineAskRef returns the reference part of an "ask" ID holding question
// and source inline, and false when it would not fit.
func inlineAskRef(question, source string) (string, bool) {
	key := ""
	if source != "" {
		key = hashKey(source)
	}
	ref := "=" + key + ":" + question
	return ref, textLen(ref) <= askRefRoom
}

// askID is the custom ID of a button showing /ask results from offset.
func askID(offset, limit int, ref string) string {
	return kindAsk + ":" + strconv.Itoa(offset) + ":" + strconv.Itoa(limit) + ":" + ref
}

// contextID is the custom ID of a Show context button.
func contextID(source string, seq int) string {
	return kindContext + ":" + strconv.Itoa(seq) + ":" + sourceKey(source)
}

// sourcesID is the custom ID of a /sources page button.
func sourcesID(page int) string {
	return kindSources + ":" + strconv.Itoa(page)
}

// parseButtonID reads a custom ID written by askID, contextID or sourcesID.
func parseButtonID(s string) (buttonID, error) {
	kind, rest, _ := strings.Cut(s, ":")
	bad := fmt.Errorf("parse custom id %q: %w", clip(s, maxCustomID), errBadCustomID)
	switch kind {
	case kindAsk:
		f := strings.SplitN(rest, ":", 3)
		if len(f) != 3 {
			return buttonID{}, bad
		}
		off, err1 := strconv.Atoi(f[0])
		lim, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil || off < 0 || off > maxOffset || lim < 1 || lim > maxResults {
			return buttonID{}, bad
		}
		id := buttonID{Kind: kindAsk, Offset: off, Limit: lim}
		switch ref := f[2]; {
		case strings.HasPrefix(ref, "#") && len(ref) > 1:
			id.CacheID = ref[1:]
		case strings.HasPrefix(ref, "="):
			key, q, ok := strings.Cut(ref[1:], ":")
			if !ok || strings.TrimSpace(q) == "" {
				return buttonID{}, bad
			}
			id.SourceKey, id.Question = key, q
		default:
			return buttonID{}, bad
		}
		return id, nil
	case kindContext:
		seqs, key, ok := strings.Cut(rest, ":")
		seq, err := strconv.Atoi(seqs)
		if !ok || err != nil || seq < 0 || key == "" {
			return buttonID{}, bad
		}
		return buttonID{Kind: kindContext, Seq: seq, SourceKey: key}, nil
	case kindSources:
		page, err := strconv.Atoi(rest)
		if err != nil || page < 0 {
			return buttonID{}, bad
		}
		return buttonID{Kind: kindSources, Page: page}, nil
	}
	return buttonID{}, bad
}

// askRef is what a cached "ask" button re-runs.
type askRef struct {
	Question string
	Source   string
}

// refCache is a bounded in-memory LRU of questions behind "More results"
// buttons too long to carry inline. Entries expire after ttl. Safe for
// concurrent use.
type refCache struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	now   func() time.Time
	ll    *list.List // front = most recently used
	items map[string]*list.Element
}

type refEntry struct {
	id      string
	ref     askRef
	expires time.Time
}

// newRefCache returns a cache of at most max entries living ttl each.
func newRefCache(max int, ttl time.Duration, now func() time.Time) *refCache {
	return &refCache{max: max, ttl: ttl, now: now, ll: list.New(), items: make(map[string]*list.Element)}
}

// put stores r and returns its ID (up to 13 base-36 characters).
func (c *refCache) put(r askRef) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var id string
	for {
		id = strconv.FormatUint(rand.Uint64(), 36)
		if _, taken := c.items[id]; !taken {
			break
		}
	}
	c.items[id] = c.ll.PushFront(&refEntry{id: id, ref: r, expires: c.now().Add(c.ttl)})
	for c.ll.Len() > c.max {
		e := c.ll.Back()
		c.ll.Remove(e)
		delete(c.items, e.Value.(*refEntry).id)
	}
	return id
}

// get returns the entry for id, refreshing its place and lifetime, and
// false when it is unknown or expired.
func (c *refCache) get(id string) (askRef, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[id]
	if !ok {
		return askRef{}, false
	}
	ent := e.Value.(*refEntry)
	now := c.now()
	if now.After(ent.expires) {
		c.ll.Remove(e)
		delete(c.items, id)
		return askRef{}, false
	}
	ent.expires = now.Add(c.ttl)
	c.ll.MoveToFront(e)
	return ent.ref, true
}

func (c *refCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
