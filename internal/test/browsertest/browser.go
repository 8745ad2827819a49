package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"
)

// ExecPath is the Chromium binary the tests run: Debian's chromium
// package, which `make deps` installs.
const ExecPath = "/usr/bin/chromium"

// TabTimeout bounds everything one tab does. It is generous: a shared CI
// machine under -race must not fail a correct test.
const TabTimeout = 60 * time.Second

// Browser is one running Chromium with a fresh profile.
type Browser struct {
	ctx     context.Context // the browser's own context: tabs derive from it
	dir     string
	cancels []context.CancelFunc
}

// shared is the browser of Tab, started by the first call.
var shared struct {
	once sync.Once
	b    *Browser
	err  error
}

// Main is a TestMain for packages with browser tests: it runs the tests,
// stops the browser if one was started, and then fails on leaked
// goroutines, as goleak.VerifyTestMain does.
func Main(m *testing.M) {
	code := m.Run()
	stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Start starts a browser of the test's own, stopped when the test ends:
// for packages whose TestMain is not Main (the shared browser would
// outlive their goroutine-leak check).
func Start(t *testing.T) *Browser {
	t.Helper()
	b, err := launch()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.stop)
	return b
}

// launch starts Chromium and waits until it answers.
func launch() (*Browser, error) {
	if _, err := os.Stat(ExecPath); err != nil {
		return nil, fmt.Errorf("browsertest: %s not found (%v): run `make deps` to install Chromium (Debian package chromium)", ExecPath, err)
	}
	dir, err := os.MkdirTemp("", "anyws-chromium-")
	if err != nil {
		return nil, fmt.Errorf("browsertest: profile directory: %w", err)
	}
	b := &Browser{dir: dir}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ExecPath),
		chromedp.UserDataDir(dir), // a fresh profile
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		// The HTTP/2 tests serve TLS with httptest's self-signed
		// certificate: this is a test-only browser.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.WindowSize(1024, 768),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	b.cancels = []context.CancelFunc{cancelBrowser, cancelAlloc}
	// The first Run's context is the browser's lifetime, so it cannot
	// carry the start's timeout: a timer cancels a start that hangs.
	hung := time.AfterFunc(TabTimeout, cancelBrowser)
	_, err = chromedp.Run(bctx, nop)
	hung.Stop()
	if err != nil {
		b.stop()
		return nil, fmt.Errorf("browsertest: starting %s: %w", ExecPath, err)
	}
	b.ctx = bctx
	return b, nil
}

func (b *Browser) stop() {
	for _, cancel := range b.cancels {
		cancel() // closes the browser and waits for it to exit
	}
	_ = os.RemoveAll(b.dir)
}

func stop() {
	if shared.b != nil {
		shared.b.stop()
	}
}

// Tab opens a new tab in the browser shared by the package's tests (see
// Main) and returns its context, which ends after TabTimeout; the tab is
// closed when the test ends. The page's console output and uncaught
// exceptions go to the test log.
func Tab(t *testing.T) context.Context {
	t.Helper()
	shared.once.Do(func() { shared.b, shared.err = launch() })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.b.Tab(t)
}

// Tab opens a new tab in b, as the package-level Tab does.
func (b *Browser) Tab(t *testing.T) context.Context {
	t.Helper()
	bctx := b.ctx
	logs := &testLog{t: t}
	tctx, closeTab := chromedp.NewContext(bctx, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, argText(a))
			}
			logs.logf("console.%s: %s", ev.Type, strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			logs.logf("page exception: %s", (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		}
	}))
	t.Cleanup(func() {
		logs.stop()
		closeTab()
	})
	if _, err := chromedp.Run(tctx, nop); err != nil { // opens the tab
		t.Fatalf("browsertest: opening a tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tctx, TabTimeout)
	t.Cleanup(cancel)
	return ctx
}

// Navigate loads url in the tab and waits for its load event (module
// scripts have run by then).
func Navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("browsertest: navigate to %s: %v", url, err)
	}
}

// Eval evaluates a JavaScript expression in the tab, awaits it if it is a
// promise, and stores its JSON value in out (which may be nil).
func Eval(t *testing.T, ctx context.Context, expr string, out any) {
	t.Helper()
	if err := EvalErr(ctx, expr, out); err != nil {
		t.Fatalf("browsertest: %v\nexpression: %s", err, expr)
	}
}

// EvalErr is Eval returning the error, for use off the test goroutine.
func EvalErr(ctx context.Context, expr string, out any) error {
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("evaluation did not finish before its deadline (a tab's is %s): %w", TabTimeout, err)
		}
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// Screenshot captures the tab's viewport as PNG.
func Screenshot(t *testing.T, ctx context.Context) []byte {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("browsertest: screenshot: %v", err)
	}
	return png
}

// nop is an action that does nothing: running it opens the browser or
// the tab of a context.
func nop(context.Context, *chromedp.Target) (chromedp.Void, error) { return chromedp.Void{}, nil }

func argText(a *runtime.RemoteObject) string {
	if len(a.Value) > 0 {
		return string(a.Value)
	}
	if a.Description != "" {
		return a.Description
	}
	return string(a.Type)
}

// testLog forwards page logs to the test until it ends: testing.T must
// not be used after its test returned.
type testLog struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (l *testLog) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Logf(format, args...)
	}
}

func (l *testLog) stop() {
	l.mu.Lock()
	l.done = true
	l.mu.Unlock()
}

// WaitDOM waits until the JavaScript expression cond is truthy, checking
// it whenever the page's DOM changes, and stores its JSON value in out
// (which may be nil).
func WaitDOM(t *testing.T, ctx context.Context, cond string, out any) {
	t.Helper()
	Eval(t, ctx, `new Promise((resolve) => {
  const check = () => {
    const v = (`+cond+`);
    if (!v) return false;
    obs.disconnect();
    resolve(v);
    return true;
  };
  const obs = new MutationObserver(check);
  if (!check()) obs.observe(document.documentElement, { subtree: true, childList: true, characterData: true, attributes: true });
})`, out)
}
