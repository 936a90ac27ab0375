// InstrumentEvaluation: how well each instrument's notes are found, and how each ensemble fares
// (MusicNet's musicnet_metadata.csv). The network names pitches, not instruments, so what is
// predicted is attributed to an instrument where that can be said: at the frames where the
// instrument sounds, a predicted pitch it plays is its true positive, one it misses its false
// negative, and a predicted pitch that no instrument plays there its false positive; a pitch
// another instrument plays there is that one's, not counted here. Notes likewise: its reference
// notes, against the estimated notes whose onset falls where it sounds and that match no other
// instrument's note. A solo recording's figures are the recording's own.
import Foundation
import Pipeline

public enum InstrumentEvaluation {
    /// MusicNet's instrument codes (General MIDI program + 1) as musicians name them.
    public static func name(_ code: Int) -> String {
        let names = [1: "piano", 7: "harpsichord", 41: "violin", 42: "viola", 43: "cello", 44: "contrabass",
                     61: "horn", 69: "oboe", 71: "bassoon", 72: "clarinet", 74: "flute",
                     // Not in MusicNet; the project's corpus of instruments live users play (--families live).
                     17: "drawbar organ", 20: "church organ", 21: "reed organ", 25: "nylon guitar", 26: "steel guitar",
                     28: "clean electric guitar", 53: "choir", 54: "voice", 65: "soprano sax", 66: "alto sax",
                     67: "tenor sax", 68: "baritone sax"]
        return names[code] ?? "instrument \(code)"
    }

    /// One evaluation per instrument of `labels` (frame and note counts only), for a recording
    /// whose decoded frames are `probabilities` [frames, space.count] and notes `estimated`.
    public static func byInstrument(labels: [NoteLabel], probabilities: [Float], frames: Int, hop: Int, sampleRate: Int,
                                    space: NoteSpace, estimated: [(pitch: Int, onset: Double, offset: Double)],
                                    threshold: Float = 0.5) -> [Int: Evaluation] {
        let k = space.count
        let instruments = Set(labels.map(\.instrument))
        var rolls: [Int: [Float]] = [:]
        for instrument in instruments {
            rolls[instrument] = LabelRoll.roll(labels.filter { $0.instrument == instrument }, frames: frames, hop: hop,
                                               sampleRate: sampleRate, space: space)
        }
        let all = LabelRoll.roll(labels, frames: frames, hop: hop, sampleRate: sampleRate, space: space)
        var result: [Int: Evaluation] = [:]
        for instrument in instruments {
            let own = rolls[instrument]!
            var evaluation = Evaluation()
            var sounding = [Bool](repeating: false, count: frames)
            for t in 0..<frames {
                guard (0..<k).contains(where: { own[t * k + $0] > 0.5 }) else { continue }
                sounding[t] = true
                evaluation.frames += 1
                for n in 0..<k {
                    let predicted = probabilities[t * k + n] >= threshold, mine = own[t * k + n] > 0.5
                    if mine {
                        if predicted { evaluation.truePositives += 1 } else { evaluation.falseNegatives += 1 }
                    } else if predicted && all[t * k + n] < 0.5 {
                        evaluation.falsePositives += 1
                    }
                }
            }
            func reference(_ keep: (NoteLabel) -> Bool) -> [(pitch: Int, onset: Double, offset: Double)] {
                labels.filter(keep).compactMap { label in
                    space.index(of: label.note).map { (space.pitch(ofIndex: $0), label.startSeconds, label.endSeconds) }
                }
            }
            let mine = reference { $0.instrument == instrument }, others = reference { $0.instrument != instrument }
            let frameSeconds = Double(hop) / Double(sampleRate)
            let attributed = estimated.filter { note in
                let t = Int((note.onset / frameSeconds + 0.5).rounded())   // the frame the note began in (TranscriptionEngine.noteSeconds)
                guard t >= 0, t < frames, sounding[t] else { return false }
                return !others.contains { $0.pitch == note.pitch && abs($0.onset - note.onset) <= NoteMatching.onsetTolerance }
            }
            evaluation.addNotes(reference: mine, estimated: attributed)
            result[instrument] = evaluation
        }
        return result
    }

    /// id -> ensemble ("Solo Piano", "String Quartet", ...) from MusicNet's musicnet_metadata.csv
    /// at `root`, or nil when the folder has none. Fields may be quoted (titles hold commas).
    public static func ensembles(root: String) throws -> [String: String]? {
        let path = (root as NSString).appendingPathComponent("musicnet_metadata.csv")
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw LayoutError(description: "cannot read '\(path)' as text")
        }
        let rows = csvRows(text)
        guard let header = rows.first, let idColumn = header.firstIndex(of: "id"),
              let ensembleColumn = header.firstIndex(of: "ensemble") else {
            throw LayoutError(description: "'\(path)' has no id and ensemble columns; it is not MusicNet's metadata")
        }
        var map: [String: String] = [:]
        for row in rows.dropFirst() where row.count > max(idColumn, ensembleColumn) {
            map[row[idColumn]] = row[ensembleColumn]
        }
        return map
    }

    /// The rows of a CSV text: fields split at commas outside double quotes, quotes removed ("" is a quote).
    static func csvRows(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var characters = text.makeIterator(), pending: Character? = nil
        while let c = pending ?? characters.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    let next = characters.next()
                    if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                } else { field.append(c) }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": row.append(field); field = ""
            case "\n", "\r\n", "\r":
                row.append(field); field = ""
                if !(row.count == 1 && row[0].isEmpty) { rows.append(row) }
                row = []
            default: field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
