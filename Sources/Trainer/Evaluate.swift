// Evaluate: the whole path - audio, CQT, network, note decoder - on a MusicNet-layout folder,
// scored against its labels, per recording and overall.
import AudioIO
import Foundation
import Model
import Pipeline
import StreamingCQT

public struct RecordingEvaluation: Sendable {
    public var id: String
    public var seconds: Double
    public var evaluation: Evaluation
}

public enum Evaluate {
    /// Transcribes every recording of `split` with `engine` - exactly as `file` does with the
    /// engine's settings - and scores its per-frame probabilities and its notes against the
    /// labels. Recordings that cannot be read are skipped and listed.
    /// `labels`: a folder of `<id>.mid` or `<id>.csv` instead of `{split}_labels`.
    public static func run(data: String, split: String, labels labelFolder: String? = nil, engine: TranscriptionEngine,
                           allowedErrors: [Int] = [0, 1, 2],
                           progress: (Int, Int) -> Void = { _, _ in })
        throws -> (recordings: [RecordingEvaluation], overall: Evaluation, skipped: [String]) {
        let frontEnd = engine.description.data.frontEnd, space = engine.space, k = space.count
        let (recordings, skippedLayout) = try MusicNetLayout.recordings(root: data, split: split, labels: labelFolder)
        var results: [RecordingEvaluation] = [], overall = Evaluation(), skipped = skippedLayout
        let notes = NoteCollector()
        engine.add(notes)
        var probabilities: [Float] = []
        engine.frameObserver = { probabilities.append(contentsOf: $0) }
        defer { engine.frameObserver = nil }
        for (i, recording) in recordings.enumerated() {
            progress(i, recordings.count)
            engine.reset()
            notes.clear()
            probabilities.removeAll(keepingCapacity: true)
            do {
                let labels = try Labels.read(recording.labelPath)
                var samples = 0
                try AudioLoading.stream(recording.audioPath, sampleRate: frontEnd.sampleRate) { block in
                    try engine.push(block)
                    samples += block.count
                }
                try engine.finish()
                let count = engine.framesDecoded
                let targets = LabelRoll.roll(labels, frames: count, hop: frontEnd.hopLength,
                                             sampleRate: frontEnd.sampleRate, space: space)
                var evaluation = Evaluation()
                evaluation.addFrames(probabilities: probabilities, targets: targets, notes: k, allowedErrors: allowedErrors,
                                     pitchClassOf: engine.description.data.onlyNoteNames ? nil : { space.pitchClass(ofIndex: $0) })
                let estimated = notes.notes.map { (pitch: $0.pitch, onset: $0.onset, offset: $0.offset) }
                let reference = labels.compactMap { label -> (pitch: Int, onset: Double, offset: Double)? in
                    guard let index = space.index(of: label.note) else { return nil }
                    return (space.pitch(ofIndex: index), label.startSeconds, label.endSeconds)
                }
                evaluation.addNotes(reference: reference, estimated: estimated)
                overall.add(evaluation)
                results.append(RecordingEvaluation(id: recording.id, seconds: Double(samples) / Double(frontEnd.sampleRate),
                                                   evaluation: evaluation))
            } catch {
                skipped.append("\(recording.id): \(error)")
            }
        }
        progress(recordings.count, recordings.count)
        return (results, overall, skipped)
    }
}

extension Evaluation {
    /// The headline numbers, by name, for tables and JSON.
    public func summary(allowedErrors: [Int]) -> [(String, Double)] {
        var rows: [(String, Double)] = []
        for k in allowedErrors { rows.append(("exact_frame_accuracy_k\(k)", exactAccuracy(allowedErrors: k))) }
        rows.append(("exact_frame_accuracy_pitch_class", exactPitchClassAccuracy(allowedErrors: 0)))
        rows += [("frame_precision", precision), ("frame_recall", recall), ("frame_f1", f1), ("frame_accuracy", accuracy),
                 ("average_precision", averagePrecision), ("note_precision", notePrecision), ("note_recall", noteRecall),
                 ("note_f1", noteF1), ("note_with_offset_f1", noteWithOffsetF1)]
        return rows
    }
}
