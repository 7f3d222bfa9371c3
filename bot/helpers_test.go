package bot

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./bot -run %s -update rewrites it)\ngot:\n%s\nwant:\n%s", path, t.Name(), got, want)
	}
}

// mustJSON marshals v indented, as golden files store it.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(data, '\n')
}

// wireMessage is the part of any message payload (callback data, webhook
// edit, channel message) whose limits and mentions tests check.
type wireMessage struct {
	Content         *string         `json:"content"`
	Embeds          []wireEmbed     `json:"embeds"`
	Components      []wireRow       `json:"components"`
	AllowedMentions json.RawMessage `json:"allowed_mentions"`
	Flags           int             `json:"flags"`
}

type wireEmbed struct {
	Title       string `json:"title"`
	URL         string `json:"url"`
	Description string `json:"description"`
	Footer      *struct {
		Text string `json:"text"`
	} `json:"footer"`
	Fields []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"fields"`
}

type wireRow struct {
	Type       int `json:"type"`
	Components []struct {
		Type     int    `json:"type"`
		Label    string `json:"label"`
		CustomID string `json:"custom_id"`
		Disabled bool   `json:"disabled"`
	} `json:"components"`
}

// limitProblems lists every way a message payload breaks Discord's limits
// or lets a mention through; nil means none.
func limitProblems(payload []byte) []string {
	var m wireMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		return []string{"unmarshal: " + err.Error()}
	}
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if !mentionsOff(m.AllowedMentions) {
		bad("allowed_mentions = %s, want {\"parse\":[]...}", m.AllowedMentions)
	}
	if m.Content != nil && textLen(*m.Content) > maxContent {
		bad("content has %d characters", textLen(*m.Content))
	}
	if len(m.Embeds) > maxEmbeds {
		bad("%d embeds", len(m.Embeds))
	}
	total := 0
	for k, e := range m.Embeds {
		total += textLen(e.Title) + textLen(e.Description)
		if textLen(e.Title) > maxEmbedTitle {
			bad("embed %d title has %d characters", k, textLen(e.Title))
		}
		if textLen(e.Description) > maxEmbedDesc {
			bad("embed %d description has %d characters", k, textLen(e.Description))
		}
		if e.Footer != nil {
			total += textLen(e.Footer.Text)
			if textLen(e.Footer.Text) > maxFooter {
				bad("embed %d footer has %d characters", k, textLen(e.Footer.Text))
			}
		}
		if len(e.Fields) > maxFields {
			bad("embed %d has %d fields", k, len(e.Fields))
		}
		for _, f := range e.Fields {
			total += textLen(f.Name) + textLen(f.Value)
			if textLen(f.Value) > maxFieldValue || textLen(f.Name) > maxFieldName {
				bad("embed %d field %q too long", k, f.Name)
			}
		}
		if e.URL != "" && linkURL(e.URL) != e.URL {
			bad("embed %d url %q is not a valid link", k, e.URL)
		}
	}
	if total > maxEmbedsTotal {
		bad("embeds hold %d characters in all", total)
	}
	if len(m.Components) > 5 {
		bad("%d action rows", len(m.Components))
	}
	ids := map[string]bool{}
	for _, row := range m.Components {
		if len(row.Components) > 5 {
			bad("action row with %d components", len(row.Components))
		}
		for _, c := range row.Components {
			if textLen(c.CustomID) > maxCustomID || c.CustomID == "" {
				bad("custom_id %q has %d characters", c.CustomID, textLen(c.CustomID))
			}
			if ids[c.CustomID] {
				bad("custom_id %q used twice", c.CustomID)
			}
			ids[c.CustomID] = true
			if textLen(c.Label) > maxButtonLabel {
				bad("button label %q too long", c.Label)
			}
		}
	}
	return out
}

// mentionsOff reports whether raw is an allowed_mentions object with an
// explicit empty parse list and no users or roles.
func mentionsOff(raw json.RawMessage) bool {
	var am struct {
		Parse *[]string `json:"parse"`
		Users []string  `json:"users"`
		Roles []string  `json:"roles"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &am) != nil {
		return false
	}
	return am.Parse != nil && len(*am.Parse) == 0 && len(am.Users) == 0 && len(am.Roles) == 0
}

// callbackData is the JSON body of the callback carrying r as a new message.
func callbackData(t *testing.T, r reply) []byte {
	t.Helper()
	data, err := json.Marshal(callback(newMessage, r).Data)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// pingable reports text that would render as a mention.
func pingable(s string) bool {
	return strings.Contains(s, "@everyone") || strings.Contains(s, "@here") ||
		strings.Contains(s, "<@") || strings.Contains(s, "<#")
}
