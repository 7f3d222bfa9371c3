package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Discord's documented limits, enforced on everything the bot sends so
// that a reply Discord would reject fails in tests too (400, code 50035).
const (
	maxContent          = 2000
	maxEmbeds           = 10
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxEmbedFields      = 25
	maxFieldName        = 256
	maxFieldValue       = 1024
	maxFooterText       = 2048
	maxAuthorName       = 256
	maxEmbedTotal       = 6000
	maxRows             = 5
	maxRowItems         = 5
	maxCustomID         = 100
	maxButtonLabel      = 80
	maxChoices          = 25
	maxChoiceName       = 100
	maxChoiceValue      = 100
)

type fieldErr struct {
	path, code, msg string
}

const emptyMessage = "EMPTY_MESSAGE"

func invalidForm(errs ...fieldErr) response {
	tree := map[string]any{}
	for _, e := range errs {
		node := tree
		for _, p := range strings.Split(e.path, ".") {
			next, ok := node[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[p] = next
			}
			node = next
		}
		list, _ := node["_errors"].([]any)
		node["_errors"] = append(list, map[string]any{"code": e.code, "message": e.msg})
	}
	return jsonResp(http.StatusBadRequest, map[string]any{"code": codeInvalidFormBody, "message": "Invalid Form Body", "errors": tree})
}

// invalidFormOrEmpty answers 50006 for an empty message, else 50035.
func invalidFormOrEmpty(errs []fieldErr) response {
	for _, e := range errs {
		if e.code == emptyMessage {
			return errResp(http.StatusBadRequest, codeEmptyMessage, "Cannot send an empty message")
		}
	}
	return invalidForm(errs...)
}

func prefixErrs(prefix string, errs []fieldErr) []fieldErr {
	out := make([]fieldErr, len(errs))
	for i, e := range errs {
		out[i] = e
		if e.code != emptyMessage {
			out[i].path = prefix + "." + e.path
		}
	}
	return out
}

func runes(s string) int { return utf8.RuneCountInString(s) }

func tooLong(path string, max int) fieldErr {
	return fieldErr{path, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", max)}
}

// validateMessage checks a message body against Discord's limits. partial
// is for edits, where every field is optional.
func validateMessage(body []byte, partial bool) []fieldErr {
	if len(body) == 0 || string(body) == "null" {
		if partial {
			return nil
		}
		return []fieldErr{{"", emptyMessage, ""}}
	}
	var m struct {
		Content         *string           `json:"content"`
		Embeds          []json.RawMessage `json:"embeds"`
		Components      []json.RawMessage `json:"components"`
		Flags           int64             `json:"flags"`
		Attachments     []json.RawMessage `json:"attachments"`
		StickerIDs      []string          `json:"sticker_ids"`
		Poll            json.RawMessage   `json:"poll"`
		AllowedMentions *struct {
			Parse []string `json:"parse"`
			Users []string `json:"users"`
			Roles []string `json:"roles"`
		} `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return []fieldErr{{"_root", "MODEL_TYPE_CONVERT", "Invalid JSON: " + err.Error()}}
	}
	var errs []fieldErr
	content := ""
	if m.Content != nil {
		content = *m.Content
	}
	if runes(content) > maxContent {
		errs = append(errs, tooLong("content", maxContent))
	}
	const allowedFlags = 1<<2 | 1<<6 | 1<<12 | 1<<15
	if m.Flags&^allowedFlags != 0 {
		errs = append(errs, fieldErr{"flags", "MESSAGE_FLAGS_INVALID", fmt.Sprintf("Flags %d cannot be set", m.Flags&^allowedFlags)})
	}
	errs = append(errs, validateEmbeds(m.Embeds)...)
	errs = append(errs, validateComponents(m.Components, m.Flags&(1<<15) != 0)...)
	if am := m.AllowedMentions; am != nil {
		for i, p := range am.Parse {
			if p != "users" && p != "roles" && p != "everyone" {
				errs = append(errs, fieldErr{fmt.Sprintf("allowed_mentions.parse.%d", i), "BASE_TYPE_CHOICES", "Value must be one of ('roles', 'users', 'everyone')."})
			}
			if (p == "users" && len(am.Users) > 0) || (p == "roles" && len(am.Roles) > 0) {
				errs = append(errs, fieldErr{"allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", "parse:[\"" + p + "\"] and " + p + ": [ids...] are mutually exclusive."})
			}
		}
	}
	if !partial && strings.TrimSpace(content) == "" && len(m.Embeds) == 0 && len(m.Components) == 0 &&
		len(m.Attachments) == 0 && len(m.StickerIDs) == 0 && (len(m.Poll) == 0 || string(m.Poll) == "null") {
		errs = append(errs, fieldErr{"", emptyMessage, ""})
	}
	return errs
}

func validateEmbeds(raw []json.RawMessage) []fieldErr {
	var errs []fieldErr
	if len(raw) > maxEmbeds {
		errs = append(errs, fieldErr{"embeds", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxEmbeds)})
	}
	total := 0
	for i, r := range raw {
		var e struct {
			Title       string `json:"title"`
			Description string `json:"description"`
			URL         string `json:"url"`
			Fields      []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"fields"`
			Footer *struct {
				Text string `json:"text"`
			} `json:"footer"`
			Author *struct {
				Name string `json:"name"`
				URL  string `json:"url"`
			} `json:"author"`
		}
		p := fmt.Sprintf("embeds.%d.", i)
		if err := json.Unmarshal(r, &e); err != nil {
			errs = append(errs, fieldErr{p[:len(p)-1], "MODEL_TYPE_CONVERT", err.Error()})
			continue
		}
		check := func(path, v string, max int) {
			total += runes(v)
			if runes(v) > max {
				errs = append(errs, tooLong(p+path, max))
			}
		}
		check("title", e.Title, maxEmbedTitle)
		check("description", e.Description, maxEmbedDescription)
		if e.URL != "" && !validURL(e.URL) {
			errs = append(errs, fieldErr{p + "url", "URL_TYPE_INVALID_URL", "Not a well formed URL."})
		}
		if len(e.Fields) > maxEmbedFields {
			errs = append(errs, fieldErr{p + "fields", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxEmbedFields)})
		}
		for j, f := range e.Fields {
			fp := fmt.Sprintf("fields.%d.", j)
			if f.Name == "" {
				errs = append(errs, fieldErr{p + fp + "name", "BASE_TYPE_REQUIRED", "This field is required"})
			}
			if f.Value == "" {
				errs = append(errs, fieldErr{p + fp + "value", "BASE_TYPE_REQUIRED", "This field is required"})
			}
			check(fp+"name", f.Name, maxFieldName)
			check(fp+"value", f.Value, maxFieldValue)
		}
		if e.Footer != nil {
			check("footer.text", e.Footer.Text, maxFooterText)
		}
		if e.Author != nil {
			check("author.name", e.Author.Name, maxAuthorName)
			if e.Author.URL != "" && !validURL(e.Author.URL) {
				errs = append(errs, fieldErr{p + "author.url", "URL_TYPE_INVALID_URL", "Not a well formed URL."})
			}
		}
	}
	if total > maxEmbedTotal {
		errs = append(errs, fieldErr{"embeds", "MAX_EMBED_SIZE_EXCEEDED", fmt.Sprintf("Embed size exceeds maximum size of %d", maxEmbedTotal)})
	}
	return errs
}

func validURL(u string) bool {
	return (strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")) && !strings.ContainsAny(u, " \n\t") && len(u) <= 2048
}

type wireComponent struct {
	Type       int               `json:"type"`
	CustomID   *string           `json:"custom_id"`
	Style      int               `json:"style"`
	Label      string            `json:"label"`
	URL        string            `json:"url"`
	Options    []json.RawMessage `json:"options"`
	Components []json.RawMessage `json:"components"`
}

func validateComponents(raw []json.RawMessage, v2 bool) []fieldErr {
	var errs []fieldErr
	if !v2 && len(raw) > maxRows {
		errs = append(errs, fieldErr{"components", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxRows)})
	}
	seen := map[string]bool{}
	var walk func(path string, raw []json.RawMessage, depth int)
	walk = func(path string, raw []json.RawMessage, depth int) {
		for i, r := range raw {
			p := fmt.Sprintf("%s.%d", path, i)
			var c wireComponent
			if err := json.Unmarshal(r, &c); err != nil {
				errs = append(errs, fieldErr{p, "MODEL_TYPE_CONVERT", err.Error()})
				continue
			}
			if c.CustomID != nil {
				id := *c.CustomID
				switch {
				case id == "":
					errs = append(errs, fieldErr{p + ".custom_id", "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."})
				case runes(id) > maxCustomID:
					errs = append(errs, tooLong(p+".custom_id", maxCustomID))
				case seen[id]:
					errs = append(errs, fieldErr{p + ".custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"})
				}
				seen[id] = true
			}
			switch c.Type {
			case 1: // action row
				if depth == 0 && len(c.Components) == 0 {
					errs = append(errs, fieldErr{p + ".components", "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."})
				}
				if len(c.Components) > maxRowItems {
					errs = append(errs, fieldErr{p + ".components", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxRowItems)})
				}
				walk(p+".components", c.Components, depth+1)
			case 2: // button
				if depth == 0 && !v2 {
					errs = append(errs, fieldErr{p, "UNION_TYPE_CHOICES", "Buttons must be inside an action row."})
				}
				if runes(c.Label) > maxButtonLabel {
					errs = append(errs, tooLong(p+".label", maxButtonLabel))
				}
				switch {
				case c.Style == 5: // link
					if c.URL == "" || !validURL(c.URL) {
						errs = append(errs, fieldErr{p + ".url", "URL_TYPE_INVALID_URL", "Not a well formed URL."})
					}
					if c.CustomID != nil {
						errs = append(errs, fieldErr{p + ".custom_id", "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED", "A link button cannot have a custom id."})
					}
				case c.Style == 6: // premium
				case c.Style >= 1 && c.Style <= 4:
					if c.CustomID == nil {
						errs = append(errs, fieldErr{p + ".custom_id", "BASE_TYPE_REQUIRED", "This field is required"})
					}
				default:
					errs = append(errs, fieldErr{p + ".style", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6}."})
				}
			case 3, 5, 6, 7, 8: // select menus
				if c.CustomID == nil {
					errs = append(errs, fieldErr{p + ".custom_id", "BASE_TYPE_REQUIRED", "This field is required"})
				}
				if len(c.Options) > 25 {
					errs = append(errs, fieldErr{p + ".options", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."})
				}
			default:
				if depth == 0 && !v2 {
					errs = append(errs, fieldErr{p + ".type", "UNION_TYPE_CHOICES", "Value must be an action row (1) at the top level."})
				}
				walk(p+".components", c.Components, depth+1)
			}
		}
	}
	walk("components", raw, 0)
	return errs
}

// validateChoices checks the data of an autocomplete result.
func validateChoices(data []byte) []fieldErr {
	var d struct {
		Choices *[]struct {
			Name  string          `json:"name"`
			Value json.RawMessage `json:"value"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return []fieldErr{{"_root", "MODEL_TYPE_CONVERT", err.Error()}}
	}
	if d.Choices == nil {
		return []fieldErr{{"choices", "BASE_TYPE_REQUIRED", "This field is required"}}
	}
	var errs []fieldErr
	if len(*d.Choices) > maxChoices {
		errs = append(errs, fieldErr{"choices", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxChoices)})
	}
	for i, c := range *d.Choices {
		p := fmt.Sprintf("choices.%d.", i)
		if n := runes(c.Name); n < 1 || n > maxChoiceName {
			errs = append(errs, fieldErr{p + "name", "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between 1 and %d in length.", maxChoiceName)})
		}
		var sv string
		if json.Unmarshal(c.Value, &sv) == nil {
			if n := runes(sv); n < 1 || n > maxChoiceValue {
				errs = append(errs, fieldErr{p + "value", "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between 1 and %d in length.", maxChoiceValue)})
			}
		} else if _, err := strconv.ParseFloat(string(c.Value), 64); err != nil {
			errs = append(errs, fieldErr{p + "value", "BASE_TYPE_REQUIRED", "This field is required"})
		}
	}
	return errs
}

var commandName = regexp.MustCompile(`^[-_'\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

// validateCommand checks one application command as created or
// overwritten; path prefixes the error paths.
func validateCommand(path string, c map[string]any) []fieldErr {
	var errs []fieldErr
	typ := 1
	if t, ok := c["type"].(float64); ok {
		typ = int(t)
	}
	name, _ := c["name"].(string)
	desc, _ := c["description"].(string)
	if typ == 1 {
		if !commandName.MatchString(name) || strings.ToLower(name) != name {
			errs = append(errs, fieldErr{path + "name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"})
		}
		if n := runes(desc); n < 1 || n > 100 {
			errs = append(errs, fieldErr{path + "description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."})
		}
	} else if n := runes(name); n < 1 || n > 32 {
		errs = append(errs, fieldErr{path + "name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."})
	}
	if v, ok := c["default_member_permissions"]; ok && v != nil {
		if s, ok := v.(string); !ok {
			errs = append(errs, fieldErr{path + "default_member_permissions", "BASE_TYPE_INVALID", "Must be a string of a permission bit set."})
		} else if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			errs = append(errs, fieldErr{path + "default_member_permissions", "BASE_TYPE_INVALID", "Must be a string of a permission bit set."})
		}
	}
	opts, _ := c["options"].([]any)
	errs = append(errs, validateOptions(path+"options.", opts)...)
	return errs
}

func validateOptions(path string, opts []any) []fieldErr {
	var errs []fieldErr
	if len(opts) > 25 {
		errs = append(errs, fieldErr{strings.TrimSuffix(path, "."), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."})
	}
	names := map[string]bool{}
	sawOptional := false
	for i, o := range opts {
		p := fmt.Sprintf("%s%d.", path, i)
		m, ok := o.(map[string]any)
		if !ok {
			errs = append(errs, fieldErr{p[:len(p)-1], "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"})
			continue
		}
		name, _ := m["name"].(string)
		desc, _ := m["description"].(string)
		typ, _ := m["type"].(float64)
		if !commandName.MatchString(name) || strings.ToLower(name) != name {
			errs = append(errs, fieldErr{p + "name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"})
		}
		if names[name] {
			errs = append(errs, fieldErr{p + "name", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique"})
		}
		names[name] = true
		if n := runes(desc); n < 1 || n > 100 {
			errs = append(errs, fieldErr{p + "description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."})
		}
		if typ < 1 || typ > 11 {
			errs = append(errs, fieldErr{p + "type", "BASE_TYPE_CHOICES", "Value must be one of 1..11."})
		}
		required, _ := m["required"].(bool)
		if typ == 1 || typ == 2 {
			sub, _ := m["options"].([]any)
			errs = append(errs, validateOptions(p+"options.", sub)...)
			continue
		}
		if required && sawOptional {
			errs = append(errs, fieldErr{p + "required", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options"})
		}
		if !required {
			sawOptional = true
		}
		choices, _ := m["choices"].([]any)
		if len(choices) > maxChoices {
			errs = append(errs, fieldErr{p + "choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."})
		}
		if auto, _ := m["autocomplete"].(bool); auto && len(choices) > 0 {
			errs = append(errs, fieldErr{p + "autocomplete", "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE", "Autocomplete cannot be set with choices"})
		}
		if minV, ok := m["min_value"].(float64); ok {
			if maxV, ok := m["max_value"].(float64); ok && minV > maxV {
				errs = append(errs, fieldErr{p + "min_value", "NUMBER_TYPE_MAX", "min_value must be at most max_value"})
			}
		}
		for _, k := range []string{"min_length", "max_length"} {
			if v, ok := m[k].(float64); ok && (v < 0 || v > 6000) {
				errs = append(errs, fieldErr{p + k, "NUMBER_TYPE_MAX", "Must be between 0 and 6000."})
			}
		}
	}
	return errs
}
