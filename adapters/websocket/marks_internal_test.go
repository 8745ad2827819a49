package websocket

import (
	"testing"

	"github.com/anyws/anyws"
	"github.com/stretchr/testify/require"
)

// TestParseClientHello: a ClientHello's claim and marks reach
// AttachOptions: marks absent (or null) stay nil (no list), an empty
// list stays a non-nil empty slice (a complete list: nothing received
// yet), and a revision 1 client's marks are ignored (the field is
// revision 2's); what is not a ClientHello is errHello.
func TestParseClientHello(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		hello  string
		rev    int
		resume string
		marks  []string
		err    error
	}{
		{hello: `{}`, rev: 2},
		{hello: `{"resume":"k:3"}`, rev: 2, resume: "k:3"},
		{hello: `{"resume":"k:3","marks":null}`, rev: 2, resume: "k:3"},
		{hello: `{"marks":[]}`, rev: 2, marks: []string{}},
		{hello: `{"resume":"k.n:7","marks":["AAAAAAAA12","BBBBBBBB3"]}`, rev: 2, resume: "k.n:7", marks: []string{"AAAAAAAA12", "BBBBBBBB3"}},
		{hello: `{"resume":"k:3","marks":["AAAAAAAA12"]}`, rev: 1, resume: "k:3"},
		{hello: `{"marks":[]}`, rev: 1},
		{hello: `not a hello`, rev: 2, err: errHello},
		{hello: `{"marks":"AAAAAAAA12"}`, rev: 2, err: errHello},
	} {
		var o anyws.AttachOptions
		err := parseClientHello([]byte(tc.hello), tc.rev, &o)
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, tc.hello)
			continue
		}
		require.NoError(t, err, tc.hello)
		require.True(t, o.Resumable, tc.hello)
		require.Equal(t, tc.resume, o.Resume, tc.hello)
		require.Equal(t, tc.marks == nil, o.Marks == nil, "%s (rev %d): marks %#v", tc.hello, tc.rev, o.Marks)
		require.Equal(t, tc.marks, o.Marks, tc.hello)
	}
}
