package routers_test

// The bodies of these functions are the README's "Mounting on routers"
// (readme_test.go checks that every snippet there appears here verbatim),
// and routers_test.go runs every transport through each of them.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/anyws/anyws"
	"github.com/anyws/anyws/adapters/auto"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"
	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
)

// userKey is where the application's auth middleware stores the user.
type userKey struct{}

// chatHooks read what a router's middleware stored: the user, from the
// request's context, and the room, a path parameter.
func chatHooks() anyws.Hooks {
	return anyws.Hooks{
		Upgrade: func(u *anyws.Handshake) error {
			user, _ := u.Request.Context().Value(userKey{}).(string)
			if user == "" {
				return anyws.Reject(http.StatusUnauthorized, "log in first")
			}
			u.Set("user", user)
			u.Set("room", u.Request.PathValue("room"))
			// The namespace defaults to the URL path: each room is its
			// own, so Publish from a peer reaches its room only.
			return nil
		},
		Open: func(p *anyws.Peer) {
			user, _ := anyws.Value[string](p, "user")
			room, _ := anyws.Value[string](p, "room")
			p.Subscribe("chat")
			_ = p.Send(fmt.Sprintf("welcome %s to %s (%s)", user, room, p.Namespace()))
		},
		Message: func(p *anyws.Peer, m anyws.Message) {
			_ = p.Publish("chat", m.Text())
		},
	}
}

// auth is the application's net/http middleware: it stores the user in
// the request's context (a real one checks a session cookie or a token).
func auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), userKey{}, r.Header.Get("X-User"))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func mountServeMux(hub *anyws.Hub) http.Handler {
	ws := auto.New(hub, nil)
	mux := http.NewServeMux()
	// No method in the pattern: GET (WebSocket, SSE) and POST (the SSE
	// uplink) reach the same handler. {room} is in r.PathValue.
	mux.Handle("/rooms/{room}", ws)
	return logRequests(auth(mux))
}

func mountChi(hub *anyws.Hub) http.Handler {
	ws := auto.New(hub, nil)
	r := chi.NewRouter()
	r.Use(chimw.RequestID, chimw.Logger, chimw.Recoverer, chimw.Compress(5))
	r.Use(chimw.Timeout(time.Minute)) // ends with the handler: a hijacked stream outlives it
	r.Use(auth)
	r.Route("/chat", func(r chi.Router) {
		// chi keeps {room} in its own route context: copy it where the
		// hooks read it.
		r.Handle("/rooms/{room}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.SetPathValue("room", chi.URLParam(r, "room"))
			ws.ServeHTTP(w, r)
		}))
	})
	return r
}

func mountGin(hub *anyws.Hub) http.Handler {
	ws := auto.New(hub, nil)
	r := gin.New()
	r.Use(gin.Logger(), gin.Recovery())
	r.Use(func(c *gin.Context) { c.Set("user", c.GetHeader("X-User")) }) // the application's auth
	serve := func(c *gin.Context) {
		// gin keeps its values and parameters in *gin.Context: copy
		// what the hooks need into the request.
		ctx := context.WithValue(c.Request.Context(), userKey{}, c.GetString("user"))
		req := c.Request.WithContext(ctx)
		req.SetPathValue("room", c.Param("room"))
		ws.ServeHTTP(c.Writer, req)
	}
	rooms := r.Group("/chat/rooms")
	rooms.GET("/:room", serve)  // WebSocket and SSE
	rooms.POST("/:room", serve) // the SSE uplink
	return r
}

func mountEcho(hub *anyws.Hub) http.Handler {
	ws := auto.New(hub, nil)
	e := echo.New()
	e.Use(echomw.RequestID(), echomw.RequestLogger(), echomw.Recover(), echomw.Gzip())
	e.Use(echomw.ContextTimeout(time.Minute)) // ends with the handler: a hijacked stream outlives it
	e.Use(echo.WrapMiddleware(auth))
	serve := func(c echo.Context) error {
		req := c.Request()
		req.SetPathValue("room", c.Param("room"))
		ws.ServeHTTP(c.Response(), req)
		return nil
	}
	e.Match([]string{http.MethodGet, http.MethodPost}, "/chat/rooms/:room", serve)
	return e
}

// logRequests is a net/http logging middleware. Its writer has Unwrap,
// so http.ResponseController (which anyws uses to hijack, flush and set
// deadlines) reaches the server's writer through it.
func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		slog.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
