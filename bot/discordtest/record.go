package discordtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Route names the REST route a [Request] matched.
type Route string

// The routes the fake serves. Paths are shown after /api/v9.
const (
	RouteGateway          Route = "gateway"              // GET /gateway
	RouteGatewayBot       Route = "gateway_bot"          // GET /gateway/bot
	RouteUserMe           Route = "user_me"              // GET /users/@me
	RouteUser             Route = "user"                 // GET /users/{user}
	RouteDMCreate         Route = "dm_create"            // POST /users/@me/channels
	RouteApplicationMe    Route = "application_me"       // GET /applications/@me, /oauth2/applications/@me
	RouteCommands         Route = "commands"             // GET, PUT (bulk overwrite), POST /applications/{app}/commands
	RouteCommand          Route = "command"              // GET, PATCH, DELETE /applications/{app}/commands/{cmd}
	RouteGuildCommands    Route = "guild_commands"       // GET, PUT, POST /applications/{app}/guilds/{guild}/commands
	RouteGuildCommand     Route = "guild_command"        // GET, PATCH, DELETE /applications/{app}/guilds/{guild}/commands/{cmd}
	RouteCallback         Route = "interaction_callback" // POST /interactions/{id}/{token}/callback
	RouteOriginal         Route = "original"             // GET, PATCH, DELETE /webhooks/{app}/{token}/messages/@original
	RouteFollowup         Route = "followup"             // POST /webhooks/{app}/{token}
	RouteFollowupMessage  Route = "followup_message"     // GET, PATCH, DELETE /webhooks/{app}/{token}/messages/{msg}
	RouteChannel          Route = "channel"              // GET /channels/{channel}
	RouteChannelMessages  Route = "channel_messages"     // POST /channels/{channel}/messages
	RouteChannelMessage   Route = "channel_message"      // GET, PATCH, DELETE /channels/{channel}/messages/{msg}
	RouteTyping           Route = "typing"               // POST /channels/{channel}/typing
	RouteUnknown          Route = "unknown"              // anything else: 404
	RouteMethodNotAllowed Route = "method_not_allowed"   // known path, wrong method: 405
)

// Request is one REST request the fake received, recorded once the fake
// has answered it. Treat its maps and slices as read-only.
type Request struct {
	// Seq numbers requests in the order they arrived, from 1.
	Seq    int
	Method string
	// Path is the URL path, e.g. "/api/v9/users/@me".
	Path  string
	Query url.Values
	// Header holds the request headers, except that the Authorization
	// value is replaced by "Bot [redacted]" (or "[redacted]").
	Header http.Header
	// Authorized reports whether the Authorization header carried the
	// accepted token.
	Authorized bool
	// Body is the raw body. For multipart bodies (file uploads) see
	// [Request.JSON].
	Body []byte
	// Time is when the request arrived, before any injected delay.
	Time time.Time
	// Answered is when the fake wrote its answer (or gave up).
	Answered time.Time
	// Status is the HTTP status the fake answered with, or 0 if the
	// client went away during an injected delay.
	Status int
	// Response is the body the fake answered with.
	Response []byte
	// Fault is true when an injected fault ([Server.FailNext]) produced
	// the answer.
	Fault bool

	Route Route
	// Path parameters, set when the route has them.
	AppID            string
	GuildID          string
	ChannelID        string
	MessageID        string // "@original" on RouteOriginal
	CommandID        string
	InteractionID    string
	InteractionToken string // also the token of webhook routes
}

// OK reports whether the fake answered with a 2xx status.
func (r Request) OK() bool { return r.Status >= 200 && r.Status < 300 }

func (r Request) String() string {
	return fmt.Sprintf("#%d %s %s -> %d", r.Seq, r.Method, r.Path, r.Status)
}

// JSON returns the JSON part of the body: the body itself, or the
// payload_json field of a multipart body.
func (r Request) JSON() []byte {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return r.Body
	}
	mr := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil
		}
		if p.FormName() == "payload_json" {
			b, _ := io.ReadAll(p)
			return b
		}
	}
}

// Decode unmarshals the JSON part of the body into v. Note that discordgo's
// InteractionResponse, WebhookParams, WebhookEdit and MessageSend cannot be
// decoded when they hold components (discordgo.MessageComponent is an
// interface); use [Request.Reply] for message bodies.
func (r Request) Decode(v any) error {
	if err := json.Unmarshal(r.JSON(), v); err != nil {
		return fmt.Errorf("decode body of %s %s: %w", r.Method, r.Path, err)
	}
	return nil
}

// Reply is the message part of a request body, whatever the route: an
// interaction callback (type and data), a follow-up (WebhookParams), an
// edit of @original (WebhookEdit), or a channel message (MessageSend or
// MessageEdit). Components are decoded into discordgo's concrete types,
// as pointers (*discordgo.ActionsRow holding *discordgo.Button, and so
// on); [Reply.Buttons] flattens the buttons.
type Reply struct {
	// Type is the interaction callback type; zero for other routes.
	Type discordgo.InteractionResponseType
	// Content is the message text; ContentSet reports whether the body
	// had a content field at all (edits may leave it out).
	Content    string
	ContentSet bool
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
	Flags      discordgo.MessageFlags
	// AllowedMentions as sent; nil when the body had none. Parse is nil
	// for "parse": null or a missing list, and empty but non-nil for an
	// explicit "parse": [].
	AllowedMentions *discordgo.MessageAllowedMentions
	// Reference is the message_reference of a reply to a message.
	Reference *discordgo.MessageReference
	// Choices are the autocomplete choices (callback type 8).
	Choices []*discordgo.ApplicationCommandOptionChoice
	// Raw is the decoded JSON object of the message part.
	Raw json.RawMessage
}

// Ephemeral reports whether the ephemeral flag (64) is set.
func (r *Reply) Ephemeral() bool { return r.Flags&discordgo.MessageFlagsEphemeral != 0 }

// NoPings reports whether the reply cannot ping anyone it quotes:
// allowed_mentions is present, its parse list is an explicit empty list,
// and it names no roles or users. (replied_user may be true: it pings only
// the author of the message replied to.)
func (r *Reply) NoPings() bool {
	am := r.AllowedMentions
	return am != nil && am.Parse != nil && len(am.Parse) == 0 && len(am.Roles) == 0 && len(am.Users) == 0
}

// Buttons returns every button in the reply's components, in order.
func (r *Reply) Buttons() []discordgo.Button {
	var out []discordgo.Button
	var walk func(cs []discordgo.MessageComponent)
	walk = func(cs []discordgo.MessageComponent) {
		for _, c := range cs {
			switch c := c.(type) {
			case discordgo.Button:
				out = append(out, c)
			case *discordgo.Button:
				out = append(out, *c)
			case discordgo.ActionsRow:
				walk(c.Components)
			case *discordgo.ActionsRow:
				walk(c.Components)
			}
		}
	}
	walk(r.Components)
	return out
}

// Text returns the content and all embed text (author, title,
// description, field names and values, footer) joined by newlines, for
// assertions that do not care where the text sits.
func (r *Reply) Text() string {
	parts := []string{r.Content}
	for _, e := range r.Embeds {
		if e == nil {
			continue
		}
		if e.Author != nil {
			parts = append(parts, e.Author.Name)
		}
		parts = append(parts, e.Title, e.Description)
		for _, f := range e.Fields {
			if f != nil {
				parts = append(parts, f.Name, f.Value)
			}
		}
		if e.Footer != nil {
			parts = append(parts, e.Footer.Text)
		}
	}
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p)
	}
	return b.String()
}

// wireMessage is the message part of request bodies, as sent on the wire.
type wireMessage struct {
	Content         *string                                     `json:"content"`
	Embeds          []*discordgo.MessageEmbed                   `json:"embeds"`
	Components      []json.RawMessage                           `json:"components"`
	Flags           discordgo.MessageFlags                      `json:"flags"`
	AllowedMentions *discordgo.MessageAllowedMentions           `json:"allowed_mentions"`
	Reference       *discordgo.MessageReference                 `json:"message_reference"`
	Choices         []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
}

type wireCallback struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data json.RawMessage                   `json:"data"`
}

// Reply decodes the message part of the body; see [Reply].
func (r Request) Reply() (*Reply, error) {
	body := r.JSON()
	var typ discordgo.InteractionResponseType
	if r.Route == RouteCallback {
		var cb wireCallback
		if err := json.Unmarshal(body, &cb); err != nil {
			return nil, fmt.Errorf("decode callback %s: %w", r.Path, err)
		}
		typ = cb.Type
		body = cb.Data
	}
	rep, err := decodeReply(body)
	if err != nil {
		return nil, fmt.Errorf("decode reply in %s %s: %w", r.Method, r.Path, err)
	}
	rep.Type = typ
	return rep, nil
}

func decodeReply(body []byte) (*Reply, error) {
	rep := &Reply{}
	if len(bytes.TrimSpace(body)) == 0 || string(bytes.TrimSpace(body)) == "null" {
		return rep, nil
	}
	var w wireMessage
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	rep.Raw = append(json.RawMessage(nil), body...)
	if w.Content != nil {
		rep.Content, rep.ContentSet = *w.Content, true
	}
	rep.Embeds = w.Embeds
	rep.Flags = w.Flags
	rep.AllowedMentions = w.AllowedMentions
	rep.Reference = w.Reference
	rep.Choices = w.Choices
	for _, raw := range w.Components {
		c, err := discordgo.MessageComponentFromJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("decode component %s: %w", raw, err)
		}
		rep.Components = append(rep.Components, c)
	}
	return rep, nil
}

// Requests returns every request recorded so far (since the last
// [Server.Forget]), in the order the fake answered them.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.notifyLocked()
	s.mu.Unlock()
}

// WaitRequest returns the first recorded request (oldest first, including
// those recorded before the call) for which match returns true, waiting
// for new ones until ctx ends or the server closes. match runs on the
// caller's goroutine and must not call the Server.
func (s *Server) WaitRequest(ctx context.Context, match func(Request) bool) (Request, error) {
	next := 0 // absolute index: requests forgotten by Forget count too
	for {
		s.mu.Lock()
		next = max(next, s.reqBase)
		reqs := s.requests[next-s.reqBase : len(s.requests) : len(s.requests)]
		ch := s.changed
		closed := s.closed
		total := s.reqBase + len(s.requests)
		s.mu.Unlock()
		for _, r := range reqs {
			if match(r) {
				return r, nil
			}
		}
		next += len(reqs)
		if closed {
			return Request{}, ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Request{}, fmt.Errorf("wait for request (%d recorded, none matched): %w", total, ctx.Err())
		}
	}
}

// WaitCallback waits for the first accepted (2xx) callback to the given
// interaction: POST /interactions/{id}/{token}/callback. Rejected attempts
// (429, 5xx, 404 ...) are recorded but skipped; see [Server.WaitRequest].
func (s *Server) WaitCallback(ctx context.Context, interactionID string) (Request, error) {
	r, err := s.WaitRequest(ctx, func(r Request) bool {
		return r.Route == RouteCallback && r.InteractionID == interactionID && r.OK()
	})
	if err != nil {
		return r, fmt.Errorf("wait callback for interaction %s: %w", interactionID, err)
	}
	return r, nil
}

// WaitInteractionReply waits for the request that carries the answer to an
// interaction and decodes it. That is the callback itself when it carries
// a message (type 4 CHANNEL_MESSAGE_WITH_SOURCE, 7 UPDATE_MESSAGE,
// 8 AUTOCOMPLETE_RESULT, 9 MODAL). After a deferred callback (5 or 6) it is
// the first accepted PATCH of @original or follow-up POST for the
// interaction's token.
func (s *Server) WaitInteractionReply(ctx context.Context, in *Interaction) (Request, *Reply, error) {
	cb, err := s.WaitCallback(ctx, in.ID)
	if err != nil {
		return cb, nil, err
	}
	rep, err := cb.Reply()
	if err != nil {
		return cb, nil, err
	}
	switch rep.Type {
	case discordgo.InteractionResponseDeferredChannelMessageWithSource, discordgo.InteractionResponseDeferredMessageUpdate:
	default:
		return cb, rep, nil
	}
	r, err := s.WaitRequest(ctx, func(r Request) bool {
		if !r.OK() || r.InteractionToken != in.Token {
			return false
		}
		return (r.Route == RouteOriginal && r.Method == http.MethodPatch) ||
			(r.Route == RouteFollowup && r.Method == http.MethodPost)
	})
	if err != nil {
		return r, nil, fmt.Errorf("wait for reply after deferred callback to interaction %s: %w", in.ID, err)
	}
	rep, err = r.Reply()
	return r, rep, err
}

// WaitMessageReply waits for the first accepted message the bot posts
// (POST /channels/{id}/messages) in reply to m, that is with
// message_reference.message_id == m.ID.
func (s *Server) WaitMessageReply(ctx context.Context, m *discordgo.Message) (Request, *Reply, error) {
	var rep *Reply
	r, err := s.WaitRequest(ctx, func(r Request) bool {
		if r.Route != RouteChannelMessages || r.Method != http.MethodPost || !r.OK() || r.ChannelID != m.ChannelID {
			return false
		}
		rp, err := r.Reply()
		if err != nil || rp.Reference == nil || rp.Reference.MessageID != m.ID {
			return false
		}
		rep = rp
		return true
	})
	if err != nil {
		return r, nil, fmt.Errorf("wait for a reply to message %s in channel %s: %w", m.ID, m.ChannelID, err)
	}
	return r, rep, nil
}
