// Package sse is the one implementation of the Server-Sent Events wire
// format in anyws: the server adapters encode with it and the Go client
// decodes with it, so both sides agree byte for byte.
//
// Start with [AppendEvent] (writing) and [Parser] (reading). The parser
// follows the WHATWG HTML Standard, section "Server-sent events",
// "Interpreting an event stream", step by step: UTF-8 decoding with
// replacement, one leading BOM stripped, CRLF/LF/CR line endings, comments,
// "field: value" with one optional space, the event/data/id/retry fields,
// dispatch on a blank line, and an unterminated last event dropped at end
// of stream. An event read by [Parser] is what a browser's EventSource
// would deliver for the same bytes.
//
// Multi-line payloads are written as one "data:" line per payload line,
// which the reader joins back with LF. They are never joined with commas:
// crossws 0.4 writes such payloads as a single comma-joined line, which
// silently corrupts them. One consequence of the format is inherent and
// documented on [AppendEvent]: CR and CRLF line endings inside a payload
// come back as LF.
//
// Binary payloads follow the crossws convention of a base64 data URL, see
// [AppendBinaryData] and [DecodeBinaryData], or, for clients that ask,
// anyws's unambiguous [BinaryEvent] (see [BinaryEventsHeader]).
package sse
