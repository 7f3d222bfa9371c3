// Package discordtest is a fake Discord for tests: the REST API and the
// gateway websocket, served on 127.0.0.1 and driven by the real discordgo
// v0.29.0 client. Its shape copies net/http/httptest: [NewServer] starts
// it, t.Cleanup closes it, and it works with no configuration.
//
// It speaks just enough Discord for a slash-command bot, with payloads
// shaped as in Discord's API documentation, records every request, and
// injects failures. It leaves the bot's behaviour to the bot's tests: it
// checks Discord's own rules (limits, acknowledgement deadline, intents)
// but asserts nothing about replies.
//
// # Wiring a session
//
//	srv := discordtest.NewServer(t)
//	s, _ := discordgo.New("Bot " + srv.Token)
//	s.Client = srv.Client() // https://discord.com/... goes to the fake
//	if err := s.Open(); err != nil { ... }
//	t.Cleanup(func() { s.Close() }) // registered after NewServer: runs first
//	ctx := t.Context()
//	if err := srv.WaitReady(ctx); err != nil { ... }
//
// discordgo's Endpoint* variables are never changed. GET /api/v9/gateway
// answers with [Server.GatewayURL], so the websocket comes to the fake too.
// A bot configured with a REST base URL (DISCORD_API_BASE) uses
// [Server.URL].
//
// # Gateway
//
// HELLO (heartbeat interval [DefaultHeartbeatInterval], see
// [WithHeartbeatInterval]), IDENTIFY -> READY (the bot user, application
// id, session_id, resume_gateway_url) and GUILD_CREATE for the default
// guild when the GUILDS intent is set, heartbeat ACKs, RESUME -> replay of
// missed events -> RESUMED, and sequence numbers. IDENTIFY payloads are
// recorded ([Server.Identifies]) with their intents. Privileged intents are
// refused with close code 4014 unless allowed by [WithPrivilegedIntents].
// A client close with 1000 or 1001 ends the session, as on Discord.
//
// # Injecting events
//
// [Server.Interaction] dispatches INTERACTION_CREATE for a [SlashCommand],
// an [Autocomplete] or a [ButtonClick], and returns an [Interaction] with
// the ID and token the answer will use and the dispatch time. Options are
// built with [String], [Int], [Number], [Bool] and [Focused]; [From] says
// who (user, member permissions) and where (guild channel or DM).
// [Server.Message] dispatches MESSAGE_CREATE for a [MessageCreate]
// (content, mentions of the bot, a bot author).
//
//	in := srv.Interaction(discordtest.SlashCommand{
//		Name:    "ask",
//		Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.String("question", "why?")},
//		From:    discordtest.From{Permissions: discordgo.PermissionManageGuild},
//	})
//	req, reply, err := srv.WaitInteractionReply(ctx, in)
//	latency := req.Time.Sub(in.Dispatched)
//
// # REST
//
// Served and recorded (see the Route constants): the gateway URL, users/@me,
// DM channel creation, application commands (global and guild; PUT stores
// what GET returns), interaction callbacks, @original and follow-ups,
// channel messages and typing. Unknown routes answer 404 with a Discord
// error body and are logged. Discord's rules are enforced with its error
// codes: message limits (content 2000, 10 embeds, 6000 embed characters,
// 25 fields, 5 rows of 5 components, custom_id 100, unique custom_ids),
// empty messages (50006), a second acknowledgement (40060), a callback
// after the 3-second deadline or for an unknown interaction (10062),
// webhooks before acknowledgement (10015), command definitions (names,
// descriptions, required options first).
//
// Every request is kept as a [Request] (Authorization redacted) once
// answered. [Server.WaitRequest], [Server.WaitCallback],
// [Server.WaitInteractionReply] and [Server.WaitMessageReply] wait for
// them; [Request.Reply] decodes any message body, components included,
// which discordgo's own request types cannot be decoded into.
//
// # Faults
//
// All are safe to call while the bot runs: [Server.FailNext] (429 route or
// global with the headers discordgo reads, 5xx, any status, delays, for the
// next N requests matching a path prefix), [Server.RateLimitNext],
// [Server.SetDelay], [Server.ExpireInteraction] (10062),
// [Server.RejectToken] (REST 401 and gateway 4004), [Server.DropGateway],
// [Server.CloseGateway], [Server.Reconnect] (op 7),
// [Server.InvalidSession] (op 9) and [Server.SetHeartbeatAck]. Call
// [Server.WaitReady] before each gateway fault: a connection closed while
// discordgo's Open is still finishing trips a discordgo race, and so can a
// heartbeat tick near the fault, so keep the default heartbeat interval in
// tests that drop or close the gateway (see [DefaultHeartbeatInterval]).
// [Server.Forget] drops records between batches of a long run.
//
// # What discordgo v0.29.0 does with them
//
//   - 429: it sleeps for retry_after and retries, without limit.
//   - 502: it retries up to Session.MaxRestRetries (3) times; 500 and 503
//     come back as a *discordgo.RESTError.
//   - A dropped connection: it closes (waiting a second), reconnects and
//     resumes with the cached gateway URL (it ignores resume_gateway_url).
//   - Op 7: it closes with 1012 and resumes. Op 9: it identifies again on
//     the same connection.
//   - Close 4004 while running: it logs the error and reconnects forever,
//     with a growing wait; only Open's return value shows the code (a
//     *websocket.CloseError with Code 4004). A bot must detect an invalid
//     token itself; see [Server.CloseGateway].
package discordtest
