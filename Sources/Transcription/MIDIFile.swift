// MIDIFile: Standard MIDI Files (format 0) of transcribed notes - written whole and atomically on
// every flush, so an interrupted run leaves a valid file of what was transcribed - and read back.
import Foundation
import Model

public enum MIDIFile {
    /// Ticks per quarter note; at the fixed tempo of 120 bpm a tick is 1/960 s.
    public static let ticksPerQuarter = 480
    static let microsecondsPerQuarter = 500_000

    static func ticks(_ seconds: Double) -> Int {
        Int((seconds * 1_000_000 / Double(microsecondsPerQuarter) * Double(ticksPerQuarter)).rounded())
    }

    /// The bytes of a format-0 file with `notes` (pitch 0...127, times in seconds) on channel 1,
    /// velocity from confidence.
    public static func data(_ notes: [TranscribedNote]) -> Data {
        var events: [(tick: Int, order: Int, bytes: [UInt8])] = []
        for note in notes {
            let pitch = UInt8(clamping: note.pitch), velocity = UInt8(clamping: max(1, Int(note.confidence * 127)))
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

    public struct ReadError: Error, CustomStringConvertible { public var description: String }

    /// The notes of a MIDI file (any format, tempo changes honoured): (pitch, onset s, offset s).
    public static func notes(in data: Data) throws -> [(pitch: Int, onset: Double, offset: Double)] {
        let bytes = [UInt8](data)
        func be(_ at: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 << 8 | Int(bytes[at + $1]) } }
        guard bytes.count >= 14, Array(bytes[0..<4]) == Array("MThd".utf8) else { throw ReadError(description: "not a MIDI file") }
        let division = be(12, 2)
        guard division & 0x8000 == 0 else { throw ReadError(description: "SMPTE time division is not supported") }
        guard division > 0 else { throw ReadError(description: "the header gives 0 ticks per quarter note") }
        var position = 8 + be(4, 4)
        var events: [(tick: Int, status: UInt8, a: UInt8, b: UInt8)] = []
        var tempos: [(tick: Int, tempo: Int)] = [(0, microsecondsPerQuarter)]
        // Every read is bounds-checked: a damaged file ends its track early, it never traps
        // (found by Fuzz/MIDIFuzz).
        while position + 8 <= bytes.count {
            let length = be(position + 4, 4)
            let isTrack = Array(bytes[position..<(position + 4)]) == Array("MTrk".utf8)
            var i = position + 8
            let end = min(position + 8 + length, bytes.count)
            position = position + 8 + length
            guard isTrack else { continue }
            var tick = 0, running: UInt8 = 0
            // A variable-length quantity: at most 4 bytes (28 bits), as the standard allows.
            func vlq() -> Int? {
                var v = 0
                for _ in 0..<4 {
                    guard i < end else { return nil }
                    let b = bytes[i]; i += 1
                    v = v << 7 | Int(b & 0x7F)
                    if b & 0x80 == 0 { return v }
                }
                return nil
            }
            track: while i < end {
                guard let delta = vlq(), i < end else { break }
                tick += delta   // at most 2^28 a step: cannot overflow in any real file length
                var status = bytes[i]
                if status & 0x80 != 0 { i += 1; if status < 0xF0 { running = status } } else { status = running }
                switch status {
                case 0xFF:
                    guard i < end else { break track }
                    let type = bytes[i]; i += 1
                    guard let n = vlq(), n <= end - i else { break track }
                    if type == 0x51 && n == 3 { tempos.append((tick, max(1, be(i, 3)))) }
                    i += n
                case 0xF0, 0xF7:
                    guard let n = vlq(), n <= end - i else { break track }
                    i += n
                case 0x00..<0x80:
                    break track   // data with no running status: the track is damaged
                default:
                    let kind = status & 0xF0
                    let size = (kind == 0xC0 || kind == 0xD0) ? 1 : 2
                    guard i + size <= end else { break track }
                    events.append((tick, status, bytes[i], size == 2 ? bytes[i + 1] : 0))
                    i += size
                }
            }
        }
        tempos.sort { $0.tick < $1.tick }
        func seconds(_ tick: Int) -> Double {
            var time = 0.0, lastTick = 0, tempo = microsecondsPerQuarter
            for change in tempos where change.tick <= tick {
                time += Double(change.tick - lastTick) * Double(tempo) / 1e6 / Double(division)
                lastTick = change.tick
                tempo = change.tempo
            }
            return time + Double(tick - lastTick) * Double(tempo) / 1e6 / Double(division)
        }
        var open: [Int: [Int]] = [:], notes: [(pitch: Int, onset: Double, offset: Double)] = []
        for e in events.sorted(by: { $0.tick < $1.tick }) {
            let kind = e.status & 0xF0, key = Int(e.status & 0x0F) << 8 | Int(e.a)
            if kind == 0x90 && e.b > 0 { open[key, default: []].append(e.tick) }
            else if kind == 0x80 || (kind == 0x90 && e.b == 0), var starts = open[key], !starts.isEmpty {
                let start = starts.removeFirst()
                open[key] = starts
                notes.append((Int(e.a), seconds(start), seconds(e.tick)))
            }
        }
        return notes.sorted { ($0.onset, $0.pitch) < ($1.onset, $1.pitch) }
    }
}

/// Collects notes and writes `path` as a MIDI file on every flush (atomically: a temporary file
/// then a rename) and at the end; `flushEvery` seconds of audio it flushes by itself.
public final class MIDIFileWriter: NoteSink {
    public let path: String
    private var notes: [TranscribedNote] = []
    private var sounding: [Int: (name: String, time: Double, confidence: Float)] = [:]
    private let flushEvery: Double
    private var lastFlush = 0.0
    private var now = 0.0

    /// Checks at once that `path` can be written (so a bad path fails before any audio is heard).
    public init(path: String, flushEvery: Double = 5) throws {
        self.path = path
        self.flushEvery = flushEvery
        try flush()
    }

    public func noteOn(pitch: Int, name: String, time: Double, confidence: Float) {
        sounding[pitch] = (name, time, confidence)
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
                                                   confidence: $0.value.confidence, name: $0.value.name) }
        do { try writeAtomically(MIDIFile.data(notes + open), to: path) } catch {
            if case let .cannotWrite(_, reason) = error { throw OutputError(path: path, reason: reason) }
            throw OutputError(path: path, reason: error.description)
        }
    }
}
