// Per-instrument and per-ensemble evaluation: what is predicted is attributed to the instrument
// that plays it, worked out by hand; MusicNet's metadata read as it is written (quoted titles).
import Foundation
import Pipeline
import Testing
@testable import Trainer

/// Some counts of an evaluation, in order.
func counts(_ e: Evaluation, _ paths: KeyPath<Evaluation, Int>...) -> [Int] { paths.map { e[keyPath: $0] } }

@Suite struct InstrumentEvaluationTests {
    /// Four frames of 0.1 s, keys C4-D#4. A piano C4 in frames 0-1, a violin D4 in frames 1-3.
    /// Predicted: frame 0 C4 and D#4, frame 1 D4, frame 2 D4 and C#4.
    @Test func predictionsAreAttributedToTheInstrumentThatPlaysThem() {
        let labels = [NoteLabel(start: 0, end: 8820, instrument: 1, note: 60),
                      NoteLabel(start: 4410, end: 17640, instrument: 41, note: 62)]
        var probabilities = [Float](repeating: 0, count: 4 * 4)
        for (t, n) in [(0, 0), (0, 3), (1, 2), (2, 2), (2, 1)] { probabilities[t * 4 + n] = 0.9 }
        let estimated = [(pitch: 60, onset: 0.0, offset: 0.1), (pitch: 62, onset: 0.1, offset: 0.3),
                         (pitch: 61, onset: 0.2, offset: 0.3)]
        let result = InstrumentEvaluation.byInstrument(labels: labels, probabilities: probabilities, frames: 4, hop: 4410,
                                                       sampleRate: 44100, space: .keys(lowestNote: 60, count: 4),
                                                       estimated: estimated)
        let piano = result[1]!, violin = result[41]!
        // Piano: C4 found in frame 0 and missed in 1; D#4 in frame 0 is its false positive (it
        // alone sounds); the D4 of frame 1 is the violin's and not counted against it.
        #expect(counts(piano, \.truePositives, \.falsePositives, \.falseNegatives) == [1, 1, 1])
        // Violin: D4 found in frames 1 and 2, missed in 3; C#4 in frame 2 its false positive.
        #expect(counts(violin, \.truePositives, \.falsePositives, \.falseNegatives) == [2, 1, 1])
        // Notes: the piano's C4 is its one note; the violin gets D4 and the stray C#4 (where it alone sounds).
        #expect(counts(piano, \.referenceNotes, \.estimatedNotes, \.onsetMatches) == [1, 1, 1])
        #expect(counts(violin, \.referenceNotes, \.estimatedNotes, \.onsetMatches) == [1, 2, 1])
        #expect(InstrumentEvaluation.name(41) == "violin")
        #expect(InstrumentEvaluation.name(5) == "instrument 5")
    }

    @Test func ensemblesAreReadFromMusicNetsMetadata() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("metadata-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try InstrumentEvaluation.ensembles(root: root.path) == nil)
        let lines = ["id,composer,composition,movement,ensemble,source,transcriber,catalog_name,seconds",
                     "1727,Schubert,\"Piano Quintet in A major, \"\"Trout\"\"\",2. Andante,Piano Quintet,European Archive,x,D667,447",
                     "2186,Bach,Cello Suite 4,1. Prelude,Solo Cello,Museopen,y,BWV1010,221", ""]
        try lines.joined(separator: "\r\n").write(to: root.appendingPathComponent("musicnet_metadata.csv"), atomically: true, encoding: .utf8)
        #expect(try InstrumentEvaluation.ensembles(root: root.path) == ["1727": "Piano Quintet", "2186": "Solo Cello"])
    }
}
