package discordtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Gateway close codes the fake sends.
const (
	closeUnknownError         = 4000
	closeUnknownOpcode        = 4001
	closeDecodeError          = 4002
	closeAuthenticationFailed = 4004
	closeInvalidShard         = 4010
	closeDisallowedIntents    = 4014
)

// resumable reports whether a session survives a close the server sent with
// this code, as Discord documents: 4004, 4007, 4009 and 4010-4014 end the
// session; other codes leave it resumable.
func resumable(code int) bool {
	switch code {
	case 4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014:
		return false
	}
	return true
}

// GatewayEventKind names a [GatewayEvent].
type GatewayEventKind string

// Kinds of gateway events the fake records.
const (
	GatewayConnect        GatewayEventKind = "connect"         // a websocket connected; HELLO sent
	GatewayReady          GatewayEventKind = "ready"           // IDENTIFY accepted; READY sent
	GatewayResumed        GatewayEventKind = "resumed"         // RESUME accepted; missed events replayed, RESUMED sent
	GatewayResumeFailed   GatewayEventKind = "resume_failed"   // RESUME of an unknown or ended session; op 9 sent
	GatewayServerClose    GatewayEventKind = "server_close"    // the fake sent a close frame with Code
	GatewayClientClose    GatewayEventKind = "client_close"    // the client sent a close frame with Code
	GatewayDrop           GatewayEventKind = "drop"            // the fake cut the TCP connection
	GatewayDisconnect     GatewayEventKind = "disconnect"      // the connection ended; Detail says how
	GatewayReconnect      GatewayEventKind = "reconnect"       // op 7 RECONNECT sent
	GatewayInvalidSession GatewayEventKind = "invalid_session" // op 9 INVALID SESSION sent (Detail: resumable or not)
)

// GatewayEvent is something that happened on the gateway, recorded in
// order; see [Server.GatewayEvents] and [Server.WaitGateway].
type GatewayEvent struct {
	Time    time.Time
	Conn    int // connection number, from 1
	Kind    GatewayEventKind
	Code    int    // close code, for close events
	Session string // session ID, when one is involved
	Detail  string
}

// Identify is a recorded IDENTIFY (op 2) payload.
type Identify struct {
	Time           time.Time
	Conn           int
	Intents        discordgo.Intent
	Properties     discordgo.IdentifyProperties
	Compress       bool
	LargeThreshold int
	Shard          *[2]int
	// TokenValid reports whether the token was accepted. The token itself
	// is not kept.
	TokenValid bool
}

// Resume is a recorded RESUME (op 6) payload.
type Resume struct {
	Time      time.Time
	Conn      int
	SessionID string
	Seq       int64
	// OK reports whether the session was resumed.
	OK bool
}

type session struct {
	id      string
	seq     int64
	intents discordgo.Intent
	valid   bool
	conn    *gwConn
	log     []sentEvent // dispatched events, for replay on RESUME
	trimmed int64       // highest sequence number dropped from log
}

type sentEvent struct {
	seq     int64
	payload []byte
	inter   *interactionState
}

const replayLimit = 2000

type gwConn struct {
	id     int
	ws     *websocket.Conn
	wmu    sync.Mutex
	ready  atomic.Bool // READY or RESUMED sent on this connection
	beat   atomic.Bool // the client sent a heartbeat on this connection
	ending atomic.Bool // the fake closed or dropped it: ignore the client's close code
}

func (c *gwConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// closeNow sends a close frame and cuts the connection at once.
func (c *gwConn) closeNow(code int) {
	c.ending.Store(true)
	// WriteControl may run concurrently with other writes.
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(100*time.Millisecond))
	c.ws.UnderlyingConn().Close()
}

type payload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

func frame(op int, d any, seq int64, typ string) []byte {
	var s *int64
	var t *string
	if seq > 0 {
		s = &seq
	}
	if typ != "" {
		t = &typ
	}
	db, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	b, err := json.Marshal(payload{Op: op, D: db, S: s, T: t})
	if err != nil {
		panic(err)
	}
	return b
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	s.wsWG.Add(1)
	s.mu.Unlock()
	defer s.wsWG.Done()

	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.logf("gateway upgrade: %v", err)
		return
	}
	s.mu.Lock()
	s.connSeq++
	c := &gwConn{id: s.connSeq, ws: ws}
	closed := s.closed
	if !closed {
		s.conns[c] = struct{}{}
	}
	s.mu.Unlock()
	if closed {
		ws.Close()
		return
	}
	defer func() {
		ws.Close()
		s.mu.Lock()
		delete(s.conns, c)
		if sess := s.current; sess != nil && sess.conn == c {
			sess.conn = nil
		}
		for _, sess := range s.sessions {
			if sess.conn == c {
				sess.conn = nil
			}
		}
		s.notifyLocked()
		s.mu.Unlock()
	}()

	s.gwEvent(GatewayEvent{Conn: c.id, Kind: GatewayConnect, Detail: r.URL.RawQuery})
	s.logf("gateway connection %d opened (%s)", c.id, r.URL.RawQuery)
	if err := c.write(frame(10, map[string]any{"heartbeat_interval": s.cfg.heartbeat.Milliseconds()}, 0, "")); err != nil {
		return
	}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			s.connEnded(c, err)
			return
		}
		var p payload
		if err := json.Unmarshal(data, &p); err != nil {
			s.logf("gateway connection %d: undecodable payload: %v", c.id, err)
			s.closeConn(c, closeDecodeError, "Error while decoding payload.")
			continue
		}
		switch p.Op {
		case 1: // heartbeat
			s.mu.Lock()
			s.heartbeats++
			ack := s.heartbeatAck
			if !c.beat.Swap(true) {
				s.notifyLocked()
			}
			s.mu.Unlock()
			if ack {
				c.write(frame(11, nil, 0, ""))
			}
		case 2:
			s.identify(c, p.D)
		case 6:
			s.resume(c, p.D)
		case 3, 4, 8, 31:
			// presence, voice state, request guild members, soundboard: accepted and ignored
		default:
			s.logf("gateway connection %d: unknown opcode %d", c.id, p.Op)
			s.closeConn(c, closeUnknownOpcode, "Unknown opcode.")
		}
	}
}

// connEnded records how a connection's read loop ended.
func (s *Server) connEnded(c *gwConn, err error) {
	var ce *websocket.CloseError
	if errors.As(err, &ce) && !c.ending.Load() {
		s.gwEvent(GatewayEvent{Conn: c.id, Kind: GatewayClientClose, Code: ce.Code, Detail: ce.Text})
		if ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway {
			// Discord ends the session when the client closes with 1000 or 1001.
			s.mu.Lock()
			for _, sess := range s.sessions {
				if sess.conn == c {
					sess.valid = false
				}
			}
			s.mu.Unlock()
			s.logf("gateway connection %d closed by client with %d: session ended", c.id, ce.Code)
		} else {
			s.logf("gateway connection %d closed by client with %d: session resumable", c.id, ce.Code)
		}
	}
	s.gwEvent(GatewayEvent{Conn: c.id, Kind: GatewayDisconnect, Detail: err.Error()})
}

func (s *Server) identify(c *gwConn, raw json.RawMessage) {
	// Not discordgo.Identify: its presence field does not decode what
	// discordgo itself sends.
	var id struct {
		Token          string                       `json:"token"`
		Properties     discordgo.IdentifyProperties `json:"properties"`
		Compress       bool                         `json:"compress"`
		LargeThreshold int                          `json:"large_threshold"`
		Shard          *[2]int                      `json:"shard"`
		Intents        discordgo.Intent             `json:"intents"`
	}
	if err := json.Unmarshal(raw, &id); err != nil {
		s.logf("gateway connection %d: undecodable IDENTIFY: %v", c.id, err)
		s.closeConn(c, closeDecodeError, "Error while decoding payload.")
		return
	}
	ok := s.tokenValid(id.Token)
	s.mu.Lock()
	s.identifies = append(s.identifies, Identify{
		Time: time.Now(), Conn: c.id, Intents: id.Intents, Properties: id.Properties,
		Compress: id.Compress, LargeThreshold: id.LargeThreshold, Shard: id.Shard, TokenValid: ok,
	})
	s.notifyLocked()
	s.mu.Unlock()
	s.logf("gateway connection %d: IDENTIFY intents=%d (%s) token_valid=%v", c.id, id.Intents, intentNames(id.Intents), ok)
	if !ok {
		s.closeConn(c, closeAuthenticationFailed, "Authentication failed.")
		return
	}
	if bad := id.Intents & privilegedIntents &^ s.cfg.privileged; bad != 0 {
		s.closeConn(c, closeDisallowedIntents, "Disallowed intent(s).")
		return
	}
	if id.Shard != nil && (id.Shard[1] < 1 || id.Shard[0] < 0 || id.Shard[0] >= id.Shard[1]) {
		s.closeConn(c, closeInvalidShard, "Invalid shard.")
		return
	}

	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.mu.Lock()
	if s.current != nil {
		s.current.valid = false
	}
	sess := &session{id: randomHex(16), intents: id.Intents, valid: true, conn: c}
	s.sessions[sess.id] = sess
	s.current = sess
	sess.seq++
	readySeq := sess.seq
	sess.seq++
	guildSeq := sess.seq
	s.mu.Unlock()

	ready := map[string]any{
		"v":                       9,
		"user":                    userJSON(s.BotUser()),
		"guilds":                  []any{map[string]any{"id": s.GuildID, "unavailable": true}},
		"session_id":              sess.id,
		"session_type":            "normal",
		"resume_gateway_url":      s.GatewayURL,
		"private_channels":        []any{},
		"relationships":           []any{},
		"presences":               []any{},
		"geo_ordered_rtc_regions": []any{},
		"guild_join_requests":     []any{},
		"user_settings":           map[string]any{},
		"application":             map[string]any{"id": s.AppID, "flags": 0},
		"_trace":                  []any{"[\"discordtest\"]"},
	}
	if id.Shard != nil {
		ready["shard"] = id.Shard
	}
	if err := c.write(frame(0, ready, readySeq, "READY")); err != nil {
		return
	}
	c.ready.Store(true)
	if id.Intents&discordgo.IntentsGuilds != 0 {
		c.write(frame(0, s.guildCreateJSON(), guildSeq, "GUILD_CREATE"))
	}
	s.gwEvent(GatewayEvent{Conn: c.id, Kind: GatewayReady, Session: sess.id})
	s.logf("gateway connection %d: READY (session %s)", c.id, sess.id)
}

func (s *Server) guildCreateJSON() map[string]any {
	s.mu.Lock()
	ch := s.channelJSONLocked(s.channels[s.ChannelID])
	s.mu.Unlock()
	delete(ch, "guild_id")
	return map[string]any{
		"id":           s.GuildID,
		"name":         "discordtest guild",
		"icon":         nil,
		"owner_id":     s.User.ID,
		"unavailable":  false,
		"member_count": 2,
		"large":        false,
		"joined_at":    snowflakeTime(s.GuildID).Format(time.RFC3339Nano),
		"features":     []any{},
		"roles": []any{map[string]any{
			"id": s.GuildID, "name": "@everyone", "permissions": fmt.Sprint(MemberPermissions),
			"position": 0, "color": 0, "hoist": false, "managed": false, "mentionable": false,
		}},
		"emojis":                 []any{},
		"stickers":               []any{},
		"channels":               []any{ch},
		"threads":                []any{},
		"members":                []any{},
		"presences":              []any{},
		"voice_states":           []any{},
		"stage_instances":        []any{},
		"guild_scheduled_events": []any{},
		"preferred_locale":       "en-US",
	}
}

func (s *Server) resume(c *gwConn, raw json.RawMessage) {
	var rp struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if err := json.Unmarshal(raw, &rp); err != nil {
		s.closeConn(c, closeDecodeError, "Error while decoding payload.")
		return
	}
	ok := s.tokenValid(rp.Token)
	if !ok {
		s.recordResume(Resume{Time: time.Now(), Conn: c.id, SessionID: rp.SessionID, Seq: rp.Seq})
		s.logf("gateway connection %d: RESUME with an invalid token", c.id)
		s.closeConn(c, closeAuthenticationFailed, "Authentication failed.")
		return
	}

	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.mu.Lock()
	sess := s.sessions[rp.SessionID]
	var replay []sentEvent
	canReplay := sess != nil && sess.valid && sess == s.current && rp.Seq >= sess.trimmed
	if canReplay {
		i := 0
		for i < len(sess.log) && sess.log[i].seq <= rp.Seq {
			i++
		}
		replay = append(replay, sess.log[i:]...)
	}
	var old *gwConn
	if canReplay {
		old = sess.conn
		sess.conn = c
	}
	s.mu.Unlock()
	s.recordResume(Resume{Time: time.Now(), Conn: c.id, SessionID: rp.SessionID, Seq: rp.Seq, OK: canReplay})
	if !canReplay {
		s.logf("gateway connection %d: RESUME of session %s seq %d refused (unknown or ended session); sending op 9", c.id, rp.SessionID, rp.Seq)
		c.write(frame(9, false, 0, ""))
		s.gwEvent(GatewayEvent{Conn: c.id, Kind: GatewayResumeFailed, Session: rp.SessionID})
		return
	}
	if old != nil && old != c {
		s.closeConn(old, closeUnknownError, "Session resumed elsewhere.")
	}
	now := time.Now()
	for _, e := range replay {
		if e.inter != nil {
			s.mu.Lock()
			e.inter.delivered = now
			s.mu.Unlock()
		}
		if err := c.write(e.payload); err != nil {
			return
		}
	}
	s.mu.Lock()
	sess.seq++
	seq := sess.seq
	s.mu.Unlock()
	if err := c.write(frame(0, map[string]any{"_trace": []any{"[\"discordtest\"]"}}, seq, "RESUMED")); err != nil {
		return
	}
	c.ready.Store(true)
	s.mu.Lock()
	s.notifyLocked()
	s.mu.Unlock()
	s.gwEvent(GatewayEvent{Conn: c.id, Kind: GatewayResumed, Session: sess.id, Detail: fmt.Sprintf("replayed %d events", len(replay))})
	s.logf("gateway connection %d: RESUMED session %s from seq %d, replayed %d events", c.id, sess.id, rp.Seq, len(replay))
}

func (s *Server) recordResume(r Resume) {
	s.mu.Lock()
	s.resumes = append(s.resumes, r)
	s.notifyLocked()
	s.mu.Unlock()
}

// closeConn sends a close frame with code and lets the client answer
// before the connection is cut (at most a second later).
func (s *Server) closeConn(c *gwConn, code int, reason string) {
	c.ending.Store(true)
	if !resumable(code) {
		s.mu.Lock()
		for _, sess := range s.sessions {
			if sess.conn == c {
				sess.valid = false
			}
		}
		s.mu.Unlock()
	}
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	c.ws.UnderlyingConn().SetReadDeadline(time.Now().Add(time.Second))
	s.gwEvent(GatewayEvent{Conn: c.id, Kind: GatewayServerClose, Code: code, Detail: reason})
	s.logf("gateway connection %d: closing with %d %s", c.id, code, reason)
}

func (s *Server) connsLocked() []*gwConn {
	out := make([]*gwConn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

func (s *Server) gwEvent(e GatewayEvent) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	s.mu.Lock()
	s.gwEvents = append(s.gwEvents, e)
	s.notifyLocked()
	s.mu.Unlock()
}

// DropGateway cuts every gateway connection abruptly, with no close frame,
// as a network failure would. The session stays resumable: discordgo
// reconnects (after about a second) and resumes, and events dispatched in
// between are replayed.
func (s *Server) DropGateway() {
	s.mu.Lock()
	conns := s.connsLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.ending.Store(true)
		c.ws.UnderlyingConn().Close()
		s.gwEvent(GatewayEvent{Conn: c.id, Kind: GatewayDrop})
		s.logf("gateway connection %d dropped", c.id)
	}
}

// CloseGateway closes every gateway connection with the given close code
// and reason. Codes 4004, 4007, 4009 and 4010-4014 end the session (the
// client must identify again, and for 4004 its token is refused);
// others (e.g. 4000) leave it resumable.
//
// On 4004 discordgo v0.29.0 does not stop: its Open returns a
// *websocket.CloseError with Code 4004, but after a close on a running
// session it logs the error and calls reconnect, which retries Open
// forever with a growing wait. A bot that must stop on an invalid token has
// to notice itself, e.g. set Session.ShouldReconnectOnError to false and
// reconnect on its own, treating a *websocket.CloseError with Code 4004
// from Open as fatal, or probe GET /users/@me after a Disconnect event and
// stop on 401.
func (s *Server) CloseGateway(code int, reason string) {
	s.mu.Lock()
	conns := s.connsLocked()
	s.mu.Unlock()
	for _, c := range conns {
		s.closeConn(c, code, reason)
	}
}

// Reconnect sends op 7 RECONNECT on every connection. discordgo closes with
// 1012, reconnects and resumes.
func (s *Server) Reconnect() {
	s.mu.Lock()
	conns := s.connsLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.write(frame(7, nil, 0, ""))
		s.gwEvent(GatewayEvent{Conn: c.id, Kind: GatewayReconnect})
		s.logf("gateway connection %d: sent op 7 RECONNECT", c.id)
	}
}

// InvalidSession sends op 9 INVALID SESSION on every connection, with d set
// to resumable. Unless resumable, the current session ends first, so a
// RESUME fails and the client must identify again. discordgo v0.29.0
// answers op 9 by identifying on the same connection.
func (s *Server) InvalidSession(resumable bool) {
	s.mu.Lock()
	if !resumable && s.current != nil {
		s.current.valid = false
	}
	conns := s.connsLocked()
	s.mu.Unlock()
	for _, c := range conns {
		if !resumable {
			c.ready.Store(false)
		}
		c.write(frame(9, resumable, 0, ""))
		s.gwEvent(GatewayEvent{Conn: c.id, Kind: GatewayInvalidSession, Detail: fmt.Sprintf("resumable=%v", resumable)})
		s.logf("gateway connection %d: sent op 9 INVALID SESSION (resumable=%v)", c.id, resumable)
	}
}

// Identifies returns the IDENTIFY payloads received so far.
func (s *Server) Identifies() []Identify {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Identify(nil), s.identifies...)
}

// Resumes returns the RESUME payloads received so far.
func (s *Server) Resumes() []Resume {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Resume(nil), s.resumes...)
}

// GatewayEvents returns the gateway events recorded so far.
func (s *Server) GatewayEvents() []GatewayEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]GatewayEvent(nil), s.gwEvents...)
}

// WaitGateway returns the first recorded gateway event (oldest first,
// including those recorded before the call) for which match returns true,
// waiting for new ones until ctx ends or the server closes. To wait for a
// new event only, match on Time after a moment taken before the action.
func (s *Server) WaitGateway(ctx context.Context, match func(GatewayEvent) bool) (GatewayEvent, error) {
	next := 0 // absolute index: events forgotten by Forget count too
	for {
		s.mu.Lock()
		next = max(next, s.evBase)
		evs := s.gwEvents[next-s.evBase : len(s.gwEvents) : len(s.gwEvents)]
		ch := s.changed
		closed := s.closed
		s.mu.Unlock()
		for _, e := range evs {
			if match(e) {
				return e, nil
			}
		}
		next += len(evs)
		if closed {
			return GatewayEvent{}, ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return GatewayEvent{}, fmt.Errorf("wait for gateway event: %w", ctx.Err())
		}
	}
}

// WaitReady waits until a valid session is attached to a live connection
// that has received READY or RESUMED and on which the client has sent a
// heartbeat, so that dispatched events reach the client at once.
//
// The heartbeat matters: discordgo starts its heartbeat and listen
// goroutines only when Open returns, and a connection closed before then
// trips a race in discordgo v0.29.0 (the new heartbeat goroutine, failing
// on the dead connection, closes the next one, over and over). Call
// WaitReady before injecting a gateway fault, and again before the next
// one. The same race is set off by a heartbeat tick that falls near a
// fault, hence the long [DefaultHeartbeatInterval]: with it, the first
// heartbeat WaitReady waits for is the last one in a short test.
func (s *Server) WaitReady(ctx context.Context) error {
	for {
		s.mu.Lock()
		ch := s.changed
		closed := s.closed
		sess := s.current
		ok := sess != nil && sess.valid && sess.conn != nil && sess.conn.ready.Load() && sess.conn.beat.Load()
		s.mu.Unlock()
		if ok {
			return nil
		}
		if closed {
			return ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for a ready gateway session: %w", ctx.Err())
		}
	}
}

// SessionID returns the ID of the current gateway session, or "" if none
// is valid.
func (s *Server) SessionID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil || !s.current.valid {
		return ""
	}
	return s.current.id
}

// Dispatch sends a dispatch event (op 0) of the given type with data as
// its d, with the next sequence number, to the current session, and
// returns that sequence number. If the session's connection is down, the
// event is kept and replayed when the client resumes. It returns
// ErrNoSession if no session is valid. Most tests use [Server.Interaction]
// and [Server.Message] instead.
func (s *Server) Dispatch(event string, data any) (int64, error) {
	return s.dispatch(event, data, nil)
}

func (s *Server) dispatch(event string, data any, inter *interactionState) (int64, error) {
	d, err := json.Marshal(data)
	if err != nil {
		return 0, fmt.Errorf("dispatch %s: %w", event, err)
	}
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, ErrClosed
	}
	sess := s.current
	if sess == nil || !sess.valid {
		s.mu.Unlock()
		return 0, fmt.Errorf("dispatch %s: %w", event, ErrNoSession)
	}
	sess.seq++
	seq := sess.seq
	b := frame(0, json.RawMessage(d), seq, event)
	sess.log = append(sess.log, sentEvent{seq: seq, payload: b, inter: inter})
	if len(sess.log) > replayLimit {
		cut := len(sess.log) - replayLimit
		sess.trimmed = sess.log[cut-1].seq
		sess.log = append(sess.log[:0:0], sess.log[cut:]...)
	}
	c := sess.conn
	now := time.Now()
	if inter != nil {
		inter.dispatched = now
		if c != nil {
			inter.delivered = now
		}
	}
	s.dispatchCount++
	s.mu.Unlock()
	if c != nil {
		if err := c.write(b); err != nil {
			s.logf("dispatch %s seq %d: write to connection %d failed (%v); kept for replay", event, seq, c.id, err)
		}
	} else {
		s.logf("dispatch %s seq %d: no connection; kept for replay on RESUME", event, seq)
	}
	return seq, nil
}

const privilegedIntents = discordgo.IntentGuildMembers | discordgo.IntentGuildPresences | discordgo.IntentMessageContent

func intentNames(i discordgo.Intent) string {
	names := []struct {
		bit  discordgo.Intent
		name string
	}{
		{discordgo.IntentGuilds, "GUILDS"},
		{discordgo.IntentGuildMembers, "GUILD_MEMBERS"},
		{discordgo.IntentGuildModeration, "GUILD_MODERATION"},
		{discordgo.IntentGuildEmojis, "GUILD_EMOJIS_AND_STICKERS"},
		{discordgo.IntentGuildIntegrations, "GUILD_INTEGRATIONS"},
		{discordgo.IntentGuildWebhooks, "GUILD_WEBHOOKS"},
		{discordgo.IntentGuildInvites, "GUILD_INVITES"},
		{discordgo.IntentGuildVoiceStates, "GUILD_VOICE_STATES"},
		{discordgo.IntentGuildPresences, "GUILD_PRESENCES"},
		{discordgo.IntentGuildMessages, "GUILD_MESSAGES"},
		{discordgo.IntentGuildMessageReactions, "GUILD_MESSAGE_REACTIONS"},
		{discordgo.IntentGuildMessageTyping, "GUILD_MESSAGE_TYPING"},
		{discordgo.IntentDirectMessages, "DIRECT_MESSAGES"},
		{discordgo.IntentDirectMessageReactions, "DIRECT_MESSAGE_REACTIONS"},
		{discordgo.IntentDirectMessageTyping, "DIRECT_MESSAGE_TYPING"},
		{discordgo.IntentMessageContent, "MESSAGE_CONTENT"},
		{discordgo.IntentGuildScheduledEvents, "GUILD_SCHEDULED_EVENTS"},
		{discordgo.IntentAutoModerationConfiguration, "AUTO_MODERATION_CONFIGURATION"},
		{discordgo.IntentAutoModerationExecution, "AUTO_MODERATION_EXECUTION"},
	}
	out := ""
	for _, n := range names {
		if i&n.bit != 0 {
			if out != "" {
				out += "|"
			}
			out += n.name
		}
	}
	if out == "" {
		return "none"
	}
	return out
}
