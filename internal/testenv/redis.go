package testenv

import (
	"bufio"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Redis starts a redis-server without persistence on a free 127.0.0.1 port,
// waits until it answers PING and returns its address ("127.0.0.1:PORT").
func Redis(t testing.TB) string {
	t.Helper()
	return StartRedis(t).Addr
}

// RedisServer is a running redis-server, killed when the test ends.
type RedisServer struct {
	// Addr is "127.0.0.1:PORT".
	Addr string

	daemon
}

// StartRedis is Redis for tests that also stop the server (outage tests).
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	bin := binary(t, redisBin)
	dir := t.TempDir()
	s := &RedisServer{daemon: daemon{t: t, name: "redis-server", bin: bin, log: filepath.Join(dir, "redis.log")}}
	s.probe = func() error { return redisPing(s.Addr) }
	s.proc = startWithRetry(t, func(int) (*process, error) {
		port := freePort(t)
		s.Addr = "127.0.0.1:" + strconv.Itoa(port)
		s.args = []string{
			"--port", strconv.Itoa(port),
			"--bind", "127.0.0.1",
			"--dir", dir,
			"--save", "",
			"--appendonly", "no",
			"--daemonize", "no",
			"--logfile", "", // stdout, captured in the log file
		}
		p := startProcess(t, "redis-server", s.log, bin, s.args, nil)
		return p, p.waitReady(readyTimeout, s.probe)
	})
	return s
}

// redisPing sends PING in RESP and expects +PONG; a server still loading its
// dataset answers -LOADING and is not ready yet.
func redisPing(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}
