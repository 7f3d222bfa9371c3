// Package bot is citebot's Discord side: it keeps a gateway session,
// registers the slash commands /ask, /sources, /help and /reindex, answers
// them, direct messages and mentions with quotes from a [Searcher], and
// renders replies within Discord's limits.
//
// Every reply is built by a pure function (a question and a
// retrieval.Result in, a message out) and sent in a separate step, with
// allowed_mentions set to an empty parse list so quoted text can never
// ping anyone. Interactions are answered within Discord's 3-second
// deadline: directly when the answer is ready within [Config.AckBudget],
// otherwise with a deferred acknowledgement followed by an edit.
//
// Indexing and ranking are left to package retrieval, configuration from
// the environment to cmd/citebot. The package talks to Discord only
// through discordgo; [Config.APIBase] and [Config.HTTPClient] point it at
// another REST endpoint such as a rate-limit proxy or the fake Discord of
// package discordtest.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/citebot/citebot/corpus"
	"github.com/citebot/citebot/retrieval"
)

// Searcher is what the bot needs from the index; a *retrieval.Store
// satisfies it. Methods are called concurrently.
type Searcher interface {
	// Search ranks passages for question. "Nothing relevant" is a result
	// (NoneRelevant), not an error; an error means the search itself
	// failed, and the user is told so. It must return soon after ctx ends.
	Search(ctx context.Context, question string, opts retrieval.SearchOptions) (retrieval.Result, error)
	// Documents lists the indexed documents, for /sources and autocomplete.
	Documents() []retrieval.DocInfo
	// Passage returns passage seq of document source, for Show context.
	Passage(source string, seq int) (corpus.Passage, bool)
}

// Reindexer reloads the corpus folder and rebuilds the index, switching to
// the new index when it succeeds. It returns retrieval.ErrBuildRunning if a
// rebuild is already running; on any error the current index must keep
// serving.
type Reindexer func(ctx context.Context) (retrieval.Change, error)

// ErrInvalidToken is returned (wrapped) by [Bot.Run] when Discord rejects
// the token: a REST 401 or a gateway close with code 4004.
var ErrInvalidToken = errors.New("discord rejected the bot token (invalid token)")

// Config holds the bot's settings. The zero value of each optional field
// means its default.
type Config struct {
	// Token is the bot token, with or without the "Bot " prefix. Required.
	// It is never logged.
	Token string
	// GuildID, if set, registers the commands on that server only (they
	// update instantly there); "" registers them globally.
	GuildID string
	// AdminIDs are user IDs allowed to /reindex, besides members with the
	// Manage Server or Administrator permission. In direct messages only
	// they may.
	AdminIDs []string
	// RatePerMinute is each user's sustained question rate. 0 means 10, a
	// pace no person reading the answers exceeds; negative means no limit.
	RatePerMinute int
	// Burst is how many questions a user may ask at once before the rate
	// applies. 0 means 5.
	Burst int
	// APIBase, if set (e.g. "http://127.0.0.1:8080"), receives every REST
	// request that would go to https://discord.com, same path: for a REST
	// proxy or a fake Discord. The gateway URL still comes from GET
	// /gateway. "" means Discord itself.
	APIBase string
	// HTTPClient, if set, carries the REST requests (tests pass the fake
	// Discord's client). nil means a new client with a 20 s timeout.
	HTTPClient *http.Client
	// AckBudget is how long an interaction's answer may take before the
	// bot sends a deferred acknowledgement instead (Discord allows 3 s in
	// all). 0 means 1.5 s, which leaves room for the callback itself.
	AckBudget time.Duration
	// ShutdownTimeout bounds how long Run waits for answers in flight
	// once its context ends; then they are cancelled. 0 means 10 s.
	ShutdownTimeout time.Duration
	// Logger receives the bot's logs; nil discards them.
	Logger *slog.Logger
}

// Defaults for zero Config fields.
const (
	defaultRatePerMinute   = 10
	defaultBurst           = 5
	defaultAckBudget       = 1500 * time.Millisecond
	maxAckBudget           = 2500 * time.Millisecond
	defaultShutdownTimeout = 10 * time.Second
)

// searchTimeout bounds one search; interaction tokens outlive it by far.
const searchTimeout = 10 * time.Second

// Reconnect backoff after the gateway drops.
const (
	minBackoff = 500 * time.Millisecond
	maxBackoff = 60 * time.Second
)

// A gateway that drops more than flapLimit times within flapWindow is
// flapping: reconnects back off even after sessions that got ready. Each
// reconnect may cost an IDENTIFY, of which Discord allows 1000 a day, and
// discordgo v0.29.0 can feed a drop loop itself: a heartbeat goroutine of
// a closed connection that was mid-tick fails its write and closes the
// session's next connection (bwmarrin/discordgo#406). A pause breaks that
// loop, since the stale goroutine then finds no connection to close.
var (
	flapLimit  = 3
	flapWindow = time.Minute
)

// refCache size: questions behind cached "More results" buttons.
const (
	refCacheSize = 4096
	refCacheTTL  = 24 * time.Hour
)

// Bot answers questions on Discord. Create it with [New] and start it with
// [Bot.Run], once.
type Bot struct {
	cfg     Config
	log     *slog.Logger
	search  Searcher
	reindex Reindexer
	client  *http.Client
	admins  map[string]bool
	limiter *userLimiter
	refs    *refCache

	started    atomic.Bool
	reindexing atomic.Bool
	closing    atomic.Bool // Run is closing the gateway itself
	// arrived is when the last question (interaction or message) reached
	// the bot, in UnixNano: shutdown keeps the gateway open while they
	// still come in, so that each gets the restarting notice.
	arrived atomic.Int64

	s *discordgo.Session

	idMu   sync.RWMutex
	selfID string // the bot's user ID
	appID  string // the application ID (from READY)

	// questions counts answers in flight and is closed when shutdown
	// starts; tasks counts every goroutine the bot starts and is closed
	// just before the gateway closes.
	questions, tasks gate

	workCtx    context.Context // for answers; cancelled at the end of shutdown
	cancelWork context.CancelFunc

	reconnect chan struct{} // the gateway dropped; buffered 1
	fatal     chan error    // Run must stop; buffered 1
	unready   atomic.Int32  // disconnects since the last READY/RESUMED

	lastClose       atomic.Int32 // close code of the current connection (see closecode.go)
	closeHookWarned atomic.Bool  // close codes cannot be read
	bucketsWarned   atomic.Bool  // rate-limit buckets cannot be cleaned (see buckets.go)
}

// New checks cfg and returns a bot that answers from s. reindex may be
// nil, in which case /reindex says it is not available. Errors name the
// offending Config field.
func New(cfg Config, s Searcher, reindex Reindexer) (*Bot, error) {
	if s == nil {
		return nil, errors.New("new bot: no searcher")
	}
	cfg.Token = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(cfg.Token), "Bot "))
	switch {
	case cfg.Token == "":
		return nil, errors.New("bot config Token: empty; the bot needs a Discord bot token")
	case strings.ContainsAny(cfg.Token, " \t\r\n"):
		return nil, errors.New("bot config Token: contains spaces; copy the token exactly")
	case cfg.GuildID != "" && !ValidID(cfg.GuildID):
		return nil, fmt.Errorf("bot config GuildID: %q is not a Discord ID (digits only)", cfg.GuildID)
	case cfg.Burst < 0:
		return nil, fmt.Errorf("bot config Burst: %d is negative", cfg.Burst)
	case cfg.AckBudget < 0 || cfg.AckBudget > maxAckBudget:
		return nil, fmt.Errorf("bot config AckBudget: %v is outside 0 to %v (Discord allows 3 s)", cfg.AckBudget, maxAckBudget)
	case cfg.ShutdownTimeout < 0:
		return nil, fmt.Errorf("bot config ShutdownTimeout: %v is negative", cfg.ShutdownTimeout)
	}
	admins := make(map[string]bool)
	for _, id := range cfg.AdminIDs {
		id = strings.TrimSpace(id)
		if !ValidID(id) {
			return nil, fmt.Errorf("bot config AdminIDs: %q is not a Discord user ID (digits only)", id)
		}
		admins[id] = true
	}
	client, err := restClient(cfg.HTTPClient, strings.TrimSpace(cfg.APIBase))
	if err != nil {
		return nil, fmt.Errorf("bot config APIBase: %w", err)
	}
	if cfg.RatePerMinute == 0 {
		cfg.RatePerMinute = defaultRatePerMinute
	}
	if cfg.Burst == 0 {
		cfg.Burst = defaultBurst
	}
	if cfg.AckBudget == 0 {
		cfg.AckBudget = defaultAckBudget
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = defaultShutdownTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Bot{
		cfg:       cfg,
		log:       log,
		search:    s,
		reindex:   reindex,
		client:    client,
		admins:    admins,
		limiter:   newUserLimiter(cfg.RatePerMinute, cfg.Burst, time.Now),
		refs:      newRefCache(refCacheSize, refCacheTTL, time.Now),
		reconnect: make(chan struct{}, 1),
		fatal:     make(chan error, 1),
	}, nil
}

// ValidID reports whether s looks like a Discord ID (a snowflake): one to
// twenty decimal digits.
func ValidID(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Run connects to Discord, registers the commands (a bulk overwrite, only
// when they differ from those registered), and answers until ctx ends.
// Then it shuts down gracefully: new questions are told the bot is
// restarting, answers in flight get up to [Config.ShutdownTimeout] to
// finish, and the gateway is closed. Run returns nil after a shutdown
// caused by ctx, and only once every goroutine it started has ended. It
// returns an error wrapping [ErrInvalidToken] when Discord rejects the
// token (REST 401, gateway close 4004) instead of retrying forever; other
// gateway drops are resumed with backoff. Run may be called once.
func (b *Bot) Run(ctx context.Context) error {
	if !b.started.CompareAndSwap(false, true) {
		return errors.New("run bot: already started")
	}
	s, err := discordgo.New("Bot " + b.cfg.Token)
	if err != nil {
		return fmt.Errorf("run bot: %w", err)
	}
	s.Client = b.client
	s.Identify.Intents = discordgo.IntentsDirectMessages | discordgo.IntentsGuildMessages
	s.ShouldReconnectOnError = false // Run reconnects itself, so it sees close codes
	s.SyncEvents = true              // handlers only hand work to goroutines Run tracks
	s.StateEnabled = false
	s.LogLevel = -1 // discordgo logs through the standard logger; Run logs what matters
	b.s = s
	b.workCtx, b.cancelWork = context.WithCancel(context.WithoutCancel(ctx))
	defer b.cancelWork()
	defer b.client.CloseIdleConnections()

	me, err := s.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		if isUnauthorized(err) {
			return fmt.Errorf("log in: %w", ErrInvalidToken)
		}
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return fmt.Errorf("log in: %w", err)
	}
	b.setIDs(me.ID, me.ID)

	s.AddHandler(b.onConnect)
	s.AddHandler(b.onReady)
	s.AddHandler(b.onResumed)
	s.AddHandler(b.onDisconnect)
	s.AddHandler(b.onInteraction)
	s.AddHandler(b.onMessage)

	if err := s.Open(); err != nil {
		if fatal := gatewayFatal(err); fatal != nil {
			return fmt.Errorf("open gateway: %w", fatal)
		}
		return fmt.Errorf("open gateway: %w", err)
	}
	b.log.Info("connected", "user_id", me.ID, "user_name", me.Username)

	var runErr error
	if err := b.registerCommands(ctx); err != nil {
		runErr = err
		if ctx.Err() != nil {
			runErr = nil
		}
	} else {
		superCtx, stopSuper := context.WithCancel(ctx)
		superDone := make(chan struct{})
		go func() {
			defer close(superDone)
			b.supervise(superCtx)
		}()
		select {
		case <-ctx.Done():
		case runErr = <-b.fatal:
			b.log.Error("stopping", "err", runErr)
		}
		stopSuper()
		<-superDone
	}
	b.shutdown()
	return runErr
}

// noticeGrace bounds how long shutdown waits, after closing the gateway,
// for replies still being sent (mostly "restarting" notices).
const noticeGrace = 2 * time.Second

// quietPeriod is how long shutdown waits for no new question to arrive
// before it closes the gateway.
const quietPeriod = 100 * time.Millisecond

// shutdown stops taking questions, waits (bounded) for answers in flight,
// closes the gateway and waits for every goroutine the bot started.
func (b *Bot) shutdown() {
	start := time.Now()
	idle := b.questions.close()
	t := time.NewTimer(b.cfg.ShutdownTimeout)
	select {
	case <-idle:
	case <-t.C:
		b.log.Warn("shutdown timeout, cancelling answers in flight", "timeout_ms", b.cfg.ShutdownTimeout.Milliseconds())
		b.cancelWork()
		<-idle
	}
	t.Stop()
	// Questions already on the wire still arrive for a moment: keep
	// reading (and telling them the bot is restarting) until none has come
	// for quietPeriod, at most noticeGrace.
	for deadline := time.Now().Add(noticeGrace); time.Now().Before(deadline); {
		quiet := time.Since(time.Unix(0, b.arrived.Load()))
		if quiet >= quietPeriod {
			break
		}
		time.Sleep(quietPeriod - quiet)
	}
	// Close the gateway first, so that nothing new arrives, then let the
	// restarting notices still on their way reach Discord (bounded)
	// before cancelling what is left: cancelling first dropped them.
	b.closing.Store(true)
	if err := b.s.Close(); err != nil {
		b.log.Warn("close gateway", "err", err)
	}
	tasksIdle := b.tasks.close()
	t = time.NewTimer(noticeGrace)
	select {
	case <-tasksIdle:
	case <-t.C:
		b.log.Warn("shutdown timeout, cancelling notices in flight", "timeout_ms", noticeGrace.Milliseconds())
	}
	t.Stop()
	b.cancelWork()
	<-tasksIdle
	b.client.CloseIdleConnections()
	b.log.Info("stopped", "took_ms", time.Since(start).Milliseconds())
}

// supervise reopens the gateway after it drops, with backoff. It stops the
// bot (through b.fatal) when Discord rejects the token or the connection
// settings for good.
func (b *Bot) supervise(ctx context.Context) {
	backoff := time.Duration(0)
	var drops []time.Time // within the last flapWindow
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.reconnect:
		}
		now := time.Now()
		drops = append(slices.DeleteFunc(drops, func(t time.Time) bool { return now.Sub(t) > flapWindow }), now)
		flapping := len(drops) > flapLimit
		switch {
		case flapping:
			backoff = max(backoff, minBackoff)
			b.log.Warn("gateway keeps dropping: waiting before reconnecting",
				"drops", len(drops), "window_s", flapWindow.Seconds(), "wait_ms", backoff.Milliseconds())
		case b.unready.Load() <= 1:
			backoff = 0 // the last session was fine: retry at once
		}
		if b.closeHookWarned.Load() || b.unready.Load() > 1 {
			// Close codes unknown, or sessions that never get ready: a dead
			// token shows on REST.
			if _, err := b.s.User("@me", discordgo.WithContext(ctx)); isUnauthorized(err) {
				b.stop(fmt.Errorf("reconnect gateway: %w", ErrInvalidToken))
				return
			}
		}
		for attempt := 1; ; attempt++ {
			if backoff > 0 {
				t := time.NewTimer(backoff)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			err := b.s.Open()
			if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
				b.log.Info("gateway reconnected", "attempt", attempt)
				break
			}
			if fatal := gatewayFatal(err); fatal != nil {
				b.stop(fmt.Errorf("reconnect gateway: %w", fatal))
				return
			}
			if ctx.Err() != nil {
				return
			}
			b.log.Warn("gateway reconnect failed", "attempt", attempt, "err", err, "retry_in_ms", backoff.Milliseconds())
			// A dead token shows on REST too; don't retry it forever.
			if _, err := b.s.User("@me", discordgo.WithContext(ctx)); isUnauthorized(err) {
				b.stop(fmt.Errorf("reconnect gateway: %w", ErrInvalidToken))
				return
			}
		}
	}
}

// stop asks Run to stop with err.
func (b *Bot) stop(err error) {
	select {
	case b.fatal <- err:
	default:
	}
}

// gatewayFatal returns the error to stop with when err is a gateway close
// that must not be retried, else nil.
func gatewayFatal(err error) error {
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		return nil
	}
	switch ce.Code {
	case 4004:
		return fmt.Errorf("gateway closed with 4004: %w", ErrInvalidToken)
	case 4010, 4011, 4012, 4013, 4014:
		return fmt.Errorf("gateway closed with %d (%s); check the bot's settings", ce.Code, ce.Text)
	}
	return nil
}

func isUnauthorized(err error) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized
}

func (b *Bot) setIDs(self, app string) {
	b.idMu.Lock()
	defer b.idMu.Unlock()
	if self != "" {
		b.selfID = self
	}
	if app != "" {
		b.appID = app
	}
}

func (b *Bot) ids() (self, app string) {
	b.idMu.RLock()
	defer b.idMu.RUnlock()
	return b.selfID, b.appID
}

func (b *Bot) onReady(_ *discordgo.Session, r *discordgo.Ready) {
	b.unready.Store(0)
	self, app := "", ""
	if r.User != nil {
		self = r.User.ID
	}
	if r.Application != nil {
		app = r.Application.ID
	}
	b.setIDs(self, app)
	b.log.Info("gateway ready", "guilds", len(r.Guilds))
}

func (b *Bot) onResumed(_ *discordgo.Session, _ *discordgo.Resumed) {
	b.unready.Store(0)
	b.log.Info("gateway resumed")
}

func (b *Bot) onDisconnect(_ *discordgo.Session, _ *discordgo.Disconnect) {
	code := b.lastClose.Swap(0)
	if b.closing.Load() {
		return
	}
	if fatal := gatewayFatal(&websocket.CloseError{Code: int(code)}); fatal != nil {
		b.log.Error("gateway closed for good", "close_code", code)
		b.stop(fmt.Errorf("gateway: %w", fatal))
		return
	}
	n := b.unready.Add(1)
	b.log.Warn("gateway disconnected", "close_code", code, "unready_disconnects", n)
	select {
	case b.reconnect <- struct{}{}:
	default:
	}
}

// gate counts running tasks and, once closed, refuses new ones.
type gate struct {
	mu     sync.Mutex
	n      int
	closed bool
	idle   chan struct{} // closed when closed and n == 0
}

// enter registers a task; false means the gate is closed.
func (g *gate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.n++
	return true
}

func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.closed && g.n == 0 {
		close(g.idle)
	}
}

// close refuses new tasks and returns a channel closed once none run.
func (g *gate) close() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.closed = true
		g.idle = make(chan struct{})
		if g.n == 0 {
			close(g.idle)
		}
	}
	return g.idle
}
