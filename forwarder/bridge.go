package main

// One bridge: a connection to room A and one to room B, each publishing the other side's audio and passing
// on the other side's keys, and watching for the two participants leaving.

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
)

const (
	// joinTimeout bounds joining both rooms and publishing both tracks.
	joinTimeout = 10 * time.Second
	// fromAbsentTimeout: how long after joining a room its participant (a.from / b.from) may still be missing.
	// Joining a room that was deleted makes the server create it again, empty; a participant who is not there
	// by then is not coming, and the bridge fails instead of waiting for ever.
	fromAbsentTimeout = 10 * time.Second
	// settleAfterReconnect: a full reconnect reports every participant gone and then back; whether the
	// participant really left is judged this long after it.
	settleAfterReconnect = time.Second
)

// leg is the bridge's presence in one room.
type leg struct {
	name      string // "a" or "b"
	spec      legSpec
	trackName string                     // the track published here
	room      atomic.Pointer[lksdk.Room] // set before joining; read by the other leg's callbacks
	out       *outTrack                  // published here: the other leg's participant's audio
	other     *leg

	published, subscribed atomic.Bool
	reconnecting          atomic.Bool
	missedLeave           atomic.Bool // the participant disconnected while we were reconnecting
}

type bridge struct {
	id     string
	url    string
	legs   [2]*leg
	out    *emitter
	lost   func(*bridge) // tells the forwarder this bridge ended by itself
	ctx    context.Context
	cancel context.CancelFunc
	setUp  chan struct{} // closed once run() has joined both rooms, or given up
	// When the bridge was asked for, and when both rooms were joined (ms after): the ready event says how long
	// the set-up took, and how much of it was joining.
	started  time.Time
	joinedMs atomic.Int64
	left     chan struct{} // closed once both rooms are left

	mu    sync.Mutex
	ended bool // torn down (or being): callbacks stay quiet from now on
	ready bool
}

func newBridge(c command, out *emitter, lost func(*bridge)) (*bridge, error) {
	a := &leg{name: "a", spec: *c.A, trackName: "transfer-destination"}
	z := &leg{name: "b", spec: *c.B, trackName: "transfer-caller"}
	a.other, z.other = z, a
	for _, l := range []*leg{a, z} {
		track, err := newOutTrack(fmt.Sprintf("TR_fwd_%s_%s", c.ID, l.name))
		if err != nil {
			return nil, err
		}
		track.held.Store(c.Held)
		l.out = track
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &bridge{id: c.ID, url: c.URL, out: out, lost: lost, ctx: ctx, cancel: cancel, setUp: make(chan struct{}), left: make(chan struct{}), started: time.Now()}
	b.legs = [2]*leg{a, z}
	return b, nil
}

// run sets the bridge up; on failure it reports an error and leaves whatever it joined.
func (b *bridge) run() {
	err := b.connect()
	close(b.setUp)
	if err == nil {
		return
	}
	if b.end() {
		b.lost(b)
		b.out.emit(errorEvent(b.id, err.Error()))
		b.leaveRooms()
	}
	// Otherwise stop (or a closed room) got there first and tears down and reports.
}

func (b *bridge) connect() error {
	ctx, cancel := context.WithTimeout(b.ctx, joinTimeout)
	defer cancel()
	// Both rooms at once: setting a bridge up takes one join and one publication, not two of each.
	if err := bothLegs(b.legs, func(l *leg) error { return b.join(ctx, l) }); err != nil {
		return err
	}
	b.joinedMs.Store(time.Since(b.started).Milliseconds())
	if err := bothLegs(b.legs, b.publish); err != nil {
		return err
	}
	for _, l := range b.legs {
		room := l.room.Load()
		if rp := room.GetParticipantByIdentity(l.spec.From); rp != nil {
			for _, pub := range rp.TrackPublications() {
				if remote, ok := pub.(*lksdk.RemoteTrackPublication); ok {
					b.subscribe(l, remote, rp)
				}
			}
		} else {
			go b.expectFrom(l)
		}
	}
	return nil
}

func bothLegs(legs [2]*leg, do func(*leg) error) error {
	var errs [2]error
	var wg sync.WaitGroup
	for i, l := range legs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = do(l)
		}()
	}
	wg.Wait()
	return errors.Join(errs[0], errs[1])
}

func (b *bridge) join(ctx context.Context, l *leg) error {
	room := lksdk.NewRoom(b.callbacks(l))
	l.room.Store(room)
	// Not auto-subscribed: of everything in the room only the one participant's audio is wanted.
	if err := room.JoinWithContextAndToken(ctx, b.url, l.spec.Token, lksdk.WithAutoSubscribe(false)); err != nil {
		return fmt.Errorf("joining %s.room %q: %w", l.name, l.spec.Room, err)
	}
	// The token decides which room is joined; a token for another room is a caller's mistake to report.
	if name := room.Name(); name != l.spec.Room {
		return fmt.Errorf("%s.token is for room %q, not %s.room %q", l.name, name, l.name, l.spec.Room)
	}
	return nil
}

func (b *bridge) publish(l *leg) error {
	options := &lksdk.TrackPublicationOptions{Name: l.trackName, Source: livekit.TrackSource_MICROPHONE}
	if _, err := l.room.Load().LocalParticipant.PublishTrack(l.out, options); err != nil {
		return fmt.Errorf("publishing %s in room %q: %w", l.trackName, l.spec.Room, err)
	}
	l.published.Store(true)
	b.maybeReady()
	return nil
}

func (b *bridge) callbacks(l *leg) *lksdk.RoomCallback {
	return &lksdk.RoomCallback{
		OnParticipantDisconnected: func(rp *lksdk.RemoteParticipant) {
			if rp.Identity() == l.spec.From {
				b.fromLeft(l)
			}
		},
		OnDisconnected: func() { b.roomLost(l) },
		OnReconnecting: func() { l.reconnecting.Store(true) },
		OnReconnected: func() {
			l.reconnecting.Store(false)
			time.AfterFunc(settleAfterReconnect, func() {
				if l.missedLeave.Swap(false) {
					b.fromLeft(l)
				}
			})
		},
		ParticipantCallback: lksdk.ParticipantCallback{
			OnTrackPublished: func(pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) { b.subscribe(l, pub, rp) },
			OnTrackSubscribed: func(track *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
				if rp.Identity() != l.spec.From || track.Kind() != webrtc.RTPCodecTypeAudio {
					return
				}
				if l.other.out.follow(track, pub.Receiver()) {
					l.subscribed.Store(true)
					b.maybeReady()
				}
			},
			OnDataPacket: func(data lksdk.DataPacket, params lksdk.DataReceiveParams) {
				if dtmf, ok := data.(*livekit.SipDTMF); ok && params.SenderIdentity == l.spec.From {
					b.passKey(l, dtmf)
				}
			},
		},
	}
}

// subscribe asks for the participant's audio tracks. Called for tracks already there at join and for tracks
// published later; asking twice is harmless.
func (b *bridge) subscribe(l *leg, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	if rp.Identity() != l.spec.From || pub.Kind() != lksdk.TrackKindAudio || pub.IsSubscribed() {
		return
	}
	if err := pub.SetSubscribed(true); err != nil {
		log.Printf("bridge %s: subscribing to %s's track %s in room %s: %v", b.id, l.spec.From, pub.SID(), l.spec.Room, err)
	}
}

// passKey publishes a key pressed in one room as DTMF in the other, where livekit-sip plays it to its phone.
func (b *bridge) passKey(from *leg, dtmf *livekit.SipDTMF) {
	to := from.other
	room := to.room.Load()
	if room == nil || b.isEnded() {
		return
	}
	if err := room.LocalParticipant.PublishDTMF(dtmf.Code, dtmf.Digit); err != nil {
		log.Printf("bridge %s: passing key %q into room %s: %v", b.id, dtmf.Digit, to.spec.Room, err)
		return
	}
	to.out.dtmf.Add(1)
}

func (b *bridge) maybeReady() {
	for _, l := range b.legs {
		if !l.published.Load() || !l.subscribed.Load() {
			return
		}
	}
	b.mu.Lock()
	first := !b.ready && !b.ended
	b.ready = true
	b.mu.Unlock()
	if first {
		b.out.emit(event{"event": "ready", "id": b.id, "ms": time.Since(b.started).Milliseconds(), "joinedMs": b.joinedMs.Load()})
	}
}

func (b *bridge) fromLeft(l *leg) {
	if b.isEnded() {
		return
	}
	if l.reconnecting.Load() {
		l.missedLeave.Store(true)
		return
	}
	if room := l.room.Load(); room != nil && room.GetParticipantByIdentity(l.spec.From) != nil {
		return // back already (or it was a reconnect's roll call)
	}
	b.out.emit(event{"event": "left", "id": b.id, "room": l.spec.Room, "identity": l.spec.From})
}

// expectFrom fails the bridge if the leg's participant does not turn up in its room within fromAbsentTimeout.
func (b *bridge) expectFrom(l *leg) {
	deadline := time.NewTimer(fromAbsentTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-tick.C:
			if l.room.Load().GetParticipantByIdentity(l.spec.From) != nil {
				return
			}
		case <-deadline.C:
			b.endWith(errorEvent(b.id, fmt.Sprintf("%s.from %q is not in room %q", l.name, l.spec.From, l.spec.Room)))
			return
		}
	}
}

// roomLost: the server closed our connection to a room (or it could not be kept). The bridge cannot go on.
func (b *bridge) roomLost(l *leg) {
	if b.isEnded() {
		return
	}
	reason := l.room.Load().DisconnectReason()
	if reason == livekit.DisconnectReason_ROOM_DELETED || reason == livekit.DisconnectReason_ROOM_CLOSED {
		b.endWith(event{"event": "room_closed", "id": b.id, "room": l.spec.Room})
		return
	}
	b.endWith(errorEvent(b.id, fmt.Sprintf("disconnected from room %q: %s", l.spec.Room, reason)))
}

// endWith ends the bridge by itself (not by stop): it is forgotten, reported, and its rooms left.
func (b *bridge) endWith(ev event) {
	if !b.end() {
		return
	}
	b.lost(b)
	b.out.emit(ev)
	// Never block an SDK callback on leaving.
	go func() {
		<-b.setUp
		b.leaveRooms()
	}()
}

// close is stop's tear-down: it returns once both rooms are left.
func (b *bridge) close() {
	if b.end() {
		<-b.setUp // cancelled, so a join under way returns soon
		b.leaveRooms()
	}
	<-b.left
}

// end marks the bridge ended; only the first caller tears it down.
func (b *bridge) end() bool {
	b.mu.Lock()
	first := !b.ended
	b.ended = true
	b.mu.Unlock()
	if first {
		b.cancel()
	}
	return first
}

func (b *bridge) isEnded() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ended
}

func (b *bridge) leaveRooms() {
	var wg sync.WaitGroup
	for _, l := range b.legs {
		if room := l.room.Load(); room != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				room.Disconnect()
			}()
		}
	}
	wg.Wait()
	close(b.left)
}

func (b *bridge) stats() event {
	// Leg b publishes what comes from a, and leg a what comes from b.
	return event{"event": "stats", "id": b.id, "aToB": b.legs[1].out.counters(), "bToA": b.legs[0].out.counters()}
}
