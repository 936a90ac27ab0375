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
    /// Per instrument of its labels (MusicNet code): frame and note counts (InstrumentEvaluation).
    public var instruments: [Int: Evaluation] = [:]
}

/// A split's evaluation: overall, per recording, per instrument and per ensemble.
public struct SplitEvaluation: Sendable {
    public var recordings: [RecordingEvaluation]
    public var overall: Evaluation
    /// MusicNet instrument code -> its notes' evaluation over every recording.
    public var instruments: [Int: Evaluation]
    /// Ensemble (musicnet_metadata.csv) -> its recordings' evaluation; empty without the file.
    public var ensembles: [String: Evaluation]
    public var skipped: [String]
}

public enum Evaluate {
    /// Transcribes every recording of `split` with `engine` - exactly as `file` does with the
    /// engine's settings - and scores its per-frame probabilities and its notes against the
    /// labels. Recordings that cannot be read are skipped and listed.
    /// `labels`: a folder of `<id>.mid` or `<id>.csv` instead of `{split}_labels`.
    public static func run(data: String, split: String, labels labelFolder: String? = nil, engine: TranscriptionEngine,
                           allowedErrors: [Int] = [0, 1, 2],
                           progress: (Int, Int) -> Void = { _, _ in })
        throws -> SplitEvaluation {
        let frontEnd = engine.description.data.frontEnd, space = engine.space, k = space.count
        let (recordings, skippedLayout) = try MusicNetLayout.recordings(root: data, split: split, labels: labelFolder)
        var results: [RecordingEvaluation] = [], overall = Evaluation(), skipped = skippedLayout
        let ensembleOf = try InstrumentEvaluation.ensembles(root: data)
        var instruments: [Int: Evaluation] = [:], ensembles: [String: Evaluation] = [:]
        let notes = NoteCollector()
        engine.add(notes)
        var probabilities: [Float] = [], onsets: [Float] = []
        engine.frameObserver = { probabilities.append(contentsOf: $0) }
        engine.onsetObserver = { onsets.append(contentsOf: $0) }
        defer { engine.frameObserver = nil; engine.onsetObserver = nil }
        for (i, recording) in recordings.enumerated() {
            progress(i, recordings.count)
            engine.reset()
            notes.clear()
            probabilities.removeAll(keepingCapacity: true)
            onsets.removeAll(keepingCapacity: true)
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
                if !onsets.isEmpty {
                    evaluation.addOnsetDetections(onsets: onsets, notes: k, threshold: engine.settings.decoder.onsetThreshold,
                                                  frameSeconds: engine.frameSeconds,
                                                  pitchOf: { space.pitch(ofIndex: $0) }, reference: reference)
                }
                overall.add(evaluation)
                let byInstrument = InstrumentEvaluation.byInstrument(
                    labels: labels, probabilities: probabilities, frames: count, hop: frontEnd.hopLength,
                    sampleRate: frontEnd.sampleRate, space: space, estimated: estimated)
                for (instrument, part) in byInstrument { instruments[instrument, default: Evaluation()].add(part) }
                if let ensemble = ensembleOf?[recording.id] { ensembles[ensemble, default: Evaluation()].add(evaluation) }
                results.append(RecordingEvaluation(id: recording.id, seconds: Double(samples) / Double(frontEnd.sampleRate),
                                                   evaluation: evaluation, instruments: byInstrument))
            } catch {
                skipped.append("\(recording.id): \(error)")
            }
        }
        progress(recordings.count, recordings.count)
        return SplitEvaluation(recordings: results, overall: overall, instruments: instruments, ensembles: ensembles,
                               skipped: skipped)
    }
}

extension Evaluation {
    /// The numbers an instrument's or an ensemble's row has: frame and note precision, recall, F1.
    public var breakdown: [(String, Double)] {
        [("frame_precision", precision), ("frame_recall", recall), ("frame_f1", f1),
         ("note_precision", notePrecision), ("note_recall", noteRecall), ("note_f1", noteF1)]
    }

    /// The headline numbers, by name, for tables and JSON.
    /// With an onset head, its own detections are reported too (`onset_head_*`).
    public func summary(allowedErrors: [Int]) -> [(String, Double)] {
        var rows: [(String, Double)] = []
        for k in allowedErrors { rows.append(("exact_frame_accuracy_k\(k)", exactAccuracy(allowedErrors: k))) }
        rows.append(("exact_frame_accuracy_pitch_class", exactPitchClassAccuracy(allowedErrors: 0)))
        rows += [("frame_precision", precision), ("frame_recall", recall), ("frame_f1", f1), ("frame_accuracy", accuracy),
                 ("average_precision", averagePrecision), ("note_precision", notePrecision), ("note_recall", noteRecall),
                 ("note_f1", noteF1), ("note_with_offset_f1", noteWithOffsetF1)]
        if onsetHeadDetections > 0 || onsetHeadMatches > 0 {
            rows += [("onset_head_precision", onsetHeadPrecision), ("onset_head_recall", onsetHeadRecall),
                     ("onset_head_f1", onsetHeadF1)]
        }
        return rows
    }
}
