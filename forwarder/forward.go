package main

// The audio path: RTP packets read from a subscribed track in one room are written to a track published in
// the other. The Opus payload is never touched; only the RTP header is made right for the new stream.

import (
	"log"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// opusClockRate is RTP ticks per second of Opus (RFC 7587: always 48 kHz, whatever the audio's own rate).
const opusClockRate = 48000

// outTrack is the track a bridge publishes in one room; it carries the other room's participant's packets.
// It is a TrackLocalStaticRTP (which sets SSRC and payload type per peer connection) that also learns, when
// the peer connection binds it, which header-extension id that connection uses for the audio level.
type outTrack struct {
	*webrtc.TrackLocalStaticRTP

	levelID atomic.Uint32 // the audio-level extension's id on the publishing connection; 0 if not negotiated
	held    atomic.Bool   // published, carrying silence in place of the audio (a bridge made held, until its release)
	source  atomic.Uint64 // generation of the track now being followed; older pumps stop

	mu  sync.Mutex
	seq sequencer

	packets, bytes, dtmf atomic.Uint64
}

func newOutTrack(id string) (*outTrack, error) {
	codec := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: opusClockRate, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}
	track, err := webrtc.NewTrackLocalStaticRTP(codec, id, id)
	if err != nil {
		return nil, err
	}
	return &outTrack{TrackLocalStaticRTP: track}, nil
}

// Bind is called by the publishing peer connection once negotiated (again after a renegotiation).
func (o *outTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	o.levelID.Store(uint32(extensionID(ctx.HeaderExtensions(), sdp.AudioLevelURI)))
	return o.TrackLocalStaticRTP.Bind(ctx)
}

func extensionID(extensions []webrtc.RTPHeaderExtensionParameter, uri string) uint8 {
	for _, e := range extensions {
		if e.URI == uri && e.ID > 0 && e.ID < 256 {
			return uint8(e.ID)
		}
	}
	return 0
}

// follow makes track (subscribed in the other room) the source of this one, replacing any earlier source:
// a participant who republishes, or a subscription renewed after a reconnect, comes as a new TrackRemote.
// It reports whether the track can be carried.
func (o *outTrack) follow(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) bool {
	if mime := track.Codec().MimeType; !strings.EqualFold(mime, webrtc.MimeTypeOpus) {
		// Passing anything else on as Opus would be noise; the SDK's default codecs make this Opus.
		log.Printf("track %s is %s, not Opus: not forwarded", track.ID(), mime)
		return false
	}
	var levelID uint8
	if receiver != nil {
		levelID = extensionID(receiver.GetParameters().HeaderExtensions, sdp.AudioLevelURI)
	}
	generation := o.source.Add(1)
	go o.pump(track, generation, levelID)
	return true
}

// pump copies packets until the track ends (its peer connection closes or the subscription goes) or a newer
// source replaces it.
func (o *outTrack) pump(track *webrtc.TrackRemote, generation uint64, levelID uint8) {
	buf := make([]byte, 1500)
	for {
		n, _, err := track.Read(buf)
		if err != nil || o.source.Load() != generation {
			return
		}
		var packet rtp.Packet
		if err := packet.Unmarshal(buf[:n]); err != nil {
			continue
		}
		o.write(&packet, generation, levelID)
	}
}

// opusSilence is a 20 ms Opus frame of silence (CELT, full band, mono; a decoder plays nothing).
var opusSilence = []byte{0xf8, 0xff, 0xfe}

func (o *outTrack) write(packet *rtp.Packet, generation uint64, sourceLevelID uint8) {
	// The extensions are the subscribing connection's, numbered as it negotiated them; under the publishing
	// connection's numbers they could mean something else. Drop them, and carry over the audio level alone
	// (the server's speaker detection reads it). The publisher's interceptors add their own (transport-cc).
	var level []byte
	if sourceLevelID != 0 && packet.Extension {
		if v := packet.GetExtension(sourceLevelID); len(v) == 1 {
			level = []byte{v[0]}
		}
	}
	if o.held.Load() {
		// Held: the stream runs (so the subscribers' path is set up and playing when it is released) but says
		// nothing; 127 is the audio level of silence (-127 dBov).
		packet.Payload = opusSilence
		level = []byte{127}
	}
	packet.Extension = false
	packet.ExtensionProfile = 0
	packet.Extensions = nil
	if id := o.levelID.Load(); id != 0 && level != nil {
		_ = packet.SetExtension(uint8(id), level)
	}
	payload := len(packet.Payload)

	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq.rewrite(&packet.Header, generation, time.Now())
	if err := o.WriteRTP(packet); err != nil {
		return // the publishing connection is closing
	}
	o.packets.Add(1)
	o.bytes.Add(uint64(payload))
}

func (o *outTrack) counters() map[string]uint64 {
	return map[string]uint64{"packets": o.packets.Load(), "bytes": o.bytes.Load(), "dtmf": o.dtmf.Load()}
}

// sequencer keeps the published stream's sequence numbers and timestamps continuous. The first source passes
// through as it is; when the source changes, the new one is shifted to carry on just after the last packet
// written, so the subscribers' jitter buffers see one stream with a pause in it rather than a jump of
// thousands of packets (which they would take for loss, or drop as too old).
type sequencer struct {
	started    bool
	generation uint64
	seqOffset  uint16
	tsOffset   uint32
	lastSeq    uint16 // highest sequence number written
	lastTS     uint32 // highest timestamp written
	lastAt     time.Time
}

func (s *sequencer) rewrite(h *rtp.Header, generation uint64, now time.Time) {
	first := !s.started
	switch {
	case first:
		s.started = true
		s.generation = generation
	case generation != s.generation:
		s.generation = generation
		// The pause lasted as long as the wall clock says, and at least one 20 ms frame. (Timestamps wrap
		// modulo 2^32 anyway; a pause would have to pass 12 hours to look like a step back.)
		ticks := max(now.Sub(s.lastAt).Milliseconds()*(opusClockRate/1000), opusClockRate/50)
		s.seqOffset = s.lastSeq + 1 - h.SequenceNumber
		s.tsOffset = s.lastTS + uint32(ticks) - h.Timestamp
		h.Marker = true // a new talkspurt: receivers may resynchronise here
	}
	h.SequenceNumber += s.seqOffset
	h.Timestamp += s.tsOffset
	// Serial-number arithmetic (RFC 1982): a late, reordered packet does not move the high-water marks back.
	if first || int16(h.SequenceNumber-s.lastSeq) > 0 {
		s.lastSeq = h.SequenceNumber
	}
	if first || int32(h.Timestamp-s.lastTS) > 0 {
		s.lastTS = h.Timestamp
	}
	s.lastAt = now
}
