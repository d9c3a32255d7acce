// Command benchserver is the minimal loopback HTTP server that
// scripts/bench.sh aims surge and vegeta at: it answers every request with
// 200 and two bytes, as fast as the machine allows.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		os.Exit(1)
	}
	// The chosen address goes to stdout so that the script can read it.
	fmt.Println(ln.Addr().String())
	err = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte("ok"))
	}))
	fmt.Fprintln(os.Stderr, "benchserver:", err)
	os.Exit(1)
}
