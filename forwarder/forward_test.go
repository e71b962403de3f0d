package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestSequencerPassesTheFirstSourceThrough(t *testing.T) {
	var s sequencer
	now := time.Unix(1000, 0)
	for i := range 3 {
		h := rtp.Header{SequenceNumber: 65534 + uint16(i), Timestamp: 1000 + uint32(i)*960}
		s.rewrite(&h, 1, now)
		if h.SequenceNumber != 65534+uint16(i) || h.Timestamp != 1000+uint32(i)*960 || h.Marker {
			t.Fatalf("packet %d changed: %+v", i, h)
		}
	}
}

func TestSequencerCarriesOnAfterANewSource(t *testing.T) {
	var s sequencer
	start := time.Unix(1000, 0)
	h := rtp.Header{SequenceNumber: 100, Timestamp: 5000}
	s.rewrite(&h, 1, start)
	late := rtp.Header{SequenceNumber: 99, Timestamp: 4040} // reordered: must not lower the high-water marks
	s.rewrite(&late, 1, start)

	// A new source 2 s later, numbering from somewhere else entirely.
	next := rtp.Header{SequenceNumber: 40000, Timestamp: 123456}
	s.rewrite(&next, 2, start.Add(2*time.Second))
	if next.SequenceNumber != 101 {
		t.Errorf("sequence number %d, want 101", next.SequenceNumber)
	}
	if want := uint32(5000 + 2*48000); next.Timestamp != want {
		t.Errorf("timestamp %d, want %d", next.Timestamp, want)
	}
	if !next.Marker {
		t.Error("no marker on the first packet of the new source")
	}
	following := rtp.Header{SequenceNumber: 40001, Timestamp: 123456 + 960}
	s.rewrite(&following, 2, start.Add(2*time.Second+20*time.Millisecond))
	if following.SequenceNumber != 102 || following.Timestamp != next.Timestamp+960 || following.Marker {
		t.Errorf("second packet of the new source: %+v", following)
	}
}

func TestReadLinesSurvivesAnOverlongLine(t *testing.T) {
	input := `{"op":"ping"}` + "\n" + strings.Repeat("x", maxLineBytes+10) + "\n" + `{"op":"stats"}` + "\n"
	var got []string
	tooLong := 0
	readLines(bytes.NewBufferString(input), func(line []byte) { got = append(got, string(line)) }, func() { tooLong++ })
	if len(got) != 2 || got[0] != `{"op":"ping"}` || got[1] != `{"op":"stats"}` || tooLong != 1 {
		t.Fatalf("lines %q, %d too long", got, tooLong)
	}
}

func TestProfilesOnlyOnLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "10.1.2.3:0", "example.com:0", "nonsense", ":0"} {
		if err := serveProfiles(addr); err == nil {
			t.Errorf("%s: served, want refused", addr)
		}
	}
	if err := serveProfiles("127.0.0.1:0"); err != nil {
		t.Errorf("127.0.0.1:0: %v", err)
	}
}

func TestAHeldTrackCarriesSilenceUntilReleased(t *testing.T) {
	o, err := newOutTrack("TR_test")
	if err != nil {
		t.Fatal(err)
	}
	o.held.Store(true)
	packet := func(seq uint16) *rtp.Packet {
		return &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 960}, Payload: []byte{1, 2, 3, 4, 5}}
	}
	held := packet(1)
	o.write(held, 1, 0)
	if !bytes.Equal(held.Payload, opusSilence) || o.packets.Load() != 1 || o.bytes.Load() != uint64(len(opusSilence)) {
		t.Fatalf("a held track wrote %v (%d packets, %d bytes), want Opus silence", held.Payload, o.packets.Load(), o.bytes.Load())
	}
	o.held.Store(false)
	released := packet(2)
	o.write(released, 1, 0)
	if !bytes.Equal(released.Payload, []byte{1, 2, 3, 4, 5}) || o.bytes.Load() != uint64(len(opusSilence))+5 {
		t.Fatalf("a released track wrote %v (%d bytes), want the audio as it came", released.Payload, o.bytes.Load())
	}
}
