// MIDIBytes: Standard MIDI Files built byte by byte, for tests of the MIDI label reader - with
// the features real files have (several tracks, tempo changes, running status).
import Foundation
import Trainer

public enum MIDIBytes {
    /// A file of `tracks` (each a track's events without its chunk header) at `division` ticks per quarter.
    public static func file(format: Int = 1, division: Int, tracks: [[UInt8]]) -> Data {
        var bytes = Array("MThd".utf8) + [0, 0, 0, 6, 0, UInt8(format), 0, UInt8(tracks.count)]
        bytes += [UInt8(division >> 8), UInt8(division & 0xFF)]
        for track in tracks {
            let body = track + [0x00, 0xFF, 0x2F, 0x00]
            bytes += Array("MTrk".utf8) + [UInt8(body.count >> 24), UInt8(body.count >> 16 & 0xFF),
                                            UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF)] + body
        }
        return Data(bytes)
    }

    /// A track's events from (tick, message), given in order of tick, with delta times; a message
    /// with the status of the one before it is written in running status (its status byte left out).
    public static func track(_ events: [(tick: Int, message: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [], last = 0, running: UInt8 = 0
        for (tick, message) in events {
            precondition(tick >= last, "events must be in order of tick")
            out += vlq(tick - last)
            last = tick
            if message[0] < 0xF0 && message[0] == running { out += message.dropFirst() } else { out += message }
            running = message[0] < 0xF0 ? message[0] : 0
        }
        return out
    }

    /// A tempo event: microseconds per quarter note.
    public static func tempo(_ microseconds: Int) -> [UInt8] {
        [0xFF, 0x51, 0x03, UInt8(microseconds >> 16), UInt8(microseconds >> 8 & 0xFF), UInt8(microseconds & 0xFF)]
    }

    public static func vlq(_ value: Int) -> [UInt8] {
        var bytes = [UInt8(value & 0x7F)], v = value >> 7
        while v > 0 { bytes.insert(UInt8(v & 0x7F) | 0x80, at: 0); v >>= 7 }
        return bytes
    }

    /// `labels` as a format-1 file whose ticks are exactly 50 samples at 44.1 kHz (441 ticks a
    /// quarter at 120 bpm), one track per instrument, note-offs as note-ons of velocity 0 (running
    /// status throughout). Labels on that grid read back unchanged.
    public static func file(labels: [NoteLabel]) -> Data {
        let byInstrument = Dictionary(grouping: labels, by: \.instrument)
        var tracks: [[UInt8]] = [track([(0, tempo(500_000))])]
        for (channel, instrument) in byInstrument.keys.sorted().enumerated() {
            let status = UInt8(0x90 | (channel >= 9 ? channel + 1 : channel))   // never the percussion channel
            var events: [(tick: Int, message: [UInt8])] = [(0, [0xC0 | (status & 0x0F), UInt8(instrument - 1)])]
            for label in byInstrument[instrument]! {
                precondition(label.start % 50 == 0 && label.end % 50 == 0, "labels must lie on the 50-sample grid")
                events.append((label.end / 50, [status, UInt8(label.note), 0]))
                events.append((label.start / 50, [status, UInt8(label.note), 90]))
            }
            // Offs before ons at one tick (a repeated note), as files write them.
            tracks.append(track(events.enumerated().sorted { ($0.element.tick, $0.element.message.last! > 0 ? 1 : 0, $0.offset)
                < ($1.element.tick, $1.element.message.last! > 0 ? 1 : 0, $1.offset) }.map(\.element)))
        }
        return file(division: 441, tracks: tracks)
    }
}
