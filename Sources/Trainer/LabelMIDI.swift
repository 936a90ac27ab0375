// LabelMIDI: note labels from Standard MIDI Files - MusicNetEM's realigned labels come as one
// MIDI file per recording. Reads what real files have: formats 0 and 1, several tracks, tempo
// changes, running status, note-on with velocity 0 as note-off, overlapping notes of one pitch,
// program changes (the instrument). Written here because no library reads MIDI in Swift on Linux.
import Foundation

public enum LabelMIDI {
    /// A note of a MIDI file: pitch, velocity, 0-based channel and the program it played with,
    /// [onset, offset) in seconds.
    public struct Note: Sendable, Equatable {
        public var pitch: Int
        public var velocity: Int
        public var channel: Int
        public var program: Int
        public var onset: Double
        public var offset: Double
    }

    public struct ReadError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// 500,000 microseconds per quarter note (120 bpm): a file's tempo until it sets one.
    static let microsecondsPerQuarter = 500_000
    /// General MIDI's percussion channel (10, 0-based 9): unpitched, so no labels.
    static let percussionChannel = 9

    /// The labels of the MIDI file at `path`: every whole note but percussion, times rounded to
    /// MusicNet's 44.1 kHz sample indices, the instrument as MusicNet codes it (program + 1).
    public static func read(_ path: String) throws -> [NoteLabel] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReadError(description: "cannot read '\(path)'")
        }
        do { return labels(try notes(in: data)) } catch {
            throw ReadError(description: "'\(path)': \(error)")
        }
    }

    /// Notes as labels (see `read`), sorted by start.
    public static func labels(_ notes: [Note]) -> [NoteLabel] {
        func samples(_ seconds: Double) -> Int { Int((seconds * Double(LabelCSV.sampleRate)).rounded()) }
        return notes.filter { $0.channel != percussionChannel }
            .map { NoteLabel(start: samples($0.onset), end: samples($0.offset), instrument: $0.program + 1, note: $0.pitch,
                             velocity: $0.velocity) }
            .filter { $0.end > $0.start }
            .sorted { ($0.start, $0.note) < ($1.start, $1.note) }
    }

    /// Every whole note of a MIDI file, sorted by onset then pitch. A damaged file is read up to
    /// where it breaks (a track cut short ends there); what is not MIDI is an error.
    public static func notes(in data: Data) throws -> [Note] {
        let bytes = [UInt8](data)
        func be(_ at: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 << 8 | Int(bytes[at + $1]) } }
        guard bytes.count >= 14, Array(bytes[0..<4]) == Array("MThd".utf8) else { throw ReadError(description: "not a MIDI file") }
        let division = be(12, 2)
        guard division & 0x8000 == 0 else { throw ReadError(description: "SMPTE time division is not supported") }
        guard division > 0 else { throw ReadError(description: "the header gives 0 ticks per quarter note") }
        var position = 8 + be(4, 4)
        // Channel events of every track, in file order within each track.
        var events: [(tick: Int, order: Int, status: UInt8, a: UInt8, b: UInt8)] = []
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
                    events.append((tick, events.count, status, bytes[i], size == 2 ? bytes[i + 1] : 0))
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
        // Overlapping notes of one key and channel end first-in, first-out.
        var programs = [Int](repeating: 0, count: 16)
        var open: [Int: [(tick: Int, velocity: Int, program: Int)]] = [:], notes: [Note] = []
        for e in events.sorted(by: { ($0.tick, $0.order) < ($1.tick, $1.order) }) {
            let kind = e.status & 0xF0, channel = Int(e.status & 0x0F), key = channel << 8 | Int(e.a)
            if kind == 0xC0 {
                programs[channel] = Int(e.a & 0x7F)
            } else if kind == 0x90 && e.b > 0 {
                open[key, default: []].append((e.tick, Int(e.b), programs[channel]))
            } else if kind == 0x80 || (kind == 0x90 && e.b == 0), var starts = open[key], !starts.isEmpty {
                let start = starts.removeFirst()
                open[key] = starts
                notes.append(Note(pitch: Int(e.a), velocity: start.velocity, channel: channel, program: start.program,
                                  onset: seconds(start.tick), offset: seconds(e.tick)))
            }
        }
        return notes.sorted { ($0.onset, $0.pitch) < ($1.onset, $1.pitch) }
    }
}
