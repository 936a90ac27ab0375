// MIDIFile: Standard MIDI Files (format 0) of transcribed notes - written whole and atomically on
// every flush, so an interrupted run leaves a valid file of what was transcribed.
import Foundation
import Pipeline
import Support
import Model

public enum MIDIFile {
    /// Ticks per quarter note; at the fixed tempo of 120 bpm a tick is 1/960 s.
    public static let ticksPerQuarter = 480
    static let microsecondsPerQuarter = 500_000

    static func ticks(_ seconds: Double) -> Int {
        Int((seconds * 1_000_000 / Double(microsecondsPerQuarter) * Double(ticksPerQuarter)).rounded())
    }

    /// The bytes of a format-0 file with `notes` (pitch 0...127, times in seconds) on channel 1,
    /// each with its velocity.
    public static func data(_ notes: [TranscribedNote]) -> Data {
        var events: [(tick: Int, order: Int, bytes: [UInt8])] = []
        for note in notes {
            let pitch = UInt8(clamping: note.pitch), velocity = UInt8(clamping: min(127, max(1, note.velocity)))
            events.append((ticks(note.onset), 1, [0x90, pitch, velocity]))
            events.append((ticks(note.offset), 0, [0x80, pitch, 0]))   // offs before ons at the same tick
        }
        events.sort { ($0.tick, $0.order) < ($1.tick, $1.order) }
        var track: [UInt8] = []
        let tempo = microsecondsPerQuarter
        track += [0x00, 0xFF, 0x51, 0x03, UInt8(tempo >> 16), UInt8(tempo >> 8 & 0xFF), UInt8(tempo & 0xFF)]
        var last = 0
        for event in events {
            track += variableLength(event.tick - last) + event.bytes
            last = event.tick
        }
        track += [0x00, 0xFF, 0x2F, 0x00]
        var out: [UInt8] = Array("MThd".utf8) + [0, 0, 0, 6, 0, 0, 0, 1]
        out += [UInt8(ticksPerQuarter >> 8), UInt8(ticksPerQuarter & 0xFF)]
        out += Array("MTrk".utf8) + bigEndian32(track.count) + track
        return Data(out)
    }

    static func variableLength(_ value: Int) -> [UInt8] {
        var v = max(0, value), bytes = [UInt8(v & 0x7F)]
        v >>= 7
        while v > 0 { bytes.insert(UInt8(v & 0x7F) | 0x80, at: 0); v >>= 7 }
        return bytes
    }

    static func bigEndian32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
}

/// Collects notes and writes `path` as a MIDI file on every flush (atomically: a temporary file
/// then a rename) and at the end; `flushEvery` seconds of audio it flushes by itself.
public final class MIDIFileWriter: NoteSink {
    public let path: String
    private var notes: [TranscribedNote] = []
    private var sounding: [Int: (name: String, time: Double, confidence: Float, velocity: Int)] = [:]
    private let flushEvery: Double
    private var lastFlush = 0.0
    private var now = 0.0

    /// Checks at once that `path` can be written (so a bad path fails before any audio is heard).
    public init(path: String, flushEvery: Double = 5) throws {
        self.path = path
        self.flushEvery = flushEvery
        try flush()
    }

    public func noteOn(pitch: Int, name: String, time: Double, confidence: Float, velocity: Int) {
        sounding[pitch] = (name, time, confidence, velocity)
    }

    public func noteOff(_ note: TranscribedNote) {
        sounding[note.pitch] = nil
        notes.append(note)
    }

    public func advance(to time: Double) {
        now = time
        if time - lastFlush >= flushEvery {
            lastFlush = time
            try? flush()
        }
    }

    /// Writes every finished note, and the sounding ones as ending now.
    public func flush() throws {
        let open = sounding.map { TranscribedNote(pitch: $0.key, onset: $0.value.time, offset: max(now, $0.value.time),
                                                   confidence: $0.value.confidence, name: $0.value.name, velocity: $0.value.velocity) }
        do { try AtomicFile.write(MIDIFile.data(notes + open), to: path) } catch {
            throw OutputError(path: path, reason: error.reason)
        }
    }
}
