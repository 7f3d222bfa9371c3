package bot

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// userLimiter limits each user's questions with a token bucket per user.
// It remembers whether a user was already told they are over the limit, so
// a user who keeps asking gets one notice, not one per message. Safe for
// concurrent use.
type userLimiter struct {
	mu    sync.Mutex
	limit rate.Limit
	burst int
	now   func() time.Time
	users map[string]*userRate
}

type userRate struct {
	lim    *rate.Limiter
	warned bool
}

// maxTrackedUsers bounds the limiter's memory: past it, users whose bucket
// has refilled (who are back to the state of a new user) are forgotten.
const maxTrackedUsers = 10000

// newUserLimiter allows perMinute questions a minute per user with bursts
// of burst; perMinute < 0 means no limit.
func newUserLimiter(perMinute, burst int, now func() time.Time) *userLimiter {
	l := &userLimiter{limit: rate.Inf, burst: burst, now: now, users: make(map[string]*userRate)}
	if perMinute >= 0 {
		l.limit = rate.Limit(float64(perMinute) / 60)
	}
	return l
}

// allow reports whether user may ask now. When not, warn is true for the
// first refusal since the user's last allowed question.
func (l *userLimiter) allow(user string) (ok, warn bool) {
	if l.limit == rate.Inf {
		return true, false
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.users[user]
	if u == nil {
		if len(l.users) >= maxTrackedUsers {
			l.sweep(now)
		}
		u = &userRate{lim: rate.NewLimiter(l.limit, l.burst)}
		l.users[user] = u
	}
	if u.lim.AllowN(now, 1) {
		u.warned = false
		return true, false
	}
	warn = !u.warned
	u.warned = true
	return false, warn
}

// sweep forgets users whose bucket is full again.
func (l *userLimiter) sweep(now time.Time) {
	for id, u := range l.users {
		if u.lim.TokensAt(now) >= float64(l.burst) {
			delete(l.users, id)
		}
	}
}

func (l *userLimiter) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.users)
}
