// Evaluate: the whole path - audio, CQT, network, note decoder - on a MusicNet-layout folder,
// scored against its labels, per recording and overall.
import AudioIO
import Foundation
import Model
import StreamingCQT

public struct RecordingEvaluation: Sendable {
    public var id: String
    public var seconds: Double
    public var evaluation: Evaluation
}

public enum Evaluate {
    /// Evaluates `network` (configured by `metadata`, its weights' metadata) on every recording
    /// of `split`. Windows of `window` frames slide every `stride` frames (WindowedPrediction):
    /// with a `lookahead`, each frame comes from the first window holding that many frames after
    /// it, exactly as `transcriber file` decodes with the same stride and look-ahead; without,
    /// frames get the mean of their windows (stride defaults to the window: no overlap). Notes are
    /// decoded with `decoder`. Recordings that cannot be read are skipped and listed.
    public static func run(data: String, split: String, network: ParallelNetwork, metadata: [String: String],
                           allowedErrors: [Int] = [0, 1, 2], stride: Int? = nil, lookahead: Int? = nil,
                           decoder: NoteDecoderSettings = NoteDecoderSettings(),
                           progress: (Int, Int) -> Void = { _, _ in })
        throws -> (recordings: [RecordingEvaluation], overall: Evaluation, skipped: [String]) {
        let settings = try CQTSettings(metadata: metadata)
        let window = Int(metadata["window_frames"] ?? "") ?? 43
        let onlyNoteNames = metadata["only_note_names"] == "true"
        let space: NoteSpace = onlyNoteNames ? .pitchClasses : .keys(lowestNote: settings.lowestNote, count: settings.notes)
        guard space.count == network.config.nNotes, settings.binCount == network.config.nBins else {
            throw TrainingError(description: "the weights' metadata does not describe this network "
                + "(n_notes \(network.config.nNotes), n_bins \(network.config.nBins))")
        }
        if let lookahead, (stride ?? window - lookahead) + lookahead > window || lookahead < 0 || (stride ?? 1) < 1 {
            throw TrainingError(description: "the stride (\(stride ?? window - lookahead)) plus the look-ahead (\(lookahead)) "
                + "must be at most a window (\(window) frames), or frames would fall between windows")
        }
        let (recordings, skippedLayout) = try MusicNetLayout.recordings(root: data, split: split)
        let engine = StreamingCQT(bank: try CQTKernelBank(settings: settings))
        var results: [RecordingEvaluation] = [], overall = Evaluation(), skipped = skippedLayout
        let k = space.count
        let pitchOf = { (index: Int) -> Int in onlyNoteNames ? index : settings.lowestNote + index }
        for (i, recording) in recordings.enumerated() {
            progress(i, recordings.count)
            do {
                let labels = try LabelCSV.read(recording.labelPath)
                let (samples, _) = try AudioLoading.mono(recording.audioPath, sampleRate: settings.sampleRate)
                let frames = try BatchCQT.transform(samples, engine: engine)
                let count = frames.count / settings.binCount
                let probabilities = try lookahead.map { ahead throws(ModelError) in
                    try WindowedPrediction.lookaheadProbabilities(network: network, features: frames, frames: count, window: window,
                                                                  stride: stride ?? window - ahead, lookahead: ahead,
                                                                  padding: settings.floor)
                } ?? WindowedPrediction.probabilities(network: network, features: frames, frames: count,
                                                      window: window, stride: stride ?? window)
                let targets = LabelRoll.roll(labels, frames: count, hop: settings.hopLength,
                                             sampleRate: settings.sampleRate, space: space)
                var evaluation = Evaluation()
                evaluation.addFrames(probabilities: probabilities, targets: targets, notes: k, allowedErrors: allowedErrors,
                                     pitchClassOf: onlyNoteNames ? nil : { pitchOf($0) % 12 })
                let frameSeconds = 1 / settings.frameRate
                let estimated = NoteDecoder.decode(probabilities, notes: k, settings: decoder).map {
                    (pitch: pitchOf($0.index), onset: Double($0.onset) * frameSeconds, offset: Double($0.offset) * frameSeconds)
                }
                let reference = labels.compactMap { label -> (pitch: Int, onset: Double, offset: Double)? in
                    guard let index = space.index(of: label.note) else { return nil }
                    return (pitchOf(index), label.startSeconds, label.endSeconds)
                }
                evaluation.addNotes(reference: reference, estimated: estimated)
                overall.add(evaluation)
                results.append(RecordingEvaluation(id: recording.id, seconds: Double(samples.count) / Double(settings.sampleRate),
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
