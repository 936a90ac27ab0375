// MIDIPort: an ALSA sequencer output port that synths and DAWs can connect to, to hear the
// transcription live. The thin ALSA part; the events are the NoteSink's.
import CALSA
import Foundation
import Pipeline

public final class MIDIPort: NoteSink {
    private let sequencer: OpaquePointer
    private let port: Int32

    /// Opens the ALSA sequencer and creates a readable port named `name`.
    public init(name: String = "transcriber") throws {
        var handle: OpaquePointer?
        calsa_silence_errors()
        defer { calsa_restore_errors() }
        let status = snd_seq_open(&handle, "default", Int32(SND_SEQ_OPEN_OUTPUT), 0)
        guard status == 0, let handle else {
            throw OutputError(path: "ALSA sequencer", reason: "\(String(cString: snd_strerror(status))) - this machine has no "
                + "MIDI sequencer (/dev/snd/seq; load the snd-seq kernel module or run on a machine with ALSA MIDI). "
                + "Use --midi FILE.mid to record the notes instead")
        }
        snd_seq_set_client_name(handle, name)
        let created = snd_seq_create_simple_port(handle, name, UInt32(SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_SUBS_READ),
                                                 UInt32(SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION))
        guard created >= 0 else {
            snd_seq_close(handle)
            throw OutputError(path: "ALSA sequencer", reason: String(cString: snd_strerror(created)))
        }
        sequencer = handle
        port = created
    }

    deinit { snd_seq_close(sequencer) }

    private func send(_ type: snd_seq_event_type, pitch: Int, velocity: Int) {
        var event = snd_seq_event_t()
        event.type = snd_seq_event_type_t(type.rawValue)
        event.source.port = UInt8(port)
        event.dest.client = UInt8(SND_SEQ_ADDRESS_SUBSCRIBERS)
        event.dest.port = UInt8(SND_SEQ_ADDRESS_UNKNOWN)
        event.queue = UInt8(SND_SEQ_QUEUE_DIRECT)
        event.data.note.channel = 0
        event.data.note.note = UInt8(clamping: pitch)
        event.data.note.velocity = UInt8(clamping: velocity)
        snd_seq_event_output_direct(sequencer, &event)
    }

    public func noteOn(pitch: Int, name: String, time: Double, confidence: Float, velocity: Int) {
        send(SND_SEQ_EVENT_NOTEON, pitch: pitch, velocity: velocity)
    }
    public func noteOff(_ note: TranscribedNote) { send(SND_SEQ_EVENT_NOTEOFF, pitch: note.pitch, velocity: 0) }
    public func advance(to time: Double) {}
    public func flush() throws { snd_seq_drain_output(sequencer) }
}
