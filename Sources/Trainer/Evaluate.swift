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

/// How the windows over a recording become per-frame probabilities (WindowedPrediction).
public enum WindowDecoding: Sendable, Equatable {
    /// `predict`'s: windows from frame 0 every `stride` frames (nil: the window, no overlap),
    /// each frame the mean of the windows over it.
    case windows(stride: Int?)
    /// The transcription engine's (`file`, `live`, `replay`): a window ending every `stride`
    /// frames, each frame from the first window holding `lookahead` frames after it, or with a
    /// nil look-ahead the mean of every window over it; exactly what the engine decodes.
    case engine(stride: Int, lookahead: Int?)
}

public enum Evaluate {
    /// Evaluates `network` (configured by `metadata`, its weights' metadata) on every recording
    /// of `split`, its windows combined as `decoding` says and its notes decoded with `decoder`.
    /// Recordings that cannot be read are skipped and listed.
    public static func run(data: String, split: String, network: ParallelNetwork, metadata: [String: String],
                           allowedErrors: [Int] = [0, 1, 2], decoding: WindowDecoding = .windows(stride: nil),
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
        switch decoding {
        case let .engine(stride, lookahead):
            guard stride >= 1, (lookahead ?? 0) >= 0, stride + (lookahead ?? 0) <= window else {
                let what = lookahead.map { "the stride (\(stride)) plus the look-ahead (\($0))" } ?? "the stride (\(stride))"
                throw TrainingError(description: "\(what) must be at most "
                    + "a window (\(window) frames), or frames would fall between windows; the stride at least 1")
            }
        case let .windows(stride):
            guard (stride ?? 1) >= 1 else { throw TrainingError(description: "the stride must be at least 1 frame") }
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
                let probabilities: [Float]
                switch decoding {
                case let .windows(stride):
                    probabilities = try WindowedPrediction.probabilities(network: network, features: frames, frames: count,
                                                                         window: window, stride: stride ?? window)
                case let .engine(stride, lookahead?):
                    probabilities = try WindowedPrediction.lookaheadProbabilities(
                        network: network, features: frames, frames: count, window: window, stride: stride, lookahead: lookahead,
                        padding: settings.floor)
                case let .engine(stride, nil):
                    probabilities = try WindowedPrediction.streamedMeanProbabilities(
                        network: network, features: frames, frames: count, window: window, stride: stride, padding: settings.floor)
                }
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
