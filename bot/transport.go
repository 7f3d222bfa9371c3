package bot

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// restTimeout bounds one REST request when the bot makes its own client.
const restTimeout = 20 * time.Second

// maxIdleConns is how many idle connections to the API base the bot's own
// transport keeps (net/http's default is 2 per host).
const maxIdleConns = 64

// rewriteTransport sends every request for https://discord.com to base
// instead, keeping the path and query. Other requests pass unchanged.
type rewriteTransport struct {
	base *url.URL
	next http.RoundTripper
}

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" || !strings.EqualFold(req.URL.Host, "discord.com") {
		return t.next.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme = t.base.Scheme
	r.URL.Host = t.base.Host
	if p := strings.TrimSuffix(t.base.Path, "/"); p != "" {
		r.URL.Path = p + req.URL.Path
		r.URL.RawPath = ""
	}
	r.Host = ""
	return t.next.RoundTrip(r)
}

// restClient returns the HTTP client for REST calls: client (or a new one
// when nil), with requests for https://discord.com redirected to apiBase
// when it is set.
func restClient(client *http.Client, apiBase string) (*http.Client, error) {
	if apiBase == "" {
		if client != nil {
			return client, nil
		}
		return &http.Client{Timeout: restTimeout}, nil
	}
	u, err := url.Parse(apiBase)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("api base %q: want an http(s) URL such as http://127.0.0.1:8080", apiBase)
	}
	c := &http.Client{Timeout: restTimeout}
	if client != nil {
		cp := *client
		c = &cp
	}
	next := c.Transport
	if next == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// A plain-HTTP API base (a proxy, the fake) speaks HTTP/1.1: one
		// request per connection at a time. With the default 2 idle
		// connections per host, a burst of answers dials a connection for
		// nearly every callback and closes it again.
		t.MaxIdleConnsPerHost = maxIdleConns
		next = t
	}
	c.Transport = &rewriteTransport{base: u, next: next}
	return c, nil
}
