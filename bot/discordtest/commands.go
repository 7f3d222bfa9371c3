package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"

	"github.com/bwmarrin/discordgo"
)

// serveCommands serves the application command routes, global (scope "")
// and per guild, storing what the bot registers.
func (s *Server) serveCommands(r *Request) response {
	scope := r.GuildID
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.commands[scope]
	switch r.Route {
	case RouteCommands, RouteGuildCommands:
		switch r.Method {
		case http.MethodGet:
			return jsonResp(http.StatusOK, cloneCommands(list))
		case http.MethodPut:
			var in []map[string]any
			if err := r.Decode(&in); err != nil {
				return invalidForm(fieldErr{"_root", "MODEL_TYPE_CONVERT", "Must be an array of commands"})
			}
			var errs []fieldErr
			names := map[string]bool{}
			for i, c := range in {
				errs = append(errs, validateCommand(fmt.Sprintf("%d.", i), c)...)
				key := commandKey(c)
				if names[key] {
					errs = append(errs, fieldErr{fmt.Sprintf("%d.name", i), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"})
				}
				names[key] = true
			}
			if len(in) > 100 {
				errs = append(errs, fieldErr{"_root", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."})
			}
			if len(errs) > 0 {
				return invalidForm(errs...)
			}
			out := make([]map[string]any, 0, len(in))
			for _, c := range in {
				out = append(out, s.storeCommand(scope, list, c))
			}
			s.commands[scope] = out
			s.logf("%d commands registered (scope %q)", len(out), scopeName(scope))
			return jsonResp(http.StatusOK, cloneCommands(out))
		case http.MethodPost:
			var c map[string]any
			if err := r.Decode(&c); err != nil {
				return invalidForm(fieldErr{"_root", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"})
			}
			if errs := validateCommand("", c); len(errs) > 0 {
				return invalidForm(errs...)
			}
			stored := s.storeCommand(scope, list, c)
			status := http.StatusCreated
			replaced := false
			for i, old := range list {
				if commandKey(old) == commandKey(c) {
					list[i], replaced, status = stored, true, http.StatusOK
				}
			}
			if !replaced {
				list = append(list, stored)
			}
			s.commands[scope] = list
			return jsonResp(status, clone(stored))
		}
	case RouteCommand, RouteGuildCommand:
		for i, c := range list {
			if c["id"] != r.CommandID {
				continue
			}
			switch r.Method {
			case http.MethodGet:
				return jsonResp(http.StatusOK, clone(c))
			case http.MethodDelete:
				s.commands[scope] = append(list[:i:i], list[i+1:]...)
				return noContent()
			case http.MethodPatch:
				var patch map[string]any
				if err := r.Decode(&patch); err != nil {
					return invalidForm(fieldErr{"_root", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"})
				}
				merged := clone(c)
				for k, v := range patch {
					merged[k] = v
				}
				if errs := validateCommand("", merged); len(errs) > 0 {
					return invalidForm(errs...)
				}
				merged["version"] = newSnowflake()
				list[i] = merged
				return jsonResp(http.StatusOK, clone(merged))
			}
		}
		return errResp(http.StatusNotFound, codeUnknownCommand, "Unknown application command")
	}
	return errResp(http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
}

func scopeName(scope string) string {
	if scope == "" {
		return "global"
	}
	return "guild " + scope
}

// commandKey identifies a command within a scope: type and name.
func commandKey(c map[string]any) string {
	typ := 1.0
	if t, ok := c["type"].(float64); ok {
		typ = t
	}
	name, _ := c["name"].(string)
	return fmt.Sprintf("%v/%s", typ, name)
}

// storeCommand fills the fields Discord adds to a registered command,
// keeping the ID (and version, if unchanged) of a command with the same
// type and name. s.mu must be held.
func (s *Server) storeCommand(scope string, existing []map[string]any, in map[string]any) map[string]any {
	c := clone(in)
	if _, ok := c["type"]; !ok {
		c["type"] = 1.0
	}
	if _, ok := c["default_member_permissions"]; !ok {
		c["default_member_permissions"] = nil
	}
	if _, ok := c["nsfw"]; !ok {
		c["nsfw"] = false
	}
	if _, ok := c["description"]; !ok {
		c["description"] = ""
	}
	c["application_id"] = s.AppID
	if scope != "" {
		c["guild_id"] = scope
	} else {
		delete(c, "guild_id")
	}
	c["id"] = newSnowflake()
	c["version"] = newSnowflake()
	for _, old := range existing {
		if commandKey(old) != commandKey(c) {
			continue
		}
		c["id"] = old["id"]
		if sameCommand(old, c) {
			c["version"] = old["version"]
		}
	}
	return c
}

func sameCommand(a, b map[string]any) bool {
	strip := func(m map[string]any) map[string]any {
		m = clone(m)
		delete(m, "id")
		delete(m, "version")
		return m
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

func cloneCommands(list []map[string]any) []map[string]any {
	out := make([]map[string]any, 0, len(list))
	for _, c := range list {
		out = append(out, clone(c))
	}
	return out
}

// Commands returns the application commands registered for guildID, or
// the global ones when guildID is empty, as GET would return them.
func (s *Server) Commands(guildID string) []*discordgo.ApplicationCommand {
	s.mu.Lock()
	b, err := json.Marshal(s.commands[guildID])
	s.mu.Unlock()
	if err != nil {
		panic(err)
	}
	var out []*discordgo.ApplicationCommand
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("discordtest: decode stored commands: %v", err))
	}
	return out
}

// commandID returns the ID of the registered command with this name, from
// the guild's commands or the global ones; empty if none. s.mu must be held.
func (s *Server) commandIDLocked(guildID, name string, typ discordgo.ApplicationCommandType) string {
	for _, scope := range []string{guildID, ""} {
		for _, c := range s.commands[scope] {
			if c["name"] == name && c["type"] == float64(typ) {
				id, _ := c["id"].(string)
				return id
			}
		}
		if guildID == "" {
			break
		}
	}
	return ""
}
