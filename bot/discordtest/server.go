package discordtest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// ErrClosed is returned by waits and dispatches once the [Server] is closed.
var ErrClosed = errors.New("discordtest: server closed")

// ErrNoSession is returned by dispatches when no gateway session is valid:
// the bot has not identified yet, or its session was invalidated and it
// has not identified again. Use [Server.WaitReady] before dispatching.
var ErrNoSession = errors.New("discordtest: no valid gateway session")

// ErrIntent is returned by [Server.SendMessage] when the session did not
// request the intent the message needs (GUILD_MESSAGES for guild channels,
// DIRECT_MESSAGES for DMs), so Discord would not deliver it.
var ErrIntent = errors.New("discordtest: session lacks the intent for this event")

// DefaultHeartbeatInterval is the heartbeat interval announced in HELLO
// unless [WithHeartbeatInterval] says otherwise: Discord's own 41.25 s.
// discordgo sends its first heartbeat as soon as a connection is open (and
// [Server.WaitReady] waits for it), then one per interval, so in a short
// test a session heartbeats once per connection.
//
// The interval is long on purpose. discordgo v0.29.0 has a race: when its
// reader goroutine closes the connection (after a drop, a close frame or
// op 7) while the heartbeat goroutine is between a tick and its next wait,
// the heartbeat goroutine later fails to write on the dead connection and
// closes the session's next connection, whose own heartbeat goroutine then
// does the same: a reconnect storm, each connection closed with 1000 a
// second after it opens. A tick comes seldom with a long interval, and
// none at all after the first heartbeat in a test shorter than it.
const DefaultHeartbeatInterval = 41250 * time.Millisecond

// DefaultCallbackDeadline is how long after dispatch Discord accepts the
// initial response to an interaction (its 3-second rule). A later callback
// gets 404 Unknown interaction (code 10062).
const DefaultCallbackDeadline = 3 * time.Second

// MemberPermissions is the permission set of a guild member in injected
// events when [From.Permissions] is zero: an ordinary member who can read,
// write and use application commands, but not manage the server.
const MemberPermissions int64 = discordgo.PermissionViewChannel |
	discordgo.PermissionSendMessages |
	discordgo.PermissionReadMessageHistory |
	discordgo.PermissionEmbedLinks |
	discordgo.PermissionAddReactions |
	discordgo.PermissionUseApplicationCommands

// An Option changes a [Server] made by [NewServer].
type Option func(*config)

type config struct {
	heartbeat        time.Duration
	callbackDeadline time.Duration
	privileged       discordgo.Intent
	logf             func(format string, args ...any)
	token            string
}

// WithHeartbeatInterval sets the heartbeat interval announced in HELLO.
// Zero or negative means [DefaultHeartbeatInterval]. discordgo gives up on
// a connection after five intervals without a heartbeat ACK.
//
// A short interval (say 100 ms) exercises heartbeats and
// [Server.SetHeartbeatAck], but do not combine it with gateway faults that
// make discordgo close the connection ([Server.DropGateway],
// [Server.CloseGateway], [Server.Reconnect]): a tick near the fault can set
// off the discordgo race described at [DefaultHeartbeatInterval], and the
// session then never settles.
func WithHeartbeatInterval(d time.Duration) Option {
	return func(c *config) { c.heartbeat = d }
}

// WithCallbackDeadline sets how long after dispatch an interaction may be
// acknowledged. Zero means [DefaultCallbackDeadline]; negative disables the
// check.
func WithCallbackDeadline(d time.Duration) Option {
	return func(c *config) { c.callbackDeadline = d }
}

// WithPrivilegedIntents allows the given privileged intents (GUILD_MEMBERS,
// GUILD_PRESENCES, MESSAGE_CONTENT). By default none is allowed, as for a
// bot whose privileged intents are switched off in the developer portal:
// an IDENTIFY asking for one is closed with code 4014.
func WithPrivilegedIntents(i discordgo.Intent) Option {
	return func(c *config) { c.privileged = i }
}

// WithLogf sends the fake's log lines to f instead of t.Logf. A nil f
// silences the fake, which helps load tests with thousands of requests.
func WithLogf(f func(format string, args ...any)) Option {
	return func(c *config) {
		if f == nil {
			f = func(string, ...any) {}
		}
		c.logf = f
	}
}

// WithToken sets the bot token the fake accepts (without the "Bot "
// prefix). By default each server makes up a random one.
func WithToken(token string) Option {
	return func(c *config) { c.token = token }
}

// Server is a fake Discord: the REST API under /api/v9 and the gateway
// websocket, on 127.0.0.1. Create it with [NewServer]. Its methods are safe
// for concurrent use. Its exported fields are set by NewServer and must be
// treated as read-only.
type Server struct {
	// URL is the base of the REST API, "http://127.0.0.1:port", with no
	// trailing slash. Requests keep Discord's paths: URL+"/api/v9/users/@me".
	// It is what a DISCORD_API_BASE setting would hold.
	URL string
	// GatewayURL is the websocket address returned by GET /api/v9/gateway
	// and as READY's resume_gateway_url, "ws://127.0.0.1:port/gateway".
	GatewayURL string
	// Token is the bot token the fake accepts, without "Bot ". discordgo
	// sends it as "Authorization: Bot <Token>" (discordgo.New("Bot "+Token)).
	// The fake accepts it with or without the prefix, and never logs it.
	Token string
	// AppID is the application's snowflake, sent in READY and in every
	// interaction's application_id.
	AppID string
	// BotUserID and BotUsername name the bot user (GET /users/@me, READY).
	// BotUserID differs from AppID so that code mixing them up fails: the
	// application ID comes from READY's application.id (in discordgo,
	// Ready.Application.ID, also s.State.Application.ID), not from the
	// bot user's ID.
	BotUserID   string
	BotUsername string
	// GuildID and ChannelID are the default guild and its text channel,
	// used by injected events unless [From] says otherwise.
	GuildID   string
	ChannelID string
	// User is the default human who invokes commands and writes messages
	// in injected events unless [From.User] is set.
	User *discordgo.User

	t         testing.TB
	cfg       config
	hs        *httptest.Server
	transport *http.Transport
	done      chan struct{}

	delay  atomic.Int64 // nanoseconds added to every REST answer
	silent atomic.Bool  // set when Close returns: t.Logf is off limits then

	// dmu serialises gateway writes that carry sequence numbers, so that
	// events reach the client in sequence order.
	dmu sync.Mutex

	mu            sync.Mutex
	closed        bool
	changed       chan struct{} // closed and replaced whenever a record is added
	requests      []Request
	reqBase       int // requests dropped by Forget
	evBase        int // gateway events dropped by Forget
	reqSeq        int
	faults        []*faultState
	rejected      bool // token rejected: REST 401, gateway 4004
	heartbeatAck  bool
	heartbeats    int
	connSeq       int
	conns         map[*gwConn]struct{}
	wsWG          sync.WaitGroup
	current       *session
	sessions      map[string]*session
	identifies    []Identify
	resumes       []Resume
	gwEvents      []GatewayEvent
	interactions  map[string]*interactionState // by interaction id
	tokens        map[string]*interactionState // by interaction token
	messages      map[string]*storedMsg
	channels      map[string]*channelInfo
	dmByUser      map[string]string // user id -> DM channel id
	users         map[string]*discordgo.User
	commands      map[string][]map[string]any // scope ("" = global, else guild id) -> commands
	dispatchCount int
}

// NewServer starts a fake Discord on 127.0.0.1:0 and closes it in
// t.Cleanup. It works with no options. Its log lines go to t.Logf,
// prefixed "discordtest: ".
//
// Close any discordgo session (or bot) using the server before the server
// closes: register its cleanup after calling NewServer, since cleanups run
// last-in first-out. A session left open keeps trying to reconnect.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		t:            t,
		done:         make(chan struct{}),
		changed:      make(chan struct{}),
		heartbeatAck: true,
		conns:        map[*gwConn]struct{}{},
		sessions:     map[string]*session{},
		interactions: map[string]*interactionState{},
		tokens:       map[string]*interactionState{},
		messages:     map[string]*storedMsg{},
		channels:     map[string]*channelInfo{},
		dmByUser:     map[string]string{},
		users:        map[string]*discordgo.User{},
		commands:     map[string][]map[string]any{},
	}
	s.cfg.logf = t.Logf
	for _, o := range opts {
		o(&s.cfg)
	}
	if s.cfg.heartbeat <= 0 {
		s.cfg.heartbeat = DefaultHeartbeatInterval
	}
	if s.cfg.callbackDeadline == 0 {
		s.cfg.callbackDeadline = DefaultCallbackDeadline
	}
	s.Token = s.cfg.token
	if s.Token == "" {
		s.Token = "discordtest." + randomHex(12) + "." + randomHex(16)
	}
	s.AppID = newSnowflake()
	s.BotUserID = newSnowflake()
	s.BotUsername = "citebot-test"
	s.GuildID = newSnowflake()
	s.ChannelID = newSnowflake()
	s.channels[s.ChannelID] = &channelInfo{ID: s.ChannelID, Type: discordgo.ChannelTypeGuildText, GuildID: s.GuildID, Name: "general"}
	s.users[s.BotUserID] = s.BotUser()
	s.User = s.NewUser("tester")

	s.hs = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.hs.Start()
	s.URL = s.hs.URL
	s.GatewayURL = "ws://" + strings.TrimPrefix(s.hs.URL, "http://") + "/gateway"
	s.transport = &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	s.logf("listening on %s (app %s, bot user %s, guild %s, channel %s)", s.URL, s.AppID, s.BotUserID, s.GuildID, s.ChannelID)
	t.Cleanup(s.Close)
	return s
}

// Close shuts the server down: it closes every gateway websocket, waits for
// in-flight REST requests (cutting injected delays short) and gateway
// goroutines to end. NewServer registers it with t.Cleanup; calling it
// again is harmless.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	conns := make([]*gwConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.notifyLocked()
	s.mu.Unlock()

	for _, c := range conns {
		c.closeNow(websocket.CloseGoingAway)
	}
	s.hs.Close()
	s.wsWG.Wait()
	s.transport.CloseIdleConnections()
	s.mu.Lock()
	n := s.reqBase + len(s.requests)
	s.mu.Unlock()
	s.logf("closed after %d REST requests", n)
	s.silent.Store(true)
}

// Client returns a new *http.Client whose transport sends every request for
// https://discord.com (and http://discord.com) to the fake, keeping the
// path and query, so that a discordgo session talks to the fake:
//
//	s, _ := discordgo.New("Bot " + srv.Token)
//	s.Client = srv.Client()
//	err := s.Open()
//
// Requests to the fake's own address pass through; any other host fails
// with an error, so a test can never reach the internet. Timeout is 20 s,
// as in discordgo.New.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: &rewriter{s: s}, Timeout: 20 * time.Second}
}

type rewriter struct{ s *Server }

func (rw *rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	target, err := url.Parse(rw.s.URL)
	if err != nil {
		return nil, err
	}
	switch req.URL.Host {
	case "discord.com", "discordapp.com", target.Host:
	default:
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("discordtest: refusing request to %s (only discord.com is faked)", req.URL.Host)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme = target.Scheme
	out.URL.Host = target.Host
	out.Host = target.Host
	return rw.s.transport.RoundTrip(out)
}

// BotUser returns the bot's user object, as in READY and GET /users/@me.
func (s *Server) BotUser() *discordgo.User {
	return &discordgo.User{ID: s.BotUserID, Username: s.BotUsername, Discriminator: "0", Bot: true, Verified: true}
}

// NewUser makes a human user with a fresh snowflake and the given name,
// known to GET /users/{id}. Set Bot on the result for another bot (the
// fake keeps its own copy, so changing the result is safe).
func (s *Server) NewUser(name string) *discordgo.User {
	u := discordgo.User{ID: newSnowflake(), Username: name, GlobalName: name, Discriminator: "0"}
	s.mu.Lock()
	s.users[u.ID] = &u
	s.mu.Unlock()
	out := u
	return &out
}

// DMChannel returns the ID of the DM channel between the bot and userID,
// creating it if needed. POST /users/@me/channels returns the same ID.
func (s *Server) DMChannel(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dmChannelLocked(userID)
}

func (s *Server) dmChannelLocked(userID string) string {
	if id, ok := s.dmByUser[userID]; ok {
		return id
	}
	id := newSnowflake()
	s.dmByUser[userID] = id
	s.channels[id] = &channelInfo{ID: id, Type: discordgo.ChannelTypeDM, RecipientID: userID}
	return id
}

// Forget drops the recorded requests, gateway events, IDENTIFY and RESUME
// records, and what the fake remembers of acknowledged interactions and of
// messages, so that long runs (thousands of questions) keep the fake's
// memory flat. Interactions not yet acknowledged (and the messages their
// buttons are on), the session and registered commands are kept. Waits in
// progress carry on with what is recorded afterwards.
//
// Call it between batches, when no answer is in flight: an edit or
// follow-up for a forgotten interaction gets 404 Unknown Webhook, and a
// reply to a forgotten message is refused.
func (s *Server) Forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqBase += len(s.requests)
	s.requests = nil
	s.evBase += len(s.gwEvents)
	s.gwEvents = nil
	s.identifies, s.resumes = nil, nil
	for id, st := range s.interactions {
		if st.acked || st.expired {
			delete(s.interactions, id)
			delete(s.tokens, st.token)
		}
	}
	keep := map[string]bool{}
	for _, st := range s.interactions {
		keep[st.componentMsgID] = true
	}
	for id := range s.messages {
		if !keep[id] {
			delete(s.messages, id)
		}
	}
	s.notifyLocked()
}

// SetDelay delays every REST answer by d (in addition to any [Fault]
// delay) until it is set back to zero. A client that gives up first (its
// context or timeout) makes the fake record the request with Status 0.
func (s *Server) SetDelay(d time.Duration) {
	s.delay.Store(int64(d))
	s.logf("REST delay set to %v", d)
}

// SetHeartbeatAck turns heartbeat ACKs (op 11) on or off; they are on by
// default. With them off, discordgo closes the connection (with 1000,
// which ends the session) after five heartbeat intervals and reconnects;
// use a short [WithHeartbeatInterval] for that.
func (s *Server) SetHeartbeatAck(on bool) {
	s.mu.Lock()
	s.heartbeatAck = on
	s.mu.Unlock()
	s.logf("heartbeat ACKs on=%v", on)
}

// Heartbeats returns the number of heartbeats (op 1) received so far.
func (s *Server) Heartbeats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.heartbeats
}

func (s *Server) logf(format string, args ...any) {
	if s.silent.Load() {
		return
	}
	s.t.Helper()
	s.cfg.logf("discordtest: "+format, args...)
}

// notifyLocked wakes every waiter. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) tokenValid(tok string) bool {
	tok = strings.TrimPrefix(tok, "Bot ")
	s.mu.Lock()
	rejected := s.rejected
	s.mu.Unlock()
	return !rejected && tok == s.Token
}

// snowflakes: Discord epoch milliseconds in the top 42 bits, made strictly
// increasing across the whole test binary.
var lastSnowflake atomic.Uint64

const discordEpochMS = 1420070400000

func newSnowflake() string {
	for {
		last := lastSnowflake.Load()
		id := uint64(time.Now().UnixMilli()-discordEpochMS) << 22
		if id <= last {
			id = last + 1
		}
		if lastSnowflake.CompareAndSwap(last, id) {
			return strconv.FormatUint(id, 10)
		}
	}
}

// snowflakeTime returns the creation time encoded in a snowflake.
func snowflakeTime(id string) time.Time {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return time.Now()
	}
	return time.UnixMilli(int64(n>>22) + discordEpochMS).UTC()
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
