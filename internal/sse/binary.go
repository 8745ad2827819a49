package sse

import (
	"bytes"
	"encoding/base64"
	"fmt"
)

// BinaryPrefix starts the data of an event that carries a binary payload.
// SSE data is text, so crossws sends binary messages as a base64 data URL;
// anyws uses the same convention to interoperate with crossws clients.
const BinaryPrefix = "data:application/octet-stream;base64,"

// AppendBinaryData appends the event data for a binary payload:
// [BinaryPrefix] followed by payload in standard base64 with padding.
// Put the result in [Event.Data].
func AppendBinaryData(dst, payload []byte) []byte {
	dst = append(dst, BinaryPrefix...)
	return base64.StdEncoding.AppendEncode(dst, payload)
}

// DecodeBinaryData reports whether data is a binary payload written by
// [AppendBinaryData] and, if so, decodes it. Data without [BinaryPrefix]
// is text: it returns (nil, false, nil). A prefixed payload that is not
// valid base64 returns ok true and an error.
func DecodeBinaryData(data []byte) (payload []byte, ok bool, err error) {
	enc, ok := bytes.CutPrefix(data, []byte(BinaryPrefix))
	if !ok {
		return nil, false, nil
	}
	payload, err = base64.StdEncoding.AppendDecode(make([]byte, 0, base64.StdEncoding.DecodedLen(len(enc))), enc)
	if err != nil {
		return nil, true, fmt.Errorf("sse: binary data: %w", err)
	}
	return payload, true, nil
}
