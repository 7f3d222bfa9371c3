package bot

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/citebot/citebot/retrieval"
)

func TestButtonIDRoundTrip(t *testing.T) {
	long := strings.Repeat("a/", 60) + "doc:with~odd.txt"
	tests := []struct {
		name string
		id   string
		want buttonID
	}{
		{"ask inline", askID(3, 3, "=:How many Britons?"),
			buttonID{Kind: kindAsk, Offset: 3, Limit: 3, Question: "How many Britons?"}},
		{"ask inline with colons in question", askID(0, 5, "=:a: b: c"),
			buttonID{Kind: kindAsk, Offset: 0, Limit: 5, Question: "a: b: c"}},
		{"ask inline with source", askID(6, 2, "="+hashKey("001.txt")+":q"),
			buttonID{Kind: kindAsk, Offset: 6, Limit: 2, SourceKey: hashKey("001.txt"), Question: "q"}},
		{"ask cached", askID(9, 3, "#abc123"),
			buttonID{Kind: kindAsk, Offset: 9, Limit: 3, CacheID: "abc123"}},
		{"context", contextID("003_0526fb8791384aad.txt", 17),
			buttonID{Kind: kindContext, Seq: 17, SourceKey: "003_0526fb8791384aad.txt"}},
		{"context long source", contextID(long, 2),
			buttonID{Kind: kindContext, Seq: 2, SourceKey: hashKey(long)}},
		{"sources", sourcesID(4), buttonID{Kind: kindSources, Page: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := textLen(tt.id); n > maxCustomID {
				t.Errorf("id %q has %d characters, want at most %d", tt.id, n, maxCustomID)
			}
			got, err := parseButtonID(tt.id)
			if err != nil {
				t.Fatalf("parseButtonID(%q): %v", tt.id, err)
			}
			if got != tt.want {
				t.Errorf("parseButtonID(%q) = %+v, want %+v", tt.id, got, tt.want)
			}
		})
	}
}

func TestParseButtonIDRejects(t *testing.T) {
	for _, id := range []string{
		"", "nope", "ask:1:3", "ask:x:3:=:q", "ask:1:9:=:q", "ask:-1:3:=:q", "ask:1:3:=:", "ask:1:3:=nocolon",
		"ask:1:3:#", "ask:1:3:plain", "ctx::a.txt", "ctx:-1:a.txt", "ctx:1:", "src:", "src:-2", "src:x",
	} {
		if got, err := parseButtonID(id); !errors.Is(err, errBadCustomID) {
			t.Errorf("parseButtonID(%q) = %+v, %v; want errBadCustomID", id, got, err)
		}
	}
}

func TestInlineAskRefFits(t *testing.T) {
	tests := []struct {
		name     string
		question string
		source   string
		inline   bool
	}{
		{"short", "How many Britons travelled to Syria and Iraq?", "", true},
		{"short with source", "How many Britons?", "001_596a886637f5ae04.txt", true},
		{"exactly the room", strings.Repeat("q", askRefRoom-2), "", true},
		{"one too long", strings.Repeat("q", askRefRoom-1), "", false},
		{"wide characters count double", strings.Repeat("😀", askRefRoom/2), "", false},
		{"500 characters", strings.Repeat("why ", 125), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, ok := inlineAskRef(tt.question, tt.source)
			if ok != tt.inline {
				t.Fatalf("inline = %v, want %v (ref %d characters)", ok, tt.inline, textLen(ref))
			}
			if !ok {
				return
			}
			id := askID(maxOffset, maxResults, ref)
			if textLen(id) > maxCustomID {
				t.Errorf("worst-case id has %d characters", textLen(id))
			}
			got, err := parseButtonID(id)
			if err != nil || got.Question != tt.question {
				t.Errorf("round trip: got %+v, %v; want question %q", got, err, tt.question)
			}
		})
	}
}

func TestResolveSource(t *testing.T) {
	long := strings.Repeat("x", 150) + ".txt"
	d := []retrieval.DocInfo{{Source: "a.txt"}, {Source: long}}
	tests := []struct {
		name, key, want string
		ok              bool
	}{
		{"path", "a.txt", "a.txt", true},
		{"key of short path", sourceKey("a.txt"), "a.txt", true},
		{"hash of long path", sourceKey(long), long, true},
		{"unknown", "b.txt", "", false},
		{"unknown hash", hashKey("b.txt"), "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := resolveSource(d, tt.key)
			if got != tt.want || ok != tt.ok {
				t.Errorf("resolveSource(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRefCacheLRUAndTTL(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newRefCache(2, time.Hour, func() time.Time { return now })
	a := c.put(askRef{Question: "a"})
	b := c.put(askRef{Question: "b"})
	if _, ok := c.get(a); !ok { // a is now the most recent
		t.Fatalf("get(a) missed")
	}
	cc := c.put(askRef{Question: "c"}) // evicts b, the least recently used
	if _, ok := c.get(b); ok {
		t.Errorf("get(b) hit after eviction, want miss")
	}
	if r, ok := c.get(a); !ok || r.Question != "a" {
		t.Errorf("get(a) = %+v, %v; want a", r, ok)
	}
	if n := c.len(); n != 2 {
		t.Errorf("got %d entries, want 2", n)
	}
	now = now.Add(2 * time.Hour)
	if _, ok := c.get(cc); ok {
		t.Errorf("get(c) hit after the TTL, want miss")
	}
	if len(a) > 13 || len(a) == 0 {
		t.Errorf("id %q: want 1 to 13 characters", a)
	}
}
