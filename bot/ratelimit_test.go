package bot

import (
	"fmt"
	"testing"
	"time"
)

func TestUserLimiter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newUserLimiter(6, 2, func() time.Time { return now }) // one every 10 s, bursts of 2

	type step struct {
		advance  time.Duration
		user     string
		ok, warn bool
	}
	steps := []step{
		{0, "ann", true, false},
		{0, "ann", true, false},
		{0, "ann", false, true},  // over: the one notice
		{0, "ann", false, false}, // still over: no second notice
		{0, "bob", true, false},  // users are independent
		{time.Second, "ann", false, false},
		{10 * time.Second, "ann", true, false}, // refilled one token
		{0, "ann", false, true},                // over again: a new notice
	}
	for k, s := range steps {
		now = now.Add(s.advance)
		ok, warn := l.allow(s.user)
		if ok != s.ok || warn != s.warn {
			t.Errorf("step %d (%s): got ok=%v warn=%v, want ok=%v warn=%v", k, s.user, ok, warn, s.ok, s.warn)
		}
	}
}

func TestUserLimiterUnlimited(t *testing.T) {
	l := newUserLimiter(-1, 1, time.Now)
	for i := 0; i < 1000; i++ {
		if ok, _ := l.allow("ann"); !ok {
			t.Fatalf("question %d refused, want no limit", i)
		}
	}
}

func TestUserLimiterForgetsIdleUsers(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newUserLimiter(60, 1, func() time.Time { return now })
	for i := 0; i < maxTrackedUsers; i++ {
		l.allow(fmt.Sprint("user", i))
	}
	now = now.Add(time.Minute) // every bucket refilled
	l.allow("newcomer")
	if n := l.tracked(); n != 1 {
		t.Errorf("got %d tracked users, want 1 after idle users were forgotten", n)
	}
}
