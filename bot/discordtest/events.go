package discordtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// From says who triggers an injected event and where. Its zero value is
// [Server.User], an ordinary member, in the default guild channel.
type From struct {
	// User is the invoking user or message author; nil means Server.User.
	User *discordgo.User
	// DM puts the event in the DM channel between User and the bot: the
	// interaction carries user (not member) and no guild_id.
	DM bool
	// GuildID and ChannelID override the default guild and channel
	// (ignored for DM). A new channel ID becomes a known text channel.
	GuildID   string
	ChannelID string
	// Permissions are the member's permissions in the guild (the member's
	// "permissions" string); zero means [MemberPermissions]. Use e.g.
	// discordgo.PermissionManageGuild or discordgo.PermissionAdministrator
	// for an admin. Ignored for DM.
	Permissions int64
	// Roles are the member's role IDs. Ignored for DM.
	Roles []string
}

// place is a resolved From.
type place struct {
	user      *discordgo.User
	dm        bool
	guildID   string
	channelID string
	perms     int64
	roles     []string
}

func (s *Server) resolve(f From) place {
	p := place{user: f.User, dm: f.DM, perms: f.Permissions, roles: f.Roles}
	if p.user == nil {
		p.user = s.User
	}
	if p.perms == 0 {
		p.perms = MemberPermissions
	}
	if p.roles == nil {
		p.roles = []string{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[p.user.ID]; !ok {
		u := *p.user
		s.users[u.ID] = &u
	}
	if p.dm {
		p.channelID = s.dmChannelLocked(p.user.ID)
		return p
	}
	p.guildID, p.channelID = f.GuildID, f.ChannelID
	if p.guildID == "" {
		p.guildID = s.GuildID
	}
	if p.channelID == "" {
		p.channelID = s.ChannelID
	}
	if _, ok := s.channels[p.channelID]; !ok {
		s.channels[p.channelID] = &channelInfo{ID: p.channelID, Type: discordgo.ChannelTypeGuildText, GuildID: p.guildID, Name: "channel-" + p.channelID}
	}
	return p
}

func (s *Server) memberJSON(p place) map[string]any {
	return map[string]any{
		"user":                         userJSON(p.user),
		"roles":                        p.roles,
		"joined_at":                    snowflakeTime(p.user.ID).Format(time.RFC3339Nano),
		"nick":                         nil,
		"avatar":                       nil,
		"premium_since":                nil,
		"deaf":                         false,
		"mute":                         false,
		"flags":                        0,
		"pending":                      false,
		"communication_disabled_until": nil,
		"permissions":                  fmt.Sprint(p.perms),
	}
}

// String, Int, Number and Bool make slash command options as Discord sends
// them (types 3, 4, 10, 5).
func String(name, value string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: value}
}

// Int makes an integer option (type 4); see [String].
func Int(name string, value int) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionInteger, Value: value}
}

// Number makes a number option (type 10); see [String].
func Number(name string, value float64) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionNumber, Value: value}
}

// Bool makes a boolean option (type 5); see [String].
func Bool(name string, value bool) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionBoolean, Value: value}
}

// Focused makes the string option being typed in an autocomplete
// interaction: partial is what the user has typed so far.
func Focused(name, partial string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: partial, Focused: true}
}

// An InteractionEvent is an interaction the fake can dispatch with
// [Server.Interaction]: a [SlashCommand], an [Autocomplete] or a
// [ButtonClick].
type InteractionEvent interface {
	build(s *Server, p place) (typ discordgo.InteractionType, data map[string]any, msg *storedMsg, err error)
	from() From
}

// SlashCommand is a chat input command invocation (interaction type 2),
// e.g.
//
//	discordtest.SlashCommand{Name: "ask", Options: []*discordgo.ApplicationCommandInteractionDataOption{
//		discordtest.String("question", "what is a monad?"), discordtest.Int("results", 2), discordtest.Bool("private", true),
//	}}
type SlashCommand struct {
	From
	Name    string
	Options []*discordgo.ApplicationCommandInteractionDataOption
}

// Autocomplete is an autocomplete request (interaction type 4) for a
// command being typed. Exactly one option should be made with [Focused].
type Autocomplete struct {
	From
	Name    string
	Options []*discordgo.ApplicationCommandInteractionDataOption
}

// ButtonClick is a click on a button (interaction type 3, component type
// 2). Message is the message the button is on, usually
// [Server.Original] of an earlier interaction or the message of a
// follow-up; nil means a made-up message from the bot in the channel
// holding just this button.
type ButtonClick struct {
	From
	CustomID string
	Message  *discordgo.Message
}

func (c SlashCommand) from() From { return c.From }
func (c Autocomplete) from() From { return c.From }
func (c ButtonClick) from() From  { return c.From }

func (c SlashCommand) build(s *Server, p place) (discordgo.InteractionType, map[string]any, *storedMsg, error) {
	if c.Name == "" {
		return 0, nil, nil, errors.New("slash command without a name")
	}
	return discordgo.InteractionApplicationCommand, s.commandData(p, c.Name, c.Options), nil, nil
}

func (c Autocomplete) build(s *Server, p place) (discordgo.InteractionType, map[string]any, *storedMsg, error) {
	if c.Name == "" {
		return 0, nil, nil, errors.New("autocomplete without a command name")
	}
	focused := 0
	for _, o := range c.Options {
		if o.Focused {
			focused++
		}
	}
	if focused != 1 {
		return 0, nil, nil, fmt.Errorf("autocomplete for /%s has %d focused options, want 1", c.Name, focused)
	}
	return discordgo.InteractionApplicationCommandAutocomplete, s.commandData(p, c.Name, c.Options), nil, nil
}

func (s *Server) commandData(p place, name string, opts []*discordgo.ApplicationCommandInteractionDataOption) map[string]any {
	s.mu.Lock()
	id := s.commandIDLocked(p.guildID, name, discordgo.ChatApplicationCommand)
	s.mu.Unlock()
	if id == "" {
		s.logf("warning: /%s is not a registered command; dispatching it anyway", name)
		id = newSnowflake()
	}
	if opts == nil {
		opts = []*discordgo.ApplicationCommandInteractionDataOption{}
	}
	d := map[string]any{"id": id, "name": name, "type": int(discordgo.ChatApplicationCommand), "options": opts}
	if p.guildID != "" {
		d["guild_id"] = p.guildID
	}
	return d
}

func (c ButtonClick) build(s *Server, p place) (discordgo.InteractionType, map[string]any, *storedMsg, error) {
	if c.CustomID == "" {
		return 0, nil, nil, errors.New("button click without a custom_id")
	}
	data := map[string]any{"custom_id": c.CustomID, "component_type": int(discordgo.ButtonComponent)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Message != nil {
		m := s.messages[c.Message.ID]
		if m == nil {
			// A message the fake has not seen: remember it as given.
			b, err := json.Marshal(c.Message)
			if err != nil {
				return 0, nil, nil, fmt.Errorf("encode button message: %w", err)
			}
			m = &storedMsg{ID: c.Message.ID, ChannelID: c.Message.ChannelID, GuildID: c.Message.GuildID, Author: c.Message.Author, Timestamp: c.Message.Timestamp}
			if m.Author == nil {
				m.Author = s.BotUser()
			}
			if m.ID == "" {
				m.ID = newSnowflake()
			}
			if m.ChannelID == "" {
				m.ChannelID = p.channelID
			}
			applyEdit(m, b)
			s.messages[m.ID] = m
		}
		if !componentHasCustomID(m.Components, c.CustomID) {
			s.logf("warning: message %s has no component with custom_id %q; dispatching the click anyway", m.ID, c.CustomID)
		}
		return discordgo.InteractionMessageComponent, data, m, nil
	}
	row := []any{map[string]any{"type": 1, "components": []any{map[string]any{"type": 2, "style": 2, "label": "Button", "custom_id": c.CustomID}}}}
	comps, _ := json.Marshal(row)
	m := &storedMsg{ID: newSnowflake(), ChannelID: p.channelID, GuildID: p.guildID, Author: s.BotUser(), Content: "message with a button",
		Components: comps, Timestamp: time.Now().UTC(), Type: discordgo.MessageTypeDefault}
	s.messages[m.ID] = m
	return discordgo.InteractionMessageComponent, data, m, nil
}

func componentHasCustomID(raw json.RawMessage, id string) bool {
	quoted, _ := json.Marshal(id)
	return strings.Contains(string(raw), `"custom_id":`+string(quoted))
}

// Interaction is a dispatched interaction: the discordgo view of the
// INTERACTION_CREATE payload (ID, Token, AppID, Data ...) plus dispatch
// facts.
type Interaction struct {
	*discordgo.Interaction
	// Seq is the gateway sequence number of the INTERACTION_CREATE.
	Seq int64
	// Dispatched is when the event was handed to the websocket (or kept
	// for replay, if the connection was down). The time from Dispatched to
	// the callback's [Request.Time] is the bot's acknowledgement latency.
	Dispatched time.Time
	// Raw is the INTERACTION_CREATE payload (the d field) as sent.
	Raw json.RawMessage
}

// Interaction dispatches INTERACTION_CREATE for e and returns the
// interaction sent, whose ID and Token the bot's answer will use. It fails
// the test (t.Fatalf) if nothing can be dispatched, so call it from the
// test goroutine; elsewhere use [Server.SendInteraction].
func (s *Server) Interaction(e InteractionEvent) *Interaction {
	in, err := s.SendInteraction(e)
	if err != nil {
		s.t.Fatalf("discordtest: %v", err)
	}
	return in
}

// SendInteraction is [Server.Interaction] returning an error instead of
// failing the test; it is safe to call from any goroutine.
func (s *Server) SendInteraction(e InteractionEvent) (*Interaction, error) {
	p := s.resolve(e.from())
	typ, data, msg, err := e.build(s, p)
	if err != nil {
		return nil, fmt.Errorf("build interaction: %w", err)
	}
	id := newSnowflake()
	token := "aW50ZXJhY3Rpb246" + id + ":" + randomHex(24)
	d := map[string]any{
		"id":             id,
		"application_id": s.AppID,
		"type":           int(typ),
		"data":           data,
		"channel_id":     p.channelID,
		"token":          token,
		"version":        1,
		"locale":         "en-US",
		"app_permissions": fmt.Sprint(discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
			discordgo.PermissionEmbedLinks | discordgo.PermissionReadMessageHistory | discordgo.PermissionUseExternalEmojis),
		"entitlements":          []any{},
		"attachment_size_limit": 10485760,
	}
	s.mu.Lock()
	d["channel"] = s.channelJSONLocked(s.channels[p.channelID])
	s.mu.Unlock()
	if p.dm {
		d["user"] = userJSON(p.user)
		d["context"] = int(discordgo.InteractionContextBotDM)
		d["authorizing_integration_owners"] = map[string]any{"0": "0"}
	} else {
		d["guild_id"] = p.guildID
		d["guild"] = map[string]any{"id": p.guildID, "locale": "en-US", "features": []any{}}
		d["guild_locale"] = "en-US"
		d["member"] = s.memberJSON(p)
		d["context"] = int(discordgo.InteractionContextGuild)
		d["authorizing_integration_owners"] = map[string]any{"0": p.guildID}
	}
	st := &interactionState{id: id, token: token, typ: typ, channelID: p.channelID, guildID: p.guildID, user: p.user}
	if msg != nil {
		d["message"] = msg.json()
		st.componentMsgID = msg.ID
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode interaction: %w", err)
	}
	var di discordgo.Interaction
	if err := json.Unmarshal(raw, &di); err != nil {
		return nil, fmt.Errorf("decode own interaction: %w", err)
	}
	s.mu.Lock()
	s.interactions[id] = st
	s.tokens[token] = st
	s.mu.Unlock()
	seq, err := s.dispatch("INTERACTION_CREATE", json.RawMessage(raw), st)
	if err != nil {
		s.mu.Lock()
		delete(s.interactions, id)
		delete(s.tokens, token)
		s.mu.Unlock()
		return nil, err
	}
	s.mu.Lock()
	dispatched := st.dispatched
	s.mu.Unlock()
	s.logf("INTERACTION_CREATE %s (type %d%s) seq %d", id, typ, describe(e), seq)
	return &Interaction{Interaction: &di, Seq: seq, Dispatched: dispatched, Raw: raw}, nil
}

func describe(e InteractionEvent) string {
	switch e := e.(type) {
	case SlashCommand:
		return ", /" + e.Name
	case Autocomplete:
		return ", autocomplete /" + e.Name
	case ButtonClick:
		return ", button " + e.CustomID
	}
	return ""
}

// MessageCreate is a message someone writes (MESSAGE_CREATE). In a guild
// channel Discord delivers it only with the GUILD_MESSAGES intent, and in a
// DM only with DIRECT_MESSAGES. Without the privileged MESSAGE_CONTENT
// intent, a guild message that does not mention the bot arrives with empty
// content, embeds and components, as on Discord.
type MessageCreate struct {
	From
	// Content is the message text.
	Content string
	// MentionBot prefixes Content with the bot's mention "<@BOTID> " and
	// puts the bot in mentions.
	MentionBot bool
	// Mentions are further mentioned users (added to mentions; put their
	// "<@id>" in Content yourself if it matters).
	Mentions []*discordgo.User
}

// Message dispatches MESSAGE_CREATE for m and returns the message as
// written (with ID, ChannelID, GuildID, Author). It fails the test
// (t.Fatalf) if the message cannot be delivered, so call it from the test
// goroutine; elsewhere use [Server.SendMessage].
func (s *Server) Message(m MessageCreate) *discordgo.Message {
	msg, err := s.SendMessage(m)
	if err != nil {
		s.t.Fatalf("discordtest: %v", err)
	}
	return msg
}

// SendMessage is [Server.Message] returning an error instead of failing
// the test; it is safe to call from any goroutine. It returns [ErrIntent]
// when the session lacks the intent needed to receive the message, and
// [ErrNoSession] when no session is valid.
func (s *Server) SendMessage(m MessageCreate) (*discordgo.Message, error) {
	p := s.resolve(m.From)
	content := m.Content
	mentions := append([]*discordgo.User(nil), m.Mentions...)
	mentionsBot := false
	if m.MentionBot {
		content = "<@" + s.BotUserID + "> " + content
		mentions = append([]*discordgo.User{s.BotUser()}, mentions...)
	}
	for _, u := range mentions {
		if u.ID == s.BotUserID {
			mentionsBot = true
		}
	}
	st := &storedMsg{ID: newSnowflake(), ChannelID: p.channelID, GuildID: p.guildID, Author: p.user, Content: content,
		Mentions: mentions, Timestamp: time.Now().UTC(), Type: discordgo.MessageTypeDefault}

	s.mu.Lock()
	sess := s.current
	var intents discordgo.Intent
	if sess != nil && sess.valid {
		intents = sess.intents
	}
	s.messages[st.ID] = st
	if ch := s.channels[p.channelID]; ch != nil {
		ch.LastMessage = st.ID
	}
	s.mu.Unlock()
	full := st.message()

	if sess == nil {
		return full, fmt.Errorf("dispatch MESSAGE_CREATE: %w", ErrNoSession)
	}
	need, needName := discordgo.IntentGuildMessages, "GUILD_MESSAGES"
	if p.dm {
		need, needName = discordgo.IntentDirectMessages, "DIRECT_MESSAGES"
	}
	if intents&need == 0 {
		return full, fmt.Errorf("dispatch MESSAGE_CREATE in channel %s: identified without %s: %w", p.channelID, needName, ErrIntent)
	}
	j := st.json()
	if !p.dm && !mentionsBot && p.user.ID != s.BotUserID && intents&discordgo.IntentMessageContent == 0 {
		j["content"] = ""
		j["embeds"] = []any{}
		j["components"] = []any{}
		j["attachments"] = []any{}
	}
	if !p.dm {
		member := s.memberJSON(p)
		delete(member, "user")
		delete(member, "permissions")
		j["member"] = member
	}
	seq, err := s.dispatch("MESSAGE_CREATE", j, nil)
	if err != nil {
		return full, err
	}
	s.logf("MESSAGE_CREATE %s in channel %s (dm=%v, mentions bot=%v) seq %d", st.ID, p.channelID, p.dm, mentionsBot, seq)
	return full, nil
}
