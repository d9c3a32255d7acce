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
	bin := binary(t, redisBin)
	dir := t.TempDir()
	var addr string
	startWithRetry(t, func(int) (*process, error) {
		port := freePort(t)
		addr = "127.0.0.1:" + strconv.Itoa(port)
		args := []string{
			"--port", strconv.Itoa(port),
			"--bind", "127.0.0.1",
			"--dir", dir,
			"--save", "",
			"--appendonly", "no",
			"--daemonize", "no",
			"--logfile", "", // stdout, captured in the log file
		}
		p := startProcess(t, "redis-server", filepath.Join(dir, "redis.log"), bin, args, nil)
		return p, p.waitReady(readyTimeout, func() error { return redisPing(addr) })
	})
	return addr
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
