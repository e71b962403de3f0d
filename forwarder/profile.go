package main

// FORWARDER_PPROF=<loopback host:port> serves Go's profiles (net/http/pprof) there, for the benchmark to show
// where the forwarder's CPU goes. Off unless set; anything but a loopback address is refused, since the
// profiles are unauthenticated.

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
)

func serveProfiles(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("FORWARDER_PPROF %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("FORWARDER_PPROF %q: only a loopback address (127.0.0.1, ::1)", addr)
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("FORWARDER_PPROF %q: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	go func() {
		log.Printf("profiles on http://%s/debug/pprof/", listener.Addr())
		_ = http.Serve(listener, mux)
	}()
	return nil
}
