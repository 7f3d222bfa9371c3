package retrieval

import (
	"sync"
	"sync/atomic"
)

// infoBudget bounds the bytes of passage analyses an [Index] keeps (about
// 19 bytes a token): the whole of SQuAD dev (2k passages) or the shipped
// corpus fits several times over, so their searches never analyse a
// passage twice, while a corpus of 100k passages would hold 300 MB and one
// of 1M passages 3 GB. Analysing a search's 50 candidates again costs
// about 2 ms. Tests lower it to check eviction.
var infoBudget int64 = 32 << 20

// infoCache holds passage analyses up to [infoBudget] bytes and drops the
// oldest first. Lookups take no lock: a passage's analysis is an atomic
// pointer, and a dropped analysis stays valid for whoever holds it.
type infoCache struct {
	infos  []atomic.Pointer[pinfo]
	budget int64

	mu   sync.Mutex // guards the rest
	used int64
	// fifo holds the cached passages, oldest first from head.
	fifo []cached
	head int
}

type cached struct {
	ord  int32
	size int32
}

func newInfoCache(n int, budget int64) *infoCache {
	return &infoCache{infos: make([]atomic.Pointer[pinfo], n), budget: budget}
}

// get returns passage ord's analysis, or nil when it is not cached.
func (c *infoCache) get(ord int) *pinfo { return c.infos[ord].Load() }

// put caches p as passage ord's analysis, dropping the oldest analyses
// while the cache is over budget, and returns the analysis now cached
// (another caller's, if it came first). It reports false when p is larger
// than the whole budget and was not kept.
func (c *infoCache) put(ord int, p *pinfo) (*pinfo, bool) {
	size := p.size()
	if size > c.budget {
		return p, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if q := c.infos[ord].Load(); q != nil {
		return q, true
	}
	for c.used+size > c.budget && c.head < len(c.fifo) {
		old := c.fifo[c.head]
		c.head++
		c.infos[old.ord].Store(nil)
		c.used -= int64(old.size)
	}
	if c.head > len(c.fifo)/2 && c.head > 64 {
		n := copy(c.fifo, c.fifo[c.head:])
		c.fifo, c.head = c.fifo[:n], 0
	}
	c.infos[ord].Store(p)
	c.fifo = append(c.fifo, cached{ord: int32(ord), size: int32(size)})
	c.used += size
	return p, true
}

// bytes returns the bytes of analyses cached.
func (c *infoCache) bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

// size estimates the bytes p holds.
func (p *pinfo) size() int64 {
	const header = 7*24 + 64 // slice headers, allocation overhead
	n := len(p.ids)
	return int64(header + n*(4+4+8+2+1) + len(p.sents)*16 + len(p.title)*4)
}
