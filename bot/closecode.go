package bot

import (
	"reflect"
	"unsafe"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// discordgo v0.29.0 reads the gateway's close frame and throws its code
// away: after a close on a running connection (4004 Authentication failed
// included) it only emits Disconnect. Only Open's return value carries the
// code, for closes during the handshake. To stop on an invalid token rather
// than reconnect forever, the bot installs its own close handler on each
// new websocket. The connection is in an unexported field, so wsConnOf
// reads it by reflection; it does so from the Connect event handler, which
// discordgo runs (with SyncEvents) inside Open, before it starts the
// goroutine that reads the connection, so nothing races. go.mod pins
// discordgo; if a version renames the field, wsConnOf returns nil, the bot
// logs a warning and falls back to probing GET /users/@me after each
// unexpected disconnect, which catches a revoked token too.

// wsConnOf returns the session's current gateway websocket, or nil when
// discordgo's layout is not the one this file knows.
func wsConnOf(s *discordgo.Session) *websocket.Conn {
	if s == nil {
		return nil
	}
	f := reflect.ValueOf(s).Elem().FieldByName("wsConn")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*websocket.Conn]() {
		return nil
	}
	return *(**websocket.Conn)(unsafe.Pointer(f.UnsafeAddr()))
}

// onConnect hooks the new connection's close frames: the code of the next
// close is kept for onDisconnect. Like discordgo's own handler it does not
// echo the close frame.
func (b *Bot) onConnect(s *discordgo.Session, _ *discordgo.Connect) {
	b.lastClose.Store(0)
	c := wsConnOf(s)
	if c == nil {
		if b.closeHookWarned.CompareAndSwap(false, true) {
			b.log.Warn("cannot read gateway close codes with this discordgo version; an invalid token is detected through REST only")
		}
		return
	}
	c.SetCloseHandler(func(code int, text string) error {
		b.lastClose.Store(int32(code))
		return nil
	})
}
