package discordtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// response is what a route answers; body is marshalled to JSON unless nil.
type response struct {
	status int
	header http.Header
	body   any
}

func jsonResp(status int, body any) response { return response{status: status, body: body} }

func noContent() response { return response{status: http.StatusNoContent} }

func apiError(code int, msg string) map[string]any {
	return map[string]any{"message": msg, "code": code}
}

func errResp(status, code int, msg string) response {
	return response{status: status, body: apiError(code, msg)}
}

// Discord JSON error codes the fake uses.
const (
	codeUnknownChannel      = 10003
	codeUnknownMessage      = 10008
	codeUnknownUser         = 10013
	codeUnknownWebhook      = 10015
	codeUnknownCommand      = 10063
	codeUnknownInteraction  = 10062
	codeMissingAccess       = 50001
	codeCannotEditOthers    = 50005
	codeEmptyMessage        = 50006
	codeInvalidFormBody     = 50035
	codeAlreadyAcknowledged = 40060
)

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/gateway" || r.URL.Path == "/gateway/" {
		s.serveGateway(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	req := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		Header: r.Header.Clone(),
		Body:   body,
		Time:   time.Now(),
	}
	if a := req.Header.Get("Authorization"); a != "" {
		req.Authorized = s.tokenValid(a)
		if strings.HasPrefix(a, "Bot ") {
			req.Header.Set("Authorization", "Bot [redacted]")
		} else {
			req.Header.Set("Authorization", "[redacted]")
		}
	}
	s.mu.Lock()
	s.reqSeq++
	req.Seq = s.reqSeq
	s.mu.Unlock()
	parseRoute(&req)

	fault := s.takeFault(req.Method, req.Path)
	delay := time.Duration(s.delay.Load())
	if fault != nil {
		delay += fault.Delay
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			req.Answered = time.Now()
			s.logf("%s %s: client gave up during a %v delay", req.Method, req.Path, delay)
			s.record(req)
			return
		case <-s.done:
			t.Stop()
			req.Answered = time.Now()
			s.record(req)
			http.Error(w, "closing", http.StatusServiceUnavailable)
			return
		}
	}

	var resp response
	if fault != nil && fault.Status != 0 {
		resp = faultResponse(fault, bucketFor(req))
		req.Fault = true
	} else {
		resp = s.route(&req)
	}

	var out []byte
	if resp.body != nil {
		out, _ = json.Marshal(resp.body)
	}
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	if resp.status < 300 && h.Get("X-RateLimit-Limit") == "" && req.Route != RouteUnknown {
		// Plausible bucket headers that never make discordgo wait.
		h.Set("X-RateLimit-Limit", "50")
		h.Set("X-RateLimit-Remaining", "49")
		h.Set("X-RateLimit-Reset", fmt.Sprintf("%.3f", float64(time.Now().Add(time.Second).UnixMilli())/1000))
		h.Set("X-RateLimit-Reset-After", "1.000")
		h.Set("X-RateLimit-Bucket", bucketFor(req))
	}
	if out != nil {
		h.Set("Content-Type", "application/json")
	}
	w.WriteHeader(resp.status)
	if out != nil {
		w.Write(out)
	}
	req.Status = resp.status
	req.Response = out
	req.Answered = time.Now()
	tag := ""
	if req.Fault {
		tag = " (injected)"
	}
	if resp.status >= 400 {
		s.logf("%s %s -> %d%s %s", req.Method, req.Path, resp.status, tag, out)
	} else {
		s.logf("%s %s -> %d%s", req.Method, req.Path, resp.status, tag)
	}
	s.record(req)
}

func bucketFor(r Request) string {
	return fmt.Sprintf("%08x", fnv32(string(r.Route)+r.AppID+r.GuildID+r.ChannelID+r.InteractionID+r.InteractionToken))
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// parseRoute fills the route name and path parameters of r.
func parseRoute(r *Request) {
	r.Route = RouteUnknown
	p := r.Path
	if !strings.HasPrefix(p, "/api/") {
		return
	}
	p = strings.TrimPrefix(p, "/api/")
	if strings.HasPrefix(p, "v") {
		if i := strings.IndexByte(p, '/'); i > 0 {
			p = p[i+1:]
		} else {
			p = ""
		}
	}
	seg := strings.Split(strings.Trim(p, "/"), "/")
	is := func(pattern ...string) bool {
		if len(seg) != len(pattern) {
			return false
		}
		for i, want := range pattern {
			if want != "*" && want != seg[i] {
				return false
			}
		}
		return true
	}
	switch {
	case is("gateway"):
		r.Route = RouteGateway
	case is("gateway", "bot"):
		r.Route = RouteGatewayBot
	case is("users", "@me"):
		r.Route = RouteUserMe
	case is("users", "@me", "channels"):
		r.Route = RouteDMCreate
	case is("users", "*"):
		r.Route = RouteUser
	case is("applications", "@me"), is("oauth2", "applications", "@me"):
		r.Route = RouteApplicationMe
	case is("applications", "*", "commands"):
		r.Route, r.AppID = RouteCommands, seg[1]
	case is("applications", "*", "commands", "*"):
		r.Route, r.AppID, r.CommandID = RouteCommand, seg[1], seg[3]
	case is("applications", "*", "guilds", "*", "commands"):
		r.Route, r.AppID, r.GuildID = RouteGuildCommands, seg[1], seg[3]
	case is("applications", "*", "guilds", "*", "commands", "*"):
		r.Route, r.AppID, r.GuildID, r.CommandID = RouteGuildCommand, seg[1], seg[3], seg[5]
	case is("interactions", "*", "*", "callback"):
		r.Route, r.InteractionID, r.InteractionToken = RouteCallback, seg[1], seg[2]
	case is("webhooks", "*", "*"):
		r.Route, r.AppID, r.InteractionToken = RouteFollowup, seg[1], seg[2]
	case is("webhooks", "*", "*", "messages", "@original"):
		r.Route, r.AppID, r.InteractionToken, r.MessageID = RouteOriginal, seg[1], seg[2], seg[4]
	case is("webhooks", "*", "*", "messages", "*"):
		r.Route, r.AppID, r.InteractionToken, r.MessageID = RouteFollowupMessage, seg[1], seg[2], seg[4]
	case is("channels", "*"):
		r.Route, r.ChannelID = RouteChannel, seg[1]
	case is("channels", "*", "messages"):
		r.Route, r.ChannelID = RouteChannelMessages, seg[1]
	case is("channels", "*", "messages", "*"):
		r.Route, r.ChannelID, r.MessageID = RouteChannelMessage, seg[1], seg[3]
	case is("channels", "*", "typing"):
		r.Route, r.ChannelID = RouteTyping, seg[1]
	}
}

// route serves a request that no fault answered.
func (s *Server) route(r *Request) response {
	allowed := map[Route]string{
		RouteGateway:         "GET",
		RouteGatewayBot:      "GET",
		RouteUserMe:          "GET",
		RouteUser:            "GET",
		RouteDMCreate:        "POST",
		RouteApplicationMe:   "GET",
		RouteCommands:        "GET PUT POST",
		RouteCommand:         "GET PATCH DELETE",
		RouteGuildCommands:   "GET PUT POST",
		RouteGuildCommand:    "GET PATCH DELETE",
		RouteCallback:        "POST",
		RouteOriginal:        "GET PATCH DELETE",
		RouteFollowup:        "POST",
		RouteFollowupMessage: "GET PATCH DELETE",
		RouteChannel:         "GET",
		RouteChannelMessages: "POST",
		RouteChannelMessage:  "GET PATCH DELETE",
		RouteTyping:          "POST",
	}
	if r.Route == RouteUnknown {
		s.logf("unknown route %s %s (answering 404)", r.Method, r.Path)
		return errResp(http.StatusNotFound, 0, "404: Not Found")
	}
	if !strings.Contains(" "+allowed[r.Route]+" ", " "+r.Method+" ") {
		r.Route = RouteMethodNotAllowed
		return errResp(http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
	}
	switch r.Route {
	case RouteGateway, RouteCallback, RouteOriginal, RouteFollowup, RouteFollowupMessage:
		// No bot token needed, as on Discord.
	default:
		if !r.Authorized {
			return errResp(http.StatusUnauthorized, 0, "401: Unauthorized")
		}
	}
	if r.AppID != "" && r.AppID != s.AppID && r.AppID != "@me" {
		switch r.Route {
		case RouteFollowup, RouteOriginal, RouteFollowupMessage:
			return errResp(http.StatusNotFound, codeUnknownWebhook, "Unknown Webhook")
		default:
			return errResp(http.StatusForbidden, codeMissingAccess, "Missing Access")
		}
	}

	switch r.Route {
	case RouteGateway:
		return jsonResp(http.StatusOK, map[string]any{"url": s.GatewayURL})
	case RouteGatewayBot:
		return jsonResp(http.StatusOK, map[string]any{
			"url":    s.GatewayURL,
			"shards": 1,
			"session_start_limit": map[string]any{
				"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1,
			},
		})
	case RouteUserMe:
		return jsonResp(http.StatusOK, userJSON(s.BotUser()))
	case RouteUser:
		s.mu.Lock()
		u := s.users[r.Path[strings.LastIndexByte(r.Path, '/')+1:]]
		s.mu.Unlock()
		if u == nil {
			return errResp(http.StatusNotFound, codeUnknownUser, "Unknown User")
		}
		return jsonResp(http.StatusOK, userJSON(u))
	case RouteDMCreate:
		return s.createDM(r)
	case RouteApplicationMe:
		return jsonResp(http.StatusOK, map[string]any{
			"id": s.AppID, "name": s.BotUsername, "description": "", "icon": nil,
			"bot_public": true, "bot_require_code_grant": false, "flags": 0,
			"bot": userJSON(s.BotUser()),
		})
	case RouteCommands, RouteGuildCommands, RouteCommand, RouteGuildCommand:
		return s.serveCommands(r)
	case RouteCallback:
		return s.callback(r)
	case RouteOriginal, RouteFollowup, RouteFollowupMessage:
		return s.serveWebhook(r)
	case RouteChannel:
		s.mu.Lock()
		ch := s.channels[r.ChannelID]
		var j map[string]any
		if ch != nil {
			j = s.channelJSONLocked(ch)
		}
		s.mu.Unlock()
		if ch == nil {
			return errResp(http.StatusNotFound, codeUnknownChannel, "Unknown Channel")
		}
		return jsonResp(http.StatusOK, j)
	case RouteChannelMessages, RouteChannelMessage, RouteTyping:
		return s.serveChannel(r)
	}
	return errResp(http.StatusNotFound, 0, "404: Not Found")
}

func (s *Server) createDM(r *Request) response {
	var in struct {
		RecipientID string `json:"recipient_id"`
	}
	if err := r.Decode(&in); err != nil || in.RecipientID == "" {
		return invalidForm(fieldErr{"recipient_id", "BASE_TYPE_REQUIRED", "This field is required"})
	}
	s.mu.Lock()
	id := s.dmChannelLocked(in.RecipientID)
	j := s.channelJSONLocked(s.channels[id])
	s.mu.Unlock()
	return jsonResp(http.StatusOK, j)
}

// channelInfo is a channel the fake knows.
type channelInfo struct {
	ID          string
	Type        discordgo.ChannelType
	GuildID     string
	Name        string
	RecipientID string
	LastMessage string
}

func (s *Server) channelJSONLocked(c *channelInfo) map[string]any {
	j := map[string]any{"id": c.ID, "type": int(c.Type), "flags": 0, "last_message_id": nilIfEmpty(c.LastMessage)}
	if c.Type == discordgo.ChannelTypeDM {
		u := s.users[c.RecipientID]
		if u == nil {
			u = &discordgo.User{ID: c.RecipientID, Username: "user" + c.RecipientID, Discriminator: "0"}
		}
		j["recipients"] = []any{userJSON(u)}
	} else {
		j["guild_id"] = c.GuildID
		j["name"] = c.Name
		j["position"] = 0
		j["permission_overwrites"] = []any{}
		j["nsfw"] = false
		j["parent_id"] = nil
		j["topic"] = nil
		j["rate_limit_per_user"] = 0
	}
	return j
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func userJSON(u *discordgo.User) map[string]any {
	disc := u.Discriminator
	if disc == "" {
		disc = "0"
	}
	j := map[string]any{
		"id":            u.ID,
		"username":      u.Username,
		"discriminator": disc,
		"global_name":   nilIfEmpty(u.GlobalName),
		"avatar":        nilIfEmpty(u.Avatar),
		"public_flags":  int(u.PublicFlags),
	}
	if u.Bot {
		j["bot"] = true
	}
	if u.System {
		j["system"] = true
	}
	return j
}
