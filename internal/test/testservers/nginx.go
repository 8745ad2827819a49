package testservers

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// nginxMain is the main configuration around a test's http block: in the
// foreground, one process (master_process off, so stopping it stops
// everything), the pid file, temp files and log in the test's directory,
// never the system's.
const nginxMain = `daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log stderr notice;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
%[2]s
}
`

// Nginx starts Debian's nginx on a free loopback port. conf returns the
// content of the http block for that port: its server must listen on
// 127.0.0.1:port. The server is stopped at the test's cleanup.
func Nginx(t testing.TB, conf func(port int) string) *Server {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	return start(t, "nginx-light", "nginx", func(port int) []string {
		if err := os.WriteFile(path, fmt.Appendf(nil, nginxMain, dir, conf(port)), 0o644); err != nil {
			t.Errorf("testservers: write %s: %v", path, err)
		}
		// -e stderr: nginx opens its compiled-in error log before it
		// reads the configuration, unless told otherwise.
		return []string{"-p", dir + "/", "-c", path, "-e", "stderr"}
	}, pingTCP)
}

// pingTCP succeeds once s's port accepts connections.
func pingTCP(s *Server) error {
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		return err
	}
	return c.Close()
}
