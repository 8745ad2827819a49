package auto

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/anyws/anyws/client/js"
)

// ClientFile is the JavaScript client's file name. A Handler serves the
// client for a GET whose path ends in "/anyws.js": mounted on a subtree
// ("/_ws/") that is <mount>/anyws.js; mounted on one path, serve it with
// [Client] on a path of your choice.
const ClientFile = "anyws.js"

// ClientSource is the JavaScript client, an ES module with no
// dependencies: the anyws.js of the npm package @anyws/client (client/js
// in the repository), byte for byte. Write it to a file if you do not want
// the Handler to serve it; a bundler's users install the package instead.
var ClientSource = js.Source

var clientETag = func() string {
	sum := sha256.Sum256([]byte(ClientSource))
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// Client returns a handler that serves the JavaScript client on any path,
// for applications that mount the Handler on a single path:
//
//	mux.Handle("/_ws", auto.New(hub, nil))
//	mux.Handle("/anyws.js", auto.Client())
func Client() http.Handler { return http.HandlerFunc(serveClient) }

// serveClient serves ClientSource with an ETag, so browsers revalidate
// it cheaply and pick up a new version as soon as the server has one.
func serveClient(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", clientETag)
	http.ServeContent(w, r, ClientFile, time.Time{}, bytes.NewReader([]byte(ClientSource)))
}
