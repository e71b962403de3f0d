// Command wt-forwarder carries a warm transfer's audio between two LiveKit rooms without decoding it.
//
// The open-source LiveKit server cannot move a participant into another room, so a bridged transfer needs
// something that sits in both rooms and plays each side's audio into the other. Doing that with decoded
// audio (rtc-node AudioStream -> AudioSource) costs a job process, a third of a core and tens of
// milliseconds per call; this process instead reads the Opus RTP packets of one room's track and writes
// them, unchanged but for the RTP header, to a track it publishes in the other room. One long-running
// process carries many bridges.
//
// Protocol: one JSON object per line on stdin (commands), one per line on stdout (events); logs go to stderr.
//
//	{"op":"bridge","id":"<id>","url":"ws://...","a":{"room":"<A>","token":"<jwt for A>","from":"<identity in A>"},
//	                                            "b":{"room":"<B>","token":"<jwt for B>","from":"<identity in B>"}}
//	    Joins A and B with the given tokens (the caller of this process makes them; it holds no API secret),
//	    carries a.from's audio into B as track "transfer-caller" and b.from's audio into A as track
//	    "transfer-destination", and a.from's keys (SipDTMF) into B, b.from's into A.
//	    With "held":true the tracks carry Opus silence in place of the audio until {"op":"release"}: a keeper
//	    taking a call over from a live one makes its bridge ready while the old one still carries the call, and
//	    releases it once the old one has left (the phones never hear the call twice, and the new stream is
//	    already playing when its audio starts).
//	    -> {"event":"ready","id","ms","joinedMs"} once both tracks are published and both sources subscribed
//	       (ms: since the command; joinedMs: when both rooms were joined, the rest is publishing and subscribing).
//	    -> {"event":"left","id","room","identity"} when a.from or b.from leaves its room.
//	    -> {"event":"room_closed","id","room"} when a room closes under the bridge (the bridge is then ended).
//	    -> {"event":"error","id","message"} when the bridge cannot be made or is lost (it is then gone).
//	{"op":"release","id"} -> {"event":"released","id"}: a held bridge carries the audio from now on.
//	{"op":"stop","id"}   -> {"event":"stopped","id"} once both rooms are left (also for an unknown id).
//	{"op":"stats","id"}  -> {"event":"stats","id","aToB":{"packets","bytes","dtmf"},"bToA":{...}}
//	                        (bytes: RTP payload bytes, i.e. Opus data)
//	{"op":"ping"}        -> {"event":"pong","bridges":N}
//
// A line that is not a valid command gets {"event":"error","message"} (no id) and is otherwise ignored. An
// error that carries an id means that bridge does not exist (any more). Closing stdin leaves every room and
// exits 0: the worker that started it closes it when it has handed its calls over (or it exits). SIGTERM and
// SIGINT are ignored, as the framework's job processes ignore them: a stop sent to the whole process group
// (systemd's default, Ctrl-C) is the worker's to carry out, and its calls must not go silent meanwhile.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"

	protoLogger "github.com/livekit/protocol/logger"
	"go.uber.org/zap"
)

// maxLineBytes bounds one command line; a bridge command is about 1.5 kB (two JWTs).
const maxLineBytes = 1 << 20

// shutdownGrace bounds how long closing stdin waits for the bridges to leave their rooms.
const shutdownGrace = 5 * time.Second

type legSpec struct {
	Room  string `json:"room"`
	Token string `json:"token"`
	From  string `json:"from"`
}

type command struct {
	Op   string   `json:"op"`
	ID   string   `json:"id"`
	URL  string   `json:"url"`
	A    *legSpec `json:"a"`
	B    *legSpec `json:"b"`
	Held bool     `json:"held"`
}

// event is one line on stdout.
type event map[string]any

// emitter writes events, one line each, from any goroutine.
type emitter struct {
	mu sync.Mutex
	w  io.Writer
}

func (e *emitter) emit(ev event) {
	line, err := json.Marshal(ev)
	if err != nil {
		log.Printf("cannot encode event %v: %v", ev, err)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// A failed write means the reader is gone; stdin closing follows and ends the process cleanly.
	_, _ = e.w.Write(append(line, '\n'))
}

func errorEvent(id, message string) event {
	ev := event{"event": "error", "message": message}
	if id != "" {
		ev["id"] = id
	}
	return ev
}

// forwarder owns the bridges by id.
type forwarder struct {
	out     *emitter
	mu      sync.Mutex
	bridges map[string]*bridge
	closing bool
	running sync.WaitGroup // bridge set-ups and tear-downs in flight
}

func (f *forwarder) handle(line []byte) {
	var c command
	if err := json.Unmarshal(line, &c); err != nil {
		// The line is not echoed: it may hold a token.
		f.out.emit(errorEvent("", fmt.Sprintf("malformed line: %v", err)))
		return
	}
	switch c.Op {
	case "ping":
		f.mu.Lock()
		n := len(f.bridges)
		f.mu.Unlock()
		f.out.emit(event{"event": "pong", "bridges": n})
	case "bridge":
		f.startBridge(c)
	case "stop":
		f.stopBridge(c.ID)
	case "release":
		if b := f.existing(c.ID); b != nil {
			for _, l := range b.legs {
				l.out.held.Store(false)
			}
			f.out.emit(event{"event": "released", "id": c.ID})
		}
	case "stats":
		if b := f.existing(c.ID); b != nil {
			f.out.emit(b.stats())
		}
	default:
		f.out.emit(errorEvent("", fmt.Sprintf("unknown op %q", c.Op)))
	}
}

// existing is the bridge of that id; without one it answers an error naming the id, and is nil.
func (f *forwarder) existing(id string) *bridge {
	f.mu.Lock()
	b := f.bridges[id]
	f.mu.Unlock()
	if b == nil {
		f.out.emit(errorEvent(id, fmt.Sprintf("no bridge %q", id)))
	}
	return b
}

func validate(c command) error {
	if c.ID == "" {
		return errors.New("bridge needs an id")
	}
	if c.URL == "" {
		return errors.New("bridge needs a url")
	}
	for name, leg := range map[string]*legSpec{"a": c.A, "b": c.B} {
		if leg == nil || leg.Room == "" || leg.Token == "" || leg.From == "" {
			return fmt.Errorf("bridge needs %s.room, %s.token and %s.from", name, name, name)
		}
	}
	return nil
}

func (f *forwarder) startBridge(c command) {
	if err := validate(c); err != nil {
		f.out.emit(errorEvent(c.ID, err.Error()))
		return
	}
	f.mu.Lock()
	if f.closing {
		f.mu.Unlock()
		return
	}
	if _, exists := f.bridges[c.ID]; exists {
		f.mu.Unlock()
		// No id on this error: the bridge of that id is still running and untouched.
		f.out.emit(errorEvent("", fmt.Sprintf("bridge %q exists already; command ignored", c.ID)))
		return
	}
	b, err := newBridge(c, f.out, f.lost)
	if err != nil {
		f.mu.Unlock()
		f.out.emit(errorEvent(c.ID, err.Error()))
		return
	}
	f.bridges[c.ID] = b
	f.running.Add(1)
	f.mu.Unlock()
	go func() {
		defer f.running.Done()
		b.run()
	}()
}

// lost is called by a bridge that ended by itself (set-up failed, a room closed): it is forgotten, so a
// later stop answers stopped and a later bridge may reuse the id.
func (f *forwarder) lost(b *bridge) {
	f.mu.Lock()
	if f.bridges[b.id] == b {
		delete(f.bridges, b.id)
	}
	f.mu.Unlock()
}

func (f *forwarder) stopBridge(id string) {
	f.mu.Lock()
	b := f.bridges[id]
	delete(f.bridges, id)
	f.running.Add(1)
	f.mu.Unlock()
	// Leaving two rooms takes a round trip or two: never hold up the next command for it.
	go func() {
		defer f.running.Done()
		if b != nil {
			b.close()
		}
		f.out.emit(event{"event": "stopped", "id": id})
	}()
}

// shutdown leaves every room, waiting at most shutdownGrace.
func (f *forwarder) shutdown() {
	f.mu.Lock()
	f.closing = true
	ids := make([]string, 0, len(f.bridges))
	for id := range f.bridges {
		ids = append(ids, id)
	}
	f.mu.Unlock()
	for _, id := range ids {
		f.stopBridge(id)
	}
	done := make(chan struct{})
	go func() {
		f.running.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(shutdownGrace):
		log.Printf("shutdown: bridges still leaving after %s; exiting anyway", shutdownGrace)
	}
}

// readLines calls handle for every line of r; a line longer than maxLineBytes is reported and skipped.
func readLines(r io.Reader, handle func([]byte), tooLong func()) {
	reader := bufio.NewReaderSize(r, 64*1024)
	var line []byte
	skipping := false
	for {
		chunk, isPrefix, err := reader.ReadLine()
		if err != nil {
			return // EOF, or stdin unreadable: either way nobody can command us any more
		}
		if !skipping {
			line = append(line, chunk...)
			if len(line) > maxLineBytes {
				skipping = true
				line = line[:0]
				tooLong()
			}
		}
		if isPrefix {
			continue
		}
		if !skipping && len(line) > 0 {
			handle(line)
		}
		line = line[:0]
		skipping = false
	}
}

func main() {
	// Stdout carries the protocol only: anything a library prints goes to stderr instead.
	events := os.Stdout
	os.Stdout = os.Stderr
	log.SetOutput(os.Stderr)
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("[wt-forwarder] ")

	level := os.Getenv("FORWARDER_LOG_LEVEL")
	if level == "" {
		level = "warn"
	}
	// The SDK's own logger, on stderr, without the stack trace its default adds to every error line.
	if l, err := protoLogger.FromZapLogger(zap.New(nil).WithOptions(zap.AddCaller()), &protoLogger.Config{Level: level}); err == nil {
		lksdk.SetLogger(l)
	} else {
		log.Printf("bad FORWARDER_LOG_LEVEL %q: %v", level, err)
	}

	if addr := os.Getenv("FORWARDER_PPROF"); addr != "" {
		if err := serveProfiles(addr); err != nil {
			log.Print(err) // a diagnostic: the forwarder works without it
		}
	}

	f := &forwarder{out: &emitter{w: events}, bridges: map[string]*bridge{}}

	// SIGPIPE on stdout (the reader died) must not kill us before we have left the rooms; SIGTERM and SIGINT are
	// the worker's (see above): we end when stdin does.
	signal.Ignore(syscall.SIGPIPE, syscall.SIGTERM, syscall.SIGINT)
	readLines(os.Stdin, f.handle, func() {
		f.out.emit(errorEvent("", fmt.Sprintf("line longer than %d bytes ignored", maxLineBytes)))
	})
	f.shutdown()
	os.Exit(0)
}
