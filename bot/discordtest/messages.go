package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
)

// storedMsg is a message the fake knows: sent by the bot through REST, or
// injected as MESSAGE_CREATE, or attached to an injected button click.
type storedMsg struct {
	ID            string
	ChannelID     string
	GuildID       string
	Author        *discordgo.User
	Content       string
	Embeds        json.RawMessage // JSON array or nil
	Components    json.RawMessage // JSON array or nil
	Flags         int
	Type          discordgo.MessageType
	Mentions      []*discordgo.User
	Reference     json.RawMessage // message_reference object or nil
	WebhookID     string
	ApplicationID string
	Timestamp     time.Time
	Edited        *time.Time
	Interaction   *interactionState // the interaction it answers, if any
}

const flagLoading = 1 << 7 // LOADING: a deferred response still "thinking"

func (m *storedMsg) json() map[string]any {
	mentions := []any{}
	for _, u := range m.Mentions {
		mentions = append(mentions, userJSON(u))
	}
	j := map[string]any{
		"id":               m.ID,
		"channel_id":       m.ChannelID,
		"author":           userJSON(m.Author),
		"content":          m.Content,
		"timestamp":        m.Timestamp.Format(time.RFC3339Nano),
		"edited_timestamp": nil,
		"tts":              false,
		"mention_everyone": false,
		"mentions":         mentions,
		"mention_roles":    []any{},
		"attachments":      []any{},
		"embeds":           rawOrEmpty(m.Embeds),
		"components":       rawOrEmpty(m.Components),
		"pinned":           false,
		"type":             int(m.Type),
		"flags":            m.Flags,
	}
	if m.GuildID != "" {
		j["guild_id"] = m.GuildID
	}
	if m.Edited != nil {
		j["edited_timestamp"] = m.Edited.Format(time.RFC3339Nano)
	}
	if m.Reference != nil {
		j["message_reference"] = m.Reference
	}
	if m.WebhookID != "" {
		j["webhook_id"] = m.WebhookID
	}
	if m.ApplicationID != "" {
		j["application_id"] = m.ApplicationID
	}
	if in := m.Interaction; in != nil {
		meta := map[string]any{
			"id":                             in.id,
			"type":                           int(in.typ),
			"user":                           userJSON(in.user),
			"authorizing_integration_owners": map[string]any{},
		}
		j["interaction_metadata"] = meta
	}
	return j
}

func (m *storedMsg) message() *discordgo.Message {
	b, err := json.Marshal(m.json())
	if err != nil {
		panic(err)
	}
	var out discordgo.Message
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("discordtest: decode own message: %v", err))
	}
	return &out
}

func rawOrEmpty(r json.RawMessage) any {
	if len(r) == 0 || string(r) == "null" {
		return []any{}
	}
	return r
}

// newBotMsg makes a message authored by the bot from a request's message
// body. s.mu must be held.
func (s *Server) newBotMsgLocked(channelID string, body []byte) *storedMsg {
	ch := s.channels[channelID]
	m := &storedMsg{ID: newSnowflake(), ChannelID: channelID, Author: s.BotUser(), Timestamp: time.Now().UTC()}
	if ch != nil {
		m.GuildID = ch.GuildID
		ch.LastMessage = m.ID
	}
	applyEdit(m, body)
	s.messages[m.ID] = m
	return m
}

// applyEdit copies the fields present in a message body into m.
func applyEdit(m *storedMsg, body []byte) {
	var f map[string]json.RawMessage
	if json.Unmarshal(body, &f) != nil {
		return
	}
	if v, ok := f["content"]; ok {
		var c *string
		json.Unmarshal(v, &c)
		if c != nil {
			m.Content = *c
		} else {
			m.Content = ""
		}
	}
	if v, ok := f["embeds"]; ok {
		m.Embeds = v
	}
	if v, ok := f["components"]; ok {
		m.Components = v
	}
	if v, ok := f["flags"]; ok {
		var fl int
		json.Unmarshal(v, &fl)
		m.Flags = fl | (m.Flags & int(discordgo.MessageFlagsEphemeral))
	}
	if v, ok := f["message_reference"]; ok && string(v) != "null" {
		m.Reference = v
	}
}

func (s *Server) serveChannel(r *Request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[r.ChannelID]
	if ch == nil {
		return errResp(http.StatusNotFound, codeUnknownChannel, "Unknown Channel")
	}
	switch r.Route {
	case RouteTyping:
		return noContent()
	case RouteChannelMessages: // POST
		body := r.JSON()
		if errs := validateMessage(body, false); len(errs) > 0 {
			return invalidFormOrEmpty(errs)
		}
		var ref struct {
			Reference *struct {
				MessageID       string `json:"message_id"`
				FailIfNotExists *bool  `json:"fail_if_not_exists"`
			} `json:"message_reference"`
		}
		json.Unmarshal(body, &ref)
		typ := discordgo.MessageTypeDefault
		if ref.Reference != nil && ref.Reference.MessageID != "" {
			target := s.messages[ref.Reference.MessageID]
			if target == nil || target.ChannelID != r.ChannelID {
				if ref.Reference.FailIfNotExists == nil || *ref.Reference.FailIfNotExists {
					return invalidForm(fieldErr{"message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"})
				}
			} else {
				typ = discordgo.MessageTypeReply
			}
		}
		m := s.newBotMsgLocked(r.ChannelID, body)
		m.Type = typ
		return jsonResp(http.StatusOK, m.json())
	}
	// RouteChannelMessage
	m := s.messages[r.MessageID]
	if m == nil || m.ChannelID != r.ChannelID {
		return errResp(http.StatusNotFound, codeUnknownMessage, "Unknown Message")
	}
	switch r.Method {
	case http.MethodGet:
		return jsonResp(http.StatusOK, m.json())
	case http.MethodDelete:
		delete(s.messages, m.ID)
		return noContent()
	}
	// PATCH
	if m.Author.ID != s.BotUserID {
		return errResp(http.StatusForbidden, codeCannotEditOthers, "Cannot edit a message authored by another user")
	}
	body := r.JSON()
	if errs := validateMessage(body, true); len(errs) > 0 {
		return invalidFormOrEmpty(errs)
	}
	applyEdit(m, body)
	now := time.Now().UTC()
	m.Edited = &now
	return jsonResp(http.StatusOK, m.json())
}

// interactionState is what the fake knows about a dispatched interaction.
type interactionState struct {
	id, token      string
	typ            discordgo.InteractionType
	channelID      string
	guildID        string
	user           *discordgo.User
	dispatched     time.Time // first dispatch
	delivered      time.Time // last write to a gateway connection
	acked          bool
	ackType        discordgo.InteractionResponseType
	originalID     string // message of the response (@original)
	componentMsgID string // message holding the clicked component
	expired        bool
	followups      map[string]bool
}

func (s *Server) callback(r *Request) response {
	now := r.Time
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactions[r.InteractionID]
	if st == nil || st.token != r.InteractionToken || st.expired {
		return errResp(http.StatusNotFound, codeUnknownInteraction, "Unknown interaction")
	}
	if d := s.cfg.callbackDeadline; d > 0 && !st.delivered.IsZero() && now.Sub(st.delivered) > d {
		s.logf("callback for interaction %s came %v after delivery, past the %v deadline", st.id, now.Sub(st.delivered).Round(time.Millisecond), d)
		return errResp(http.StatusNotFound, codeUnknownInteraction, "Unknown interaction")
	}
	if st.acked {
		return errResp(http.StatusBadRequest, codeAlreadyAcknowledged, "Interaction has already been acknowledged.")
	}
	var cb wireCallback
	if err := json.Unmarshal(r.JSON(), &cb); err != nil {
		return invalidForm(fieldErr{"_root", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"})
	}
	badType := func() response {
		return invalidForm(fieldErr{"type", "INTERACTION_RESPONSE_TYPE_INVALID", fmt.Sprintf("Interaction response type %d is not valid for interaction type %d", cb.Type, st.typ)})
	}
	isComponent := st.typ == discordgo.InteractionMessageComponent || st.typ == discordgo.InteractionModalSubmit
	switch cb.Type {
	case discordgo.InteractionResponseChannelMessageWithSource:
		if st.typ == discordgo.InteractionApplicationCommandAutocomplete {
			return badType()
		}
		if errs := validateMessage(cb.Data, false); len(errs) > 0 {
			return invalidFormOrEmpty(prefixErrs("data", errs))
		}
		m := s.newBotMsgLocked(st.channelID, cb.Data)
		m.Type, m.WebhookID, m.ApplicationID, m.Interaction = discordgo.MessageTypeChatInputCommand, s.AppID, s.AppID, st
		st.originalID = m.ID
	case discordgo.InteractionResponseDeferredChannelMessageWithSource:
		if st.typ == discordgo.InteractionApplicationCommandAutocomplete {
			return badType()
		}
		m := s.newBotMsgLocked(st.channelID, nil)
		var d struct {
			Flags int `json:"flags"`
		}
		json.Unmarshal(cb.Data, &d)
		m.Flags = flagLoading | (d.Flags & int(discordgo.MessageFlagsEphemeral))
		m.Type, m.WebhookID, m.ApplicationID, m.Interaction = discordgo.MessageTypeChatInputCommand, s.AppID, s.AppID, st
		st.originalID = m.ID
	case discordgo.InteractionResponseDeferredMessageUpdate, discordgo.InteractionResponseUpdateMessage:
		if !isComponent {
			return badType()
		}
		m := s.messages[st.componentMsgID]
		if cb.Type == discordgo.InteractionResponseUpdateMessage {
			if errs := validateMessage(cb.Data, true); len(errs) > 0 {
				return invalidFormOrEmpty(prefixErrs("data", errs))
			}
			if m != nil {
				applyEdit(m, cb.Data)
				now := time.Now().UTC()
				m.Edited = &now
			}
		}
		st.originalID = st.componentMsgID
	case discordgo.InteractionApplicationCommandAutocompleteResult:
		if st.typ != discordgo.InteractionApplicationCommandAutocomplete {
			return badType()
		}
		if errs := validateChoices(cb.Data); len(errs) > 0 {
			return invalidForm(prefixErrs("data", errs)...)
		}
	case discordgo.InteractionResponseModal:
		if st.typ == discordgo.InteractionApplicationCommandAutocomplete || st.typ == discordgo.InteractionModalSubmit {
			return badType()
		}
	default:
		return badType()
	}
	st.acked = true
	st.ackType = cb.Type
	return noContent()
}

func (s *Server) serveWebhook(r *Request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.tokens[r.InteractionToken]
	if st == nil || st.expired {
		return errResp(http.StatusNotFound, codeUnknownWebhook, "Unknown Webhook")
	}
	if !st.acked {
		// The webhook only exists once the interaction is acknowledged.
		return errResp(http.StatusNotFound, codeUnknownWebhook, "Unknown Webhook")
	}
	switch r.Route {
	case RouteFollowup: // POST
		body := r.JSON()
		if errs := validateMessage(body, false); len(errs) > 0 {
			return invalidFormOrEmpty(errs)
		}
		m := s.newBotMsgLocked(st.channelID, body)
		m.WebhookID, m.ApplicationID, m.Interaction = s.AppID, s.AppID, st
		if st.followups == nil {
			st.followups = map[string]bool{}
		}
		st.followups[m.ID] = true
		if r.Query.Get("wait") != "true" {
			return noContent()
		}
		return jsonResp(http.StatusOK, m.json())
	}
	var m *storedMsg
	if r.Route == RouteOriginal {
		m = s.messages[st.originalID]
	} else if st.followups[r.MessageID] || r.MessageID == st.originalID {
		m = s.messages[r.MessageID]
	}
	if m == nil {
		return errResp(http.StatusNotFound, codeUnknownMessage, "Unknown Message")
	}
	switch r.Method {
	case http.MethodGet:
		return jsonResp(http.StatusOK, m.json())
	case http.MethodDelete:
		delete(s.messages, m.ID)
		return noContent()
	}
	body := r.JSON()
	if errs := validateMessage(body, true); len(errs) > 0 {
		return invalidFormOrEmpty(errs)
	}
	applyEdit(m, body)
	if m.Flags&flagLoading != 0 {
		m.Flags &^= flagLoading
	} else {
		now := time.Now().UTC()
		m.Edited = &now
	}
	return jsonResp(http.StatusOK, m.json())
}

// Original returns the message that answers the interaction (its
// @original), as the fake holds it now, or nil before the interaction is
// acknowledged with a message. For a button click it is the message the
// button is on. Use it as [ButtonClick.Message] to click a button the bot
// sent.
func (s *Server) Original(in *Interaction) *discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactions[in.ID]
	if st == nil || st.originalID == "" {
		return nil
	}
	m := s.messages[st.originalID]
	if m == nil {
		return nil
	}
	return m.message()
}

// StoredMessage returns the message with the given ID as the fake holds it
// now (after edits), or nil.
func (s *Server) StoredMessage(id string) *discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messages[id]
	if m == nil {
		return nil
	}
	return m.message()
}
