// LabelCSV: MusicNet's note labels - one CSV per recording, sample indices at 44.1 kHz.
import Foundation

/// One labelled note: [start, end) in samples at `LabelCSV.sampleRate`, MIDI pitch, instrument.
public struct NoteLabel: Sendable, Equatable {
    public var start: Int
    public var end: Int
    public var instrument: Int
    public var note: Int
    /// How hard the note was struck, 1 ... 127, where the labels say (MIDI labels, and CSVs with a
    /// `velocity` column); nil for MusicNet's CSVs.
    public var velocity: Int?
    public init(start: Int, end: Int, instrument: Int, note: Int, velocity: Int? = nil) {
        self.start = start
        self.end = end
        self.instrument = instrument
        self.note = note
        self.velocity = velocity
    }
    public var startSeconds: Double { Double(start) / Double(LabelCSV.sampleRate) }
    public var endSeconds: Double { Double(end) / Double(LabelCSV.sampleRate) }
}

public struct LabelError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var line: Int
    public var problem: String
    public var description: String { "\(path):\(line): \(problem)" }
}

public enum LabelCSV {
    /// MusicNet's label times are sample indices at 44.1 kHz whatever the audio's rate.
    public static let sampleRate = 44100
    public static let header = "start_time,end_time,instrument,note,start_beat,end_beat,note_value"
    static let required = ["start_time", "end_time", "instrument", "note"]

    /// Parses a label file. Tolerates what real files have: CRLF, blank lines, fractional beats,
    /// extra or reordered columns. Rejects, with file and line: a header without the required
    /// columns, a row with too few fields, a non-numeric time or pitch, end before start, a
    /// velocity (an optional column, which the project's corpus writes; empty where a note's is
    /// not known) outside 1 ... 127.
    public static func parse(_ text: String, path: String) throws(LabelError) -> [NoteLabel] {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\r")) }
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        guard let first = lines.first, !first.isEmpty else {
            throw LabelError(path: path, line: 1, problem: "empty label file; expected the header \(header)")
        }
        let columns = first.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var index: [String: Int] = [:]
        for name in required {
            guard let i = columns.firstIndex(of: name) else {
                throw LabelError(path: path, line: 1, problem: "the header has no '\(name)' column; expected \(header)")
            }
            index[name] = i
        }
        let velocityColumn = columns.firstIndex(of: "velocity")
        let needed = max(index.values.max()!, velocityColumn ?? 0) + 1
        var labels: [NoteLabel] = []
        for (offset, line) in lines.dropFirst().enumerated() {
            let number = offset + 2
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= needed else {
                throw LabelError(path: path, line: number, problem: "\(fields.count) fields where the header needs at least \(needed)")
            }
            func integer(_ name: String) throws(LabelError) -> Int {
                let text = fields[index[name]!]
                if let value = Int(text) { return value }
                // Some exports write sample indices as "12345.0".
                if let value = Double(text), value == value.rounded(), abs(value) < 1e15 { return Int(value) }
                throw LabelError(path: path, line: number, problem: "\(name) is '\(text)', not an integer")
            }
            var velocity: Int? = nil
            if let velocityColumn, !fields[velocityColumn].isEmpty {
                let text = fields[velocityColumn]
                guard let value = Int(text), (1...127).contains(value) else {
                    throw LabelError(path: path, line: number, problem: "velocity is '\(text)', not a MIDI velocity 1 ... 127")
                }
                velocity = value
            }
            let label = NoteLabel(start: try integer("start_time"), end: try integer("end_time"),
                                  instrument: try integer("instrument"), note: try integer("note"), velocity: velocity)
            guard label.start >= 0 else {
                throw LabelError(path: path, line: number, problem: "start_time \(label.start) is negative")
            }
            guard label.end > label.start else {
                throw LabelError(path: path, line: number, problem: "end_time \(label.end) is not after start_time \(label.start)")
            }
            guard (0...127).contains(label.note) else {
                throw LabelError(path: path, line: number, problem: "note \(label.note) is not a MIDI pitch 0 ... 127")
            }
            labels.append(label)
        }
        return labels
    }

    public static func read(_ path: String) throws(LabelError) -> [NoteLabel] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LabelError(path: path, line: 0, problem: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LabelError(path: path, line: 0, problem: "not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    /// Writes labels in MusicNet's format (beats are not known here and written as 0), with the
    /// velocity column `parse` reads when any label has a velocity (empty where one has none), so
    /// they read back as they were.
    public static func format(_ labels: [NoteLabel]) -> String {
        let withVelocity = labels.contains { $0.velocity != nil }
        var text = header + (withVelocity ? ",velocity" : "") + "\n"
        for l in labels {
            text += "\(l.start),\(l.end),\(l.instrument),\(l.note),0,0," + (withVelocity ? "," + (l.velocity.map { "\($0)" } ?? "") : "") + "\n"
        }
        return text
    }
}
