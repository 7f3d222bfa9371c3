package discordtest

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault describes an injected REST failure or delay; see [Server.FailNext].
type Fault struct {
	// Path limits the fault to requests whose URL path starts with Path,
	// such as "/api/v9/interactions/" or "/api/v9/channels/". Empty
	// matches every REST request.
	Path string
	// Method limits the fault to one HTTP method; empty matches any.
	Method string
	// Times is how many matching requests get the fault; zero means 1.
	Times int
	// Status is the HTTP status to answer with instead of serving the
	// request (429, 500, 502, 503, 401, 404 ...). Zero means the request is
	// served normally, after Delay.
	Status int
	// RetryAfter is the wait a 429 asks for, in the body's retry_after
	// (seconds, fractional) and the X-RateLimit-Reset-After header that
	// discordgo reads. Zero means 100 ms.
	RetryAfter time.Duration
	// Global makes a 429 a global rate limit (X-RateLimit-Global: true,
	// X-RateLimit-Scope: global, "global": true), which discordgo applies
	// to all routes.
	Global bool
	// Code and Message go into the Discord error body. Zero values pick
	// the usual ones for Status (e.g. 0 and "500: Internal Server Error").
	Code    int
	Message string
	// Delay holds the answer back this long (cut short if the client gives
	// up or the server closes).
	Delay time.Duration
}

type faultState struct {
	Fault
	left int
}

// FailNext queues a fault for the next f.Times requests matching f.Path and
// f.Method. Faults are consumed in the order they were queued; a request
// takes at most one fault. Safe for concurrent use.
//
// Examples:
//
//	srv.FailNext(discordtest.Fault{Status: 429, RetryAfter: 50 * time.Millisecond, Path: "/api/v9/interactions/"})
//	srv.FailNext(discordtest.Fault{Status: 503, Times: 2})
//	srv.FailNext(discordtest.Fault{Delay: 4 * time.Second, Path: "/api/v9/webhooks/"})
func (s *Server) FailNext(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	if f.Status == http.StatusTooManyRequests && f.RetryAfter <= 0 {
		f.RetryAfter = 100 * time.Millisecond
	}
	s.mu.Lock()
	s.faults = append(s.faults, &faultState{Fault: f, left: f.Times})
	s.mu.Unlock()
	s.logf("fault queued: %d× status=%d delay=%v path=%q method=%q global=%v", f.Times, f.Status, f.Delay, f.Path, f.Method, f.Global)
}

// RateLimitNext answers the next request whose path starts with path
// (empty: any) with 429 and the given retry_after; global makes it a
// global limit. It is FailNext with Status 429.
func (s *Server) RateLimitNext(path string, retryAfter time.Duration, global bool) {
	s.FailNext(Fault{Path: path, Status: http.StatusTooManyRequests, RetryAfter: retryAfter, Global: global})
}

// PendingFaults returns how many fault uses are still queued.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.faults {
		n += f.left
	}
	return n
}

// takeFault returns a copy of the first queued fault matching r, using
// one of its uses, or nil.
func (s *Server) takeFault(method, path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.left <= 0 {
			continue
		}
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if !strings.HasPrefix(path, f.Path) {
			continue
		}
		f.left--
		out := f.Fault
		if f.left == 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		return &out
	}
	return nil
}

// faultResponse builds the answer for a fault with a non-zero Status.
func faultResponse(f *Fault, bucket string) response {
	h := http.Header{}
	switch f.Status {
	case http.StatusTooManyRequests:
		secs := f.RetryAfter.Seconds()
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(secs))))
		h.Set("X-RateLimit-Limit", "5")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", fmt.Sprintf("%.3f", float64(time.Now().Add(f.RetryAfter).UnixMilli())/1000))
		h.Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", secs))
		h.Set("X-RateLimit-Bucket", bucket)
		scope := "user"
		if f.Global {
			h.Set("X-RateLimit-Global", "true")
			scope = "global"
		}
		h.Set("X-RateLimit-Scope", scope)
		msg := f.Message
		if msg == "" {
			msg = "You are being rate limited."
		}
		body := map[string]any{"message": msg, "retry_after": secs, "global": f.Global}
		if f.Code != 0 {
			body["code"] = f.Code
		}
		return response{status: f.Status, header: h, body: body}
	default:
		msg := f.Message
		if msg == "" {
			msg = fmt.Sprintf("%d: %s", f.Status, http.StatusText(f.Status))
		}
		return response{status: f.Status, header: h, body: apiError(f.Code, msg)}
	}
}

// ExpireInteraction makes the interaction unknown to Discord, as when its
// token expired or it was never delivered: its callback gets 404 Unknown
// interaction (code 10062) and its webhook routes (@original, follow-ups)
// get 404 Unknown Webhook (code 10015).
func (s *Server) ExpireInteraction(id string) {
	s.mu.Lock()
	if st := s.interactions[id]; st != nil {
		st.expired = true
	}
	s.mu.Unlock()
	s.logf("interaction %s expired", id)
}

// RejectToken makes the bot token invalid from now on, as when it is reset
// in the developer portal: authenticated REST routes answer 401, every
// gateway connection is closed with 4004 Authentication failed, and later
// IDENTIFY or RESUME attempts are closed with 4004 too. Interaction
// callbacks and webhook routes need no bot token and keep working.
func (s *Server) RejectToken() {
	s.mu.Lock()
	s.rejected = true
	conns := s.connsLocked()
	s.mu.Unlock()
	s.logf("token rejected")
	for _, c := range conns {
		s.closeConn(c, closeAuthenticationFailed, "Authentication failed.")
	}
}
