package sse

// The names of crossws's SSE protocol, which anyws speaks so that
// crossws's WebSocketSSE client works against anyws servers and anyws's
// clients against crossws servers, and anyws's own additions. Server and
// clients take them from here.
const (
	// TokenHeader carries a bidirectional stream's uplink token: in the
	// stream's response headers and in every uplink POST.
	TokenHeader = "X-Crossws-Id"
	// TokenEvent is the event whose data is the uplink token.
	TokenEvent = "crossws-id"
	// MessageEvent carries one message (binary ones as a BinaryPrefix
	// data URL).
	MessageEvent = "message"
	// CloseEvent carries a server's close as JSON {"code":…,"reason":…},
	// which crossws's client turns into its onclose.
	CloseEvent = "close"

	// HelloEvent (anyws) opens a resumable stream: its id is the resume
	// claim (see LastEventIDHeader) and its data JSON
	// {"resumed":bool,"reason":"…"} says whether the connection got its
	// earlier peer back.
	HelloEvent = "anyws"
	// LastEventIDHeader is how a client claims its earlier peer: the last
	// id it received, "<secret>:<sequence number>". Browsers' EventSource
	// send it by themselves when they reconnect.
	LastEventIDHeader = "Last-Event-Id"
	// SeqHeader (anyws) numbers a per-message uplink POST (1, 2, 3, … per
	// peer), so a resent POST is delivered once. The framed uplink numbers
	// its events with their id field instead.
	SeqHeader = "X-Anyws-Seq"
	// LeaveHeader (anyws) on an uplink POST says the client is leaving:
	// its value is the close code, the body the reason. The peer closes
	// at once instead of waiting to be resumed.
	LeaveHeader = "X-Anyws-Leave"
)
