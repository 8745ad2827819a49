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
	// claim (see LastEventIDHeader) and its data JSON (Hello) says
	// whether the connection got its earlier peer back.
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

// ClientParam is the query parameter with which anyws's own clients say
// they speak anyws's additions to the protocols (its value: the
// revision, ClientRevision). Over WebSocket it means the client opens
// with a ClientHello and expects a Hello, and both sides number their
// messages (see adapters/websocket's doc). Unmarked clients (crossws's,
// browsers' own WebSocket) get the plain protocols.
const (
	ClientParam    = "anyws"
	ClientRevision = "1"
	// ClientRevisionMarks (2) is revision 1 plus topic marks: when the
	// Hello says Marks, every message after it starts with its mark and
	// a newline (see Marks).
	ClientRevisionMarks = "2"
)

// ResumableHeader, with the value Resumable, is on the response of an
// event stream whose peer can be resumed: the hello says so too, but a
// client may want to know before it has read the hello (to number its
// first POST, or to say goodbye when it closes at once).
const (
	ResumableHeader = "X-Anyws-Resumable"
	Resumable       = "1"
)

// Hello is what a server says first on a connection that can be resumed:
// the data of an SSE HelloEvent, or the first message of a marked
// WebSocket connection.
type Hello struct {
	// ID is the claim the client sends to resume this peer:
	// "<secret>:<number of the last message before this connection>"
	// (the client adds one per message it receives). Over SSE it is the
	// event's id field instead; over WebSocket it is empty when the
	// server cannot resume peers (recovery off).
	ID string `json:"id,omitempty"`
	// Resumed says the connection got its earlier peer back; Reason says
	// why not ("unknown", "gap", "refused") when the client asked.
	Resumed bool   `json:"resumed"`
	Reason  string `json:"reason,omitempty"`
	// Received is the number of the client's last message the server
	// delivered: a client sends again those after it, numbered as before.
	Received uint64 `json:"received"`
	// Recovered says the peer's node was gone (killed, not on the
	// broker) and this node rebuilt the peer from its record in the
	// broker (Positions): topic messages after the client's positions
	// follow, but direct messages the old node had not written are lost,
	// and so are the client's messages it had not acknowledged (a
	// client drops them rather than send them twice: at most once).
	// Received then starts the client's numbering again.
	Recovered bool `json:"recovered,omitempty"`
	// Gaps are the topics a recovered peer could not get back what it
	// missed of (the history no longer covers it, or the claim did not
	// say where the client stood): they continue live.
	Gaps []string `json:"gaps,omitempty"`
	// Mended says the client had missed more than the server kept for
	// it: its topics' messages came again from the history (after its
	// marks), but direct messages among what was not kept are lost.
	Mended bool `json:"mended,omitempty"`
	// Marks says every message carries its topic position (see Marks):
	// an SSE id's suffix, a marked WebSocket message's first line.
	Marks bool `json:"marks,omitempty"`
}

// ClientHello is a marked WebSocket client's first message.
type ClientHello struct {
	// Resume is the claim (Hello.ID plus the messages received since),
	// empty for a new peer.
	Resume string `json:"resume,omitempty"`
	// Marks are the last topic positions the client received, one per
	// mark tag (see Marks); present, even empty, when the client keeps
	// them (revision 2), so a topic it has no mark of got nothing yet.
	Marks *[]string `json:"marks,omitempty"`
	// Sent is the number of the last message the client numbered (see
	// SentHeader).
	Sent uint64 `json:"sent,omitempty"`
}

// SentHeader (anyws), on a stream GET that claims a peer, is the number
// of the last uplink message the client numbered. A peer rebuilt after
// its node died starts its count there: the dead node may have
// delivered any of them, and a resend still in flight (a POST retried
// after its answer was lost) must not deliver one twice.
const SentHeader = "X-Anyws-Sent"
