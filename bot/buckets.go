package bot

import (
	"reflect"
	"unsafe"

	"github.com/bwmarrin/discordgo"
)

// discordgo v0.29.0 keys its REST rate-limit buckets by route, and for an
// interaction's callback (POST /interactions/{id}/{token}/callback) and
// follow-ups (POST /webhooks/{app}/{token}) the route holds the
// interaction's ID and token. Every interaction so leaves buckets in the
// session's RateLimiter that are never used again and never removed: a
// few hundred bytes per question, for as long as the bot runs (found by
// TestAskSequence). Once an interaction is answered the bot deletes its
// buckets. The map is an unexported field, read by reflection as in
// closecode.go; go.mod pins discordgo, and if a version renames the field
// bucketMap returns nil and the bot logs a warning once and keeps the
// buckets (which is only the leak back).

// bucketMap returns the RateLimiter's bucket map, or nil when discordgo's
// layout is not the one this file knows.
func bucketMap(rl *discordgo.RateLimiter) map[string]*discordgo.Bucket {
	if rl == nil {
		return nil
	}
	f := reflect.ValueOf(rl).Elem().FieldByName("buckets")
	if !f.IsValid() || f.Type() != reflect.TypeFor[map[string]*discordgo.Bucket]() {
		return nil
	}
	return *(*map[string]*discordgo.Bucket)(unsafe.Pointer(f.UnsafeAddr()))
}

// interactionBuckets are the bucket keys discordgo uses for i's callback
// and follow-ups. (Edits of @original share one bucket for all
// interactions, which needs no cleaning.)
func interactionBuckets(i *discordgo.Interaction) []string {
	return []string{
		discordgo.EndpointInteractionResponse(i.ID, i.Token),
		discordgo.EndpointWebhookToken(i.AppID, i.Token),
	}
}

// forgetBuckets deletes the rate-limit buckets of an answered interaction.
func (b *Bot) forgetBuckets(i *discordgo.Interaction) {
	rl := b.s.Ratelimiter
	m := bucketMap(rl)
	if m == nil {
		if rl != nil && b.bucketsWarned.CompareAndSwap(false, true) {
			b.log.Warn("cannot clean discordgo's rate-limit buckets with this discordgo version; memory grows a little with every interaction")
		}
		return
	}
	keys := interactionBuckets(i)
	rl.Lock()
	defer rl.Unlock()
	for _, k := range keys {
		delete(m, k)
	}
}
