// `transcriber evaluate`: the whole path on a MusicNet-layout folder, scored against its labels.
import ArgumentParser
import Foundation
import Model
import Pipeline
import Support
import Trainer
import Transcription

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Transcribe a MusicNet-layout split and score it: frame, exact-frame and note metrics.",
        discussion: """
            The recordings are transcribed as `file` transcribes them: a window every --stride frames, \
            each frame the mean of every window over it, or with --lookahead decoded from the first \
            window holding that many frames of audio after it (as live and replay do), so the scores \
            are those of what `file` prints with the same options. \
            Or score a transcription already made: --notes NOTES.csv (what --csv wrote) against \
            --labels LABELS.csv (MusicNet's columns), with mir_eval's note matching.
            """)

    @Option(help: "The MusicNet-layout folder.") var data: String?
    @Option(help: "The split to evaluate.") var split: String = "test"
    @Option(help: "The weights file.") var weights: String?
    @Option(help: "A note-event CSV written by live, replay or file --csv, to score against --labels.") var notes: String?
    @Option(help: "With --notes: a label file (MusicNet CSV or MIDI), the reference. With --data: a folder of ID.mid (MusicNetEM) or ID.csv labels instead of {split}_labels.")
    var labels: String?
    @Option(help: "Also write the numbers (overall and per recording) as JSON here.") var json: String?
    @Option(parsing: .upToNextOption, help: "Wrong notes allowed per frame in the exact accuracy.") var allowedErrors: [Int] = [0, 1, 2]
    @Option(help: "Cores to use.") var threads: Int = 1
    @OptionGroup(title: "Note decoding") var decoding: DecodingOptions
    @Option(help: "Frames between network windows (file's default).") var stride: Int = EngineSettings.file.stride
    @Option(help: "Decode each frame from the first window with this many frames of audio after it, as live and replay do (default: file's, the mean of every window over it).")
    var lookahead: Int?
    @Option(help: overlapHelp) var overlap: OverlapWeighting = EngineSettings.file.overlap

    func validate() throws {
        if notes != nil {
            guard labels != nil, data == nil, weights == nil else {
                throw ValidationError("give --notes and --labels together (scoring a transcription), or --data and --weights")
            }
        } else if data == nil || weights == nil {
            throw ValidationError("give --data and --weights (transcribe and score a split), or --notes and --labels")
        }
        guard stride >= 1, (lookahead ?? 0) >= 0 else { throw ValidationError("--stride must be at least 1 and --lookahead at least 0") }
        try validateOverlap(overlap, lookahead: lookahead)
    }

    func run() throws {
        if let notes, let labels { return try scoreTranscription(notes: notes, labels: labels) }
        guard let data, let weights else { return }
        let loaded = try Weights.load(weights)
        let decoder = decoding.settings(frameSeconds: 1 / loaded.description.data.frontEnd.frameRate)
        let engine = try TranscriptionEngine(weights: loaded, threads: threads,
                                             settings: EngineSettings(stride: stride, lookahead: lookahead, decoder: decoder,
                                                                      windowBatch: EngineSettings.fileWindowBatch, overlap: overlap))
        let bar = ProgressBar()
        let result = try Trainer.Evaluate.run(
            data: data, split: split, labels: labels, engine: engine, allowedErrors: allowedErrors) { done, total in
            bar.update(Double(done) / Double(max(total, 1)), "\(done)/\(total) recordings", force: done == total)
        }
        bar.finish()
        let (recordings, overall, skipped) = (result.recordings, result.overall, result.skipped)
        for line in skipped { printError("skipped \(line)") }
        let names = overall.summary(allowedErrors: allowedErrors).map(\.0)
        print("recording".padding(toLength: 14, withPad: " ", startingAt: 0) + "   secs  exact0  frameF1    AP  noteF1")
        for r in recordings {
            let e = r.evaluation
            print(r.id.padding(toLength: 14, withPad: " ", startingAt: 0)
                  + String(format: " %6.1f  %6.3f  %7.3f %5.3f  %6.3f", r.seconds, e.exactAccuracy(allowedErrors: 0), e.f1,
                           e.averagePrecision, e.noteF1))
        }
        print("overall (\(recordings.count) recordings, \(overall.frames) frames):")
        for (name, value) in overall.summary(allowedErrors: allowedErrors) {
            print("  " + name.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: "%.4f", value))
        }
        // The network names pitches, not instruments: each instrument's row counts what can be
        // attributed to it (docs/TRAINING.md, "Evaluating").
        func breakdown(_ title: String, _ rows: [(String, Evaluation)]) {
            guard !rows.isEmpty else { return }
            print(title.padding(toLength: 22, withPad: " ", startingAt: 0) + " frame P      R     F1   note P      R     F1   notes")
            for (name, e) in rows {
                print(name.padding(toLength: 22, withPad: " ", startingAt: 0)
                      + String(format: "  %6.3f %6.3f %6.3f  %6.3f %6.3f %6.3f  %6d", e.precision, e.recall, e.f1,
                               e.notePrecision, e.noteRecall, e.noteF1, e.referenceNotes))
            }
        }
        let byInstrument = result.instruments.sorted { $0.key < $1.key }.map { (InstrumentEvaluation.name($0.key), $0.value) }
        let byEnsemble = result.ensembles.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        breakdown("by instrument", byInstrument)
        breakdown("by ensemble", byEnsemble)
        if let json {
            func table(_ e: Evaluation) -> [String: Double] { Dictionary(uniqueKeysWithValues: e.summary(allowedErrors: allowedErrors)) }
            let report = EvaluationReport(
                weights: weights, data: data, split: split, stride: stride, lookahead: lookahead,
                decoding: lookahead.map { "each frame from the first window with \($0) frames after it" }
                    ?? "each frame the mean of every window over it" + overlap.inWords,
                metrics: table(overall), names: names,
                recordings: recordings.map { .init(id: $0.id, seconds: $0.seconds, metrics: table($0.evaluation)) },
                instruments: Dictionary(uniqueKeysWithValues: byInstrument.map { ($0.0, Dictionary(uniqueKeysWithValues: $0.1.breakdown)) }),
                ensembles: Dictionary(uniqueKeysWithValues: byEnsemble.map { ($0.0, Dictionary(uniqueKeysWithValues: $0.1.breakdown)) }),
                skipped: skipped)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do { try AtomicFile.write(try encoder.encode(report), to: json) } catch {
                throw UserError("\(error)")
            }
        }
        if recordings.isEmpty { throw UserError("no recording could be evaluated; see the reasons above") }
    }

    /// What --json writes: the settings, the overall metrics (and their order), each recording's.
    struct EvaluationReport: Encodable {
        struct Recording: Encodable { var id: String, seconds: Double, metrics: [String: Double] }
        var weights: String, data: String, split: String, stride: Int
        /// nil: the mean of every window over a frame (`decoding` says which in words).
        var lookahead: Int?
        var decoding: String
        var metrics: [String: Double]
        var names: [String]
        var recordings: [Recording]
        /// Per instrument and per ensemble: frame and note precision, recall, F1.
        var instruments: [String: [String: Double]]
        var ensembles: [String: [String: Double]]
        var skipped: [String]
    }

    /// mir_eval's note scores of a transcription against its labels.
    func scoreTranscription(notes: String, labels: String) throws {
        let estimated = try EventFileReader.notes(csv: notes)
        let reference = try Labels.read(labels).map { (pitch: $0.note, onset: $0.startSeconds, offset: $0.endSeconds) }
        var evaluation = Evaluation()
        evaluation.addNotes(reference: reference, estimated: estimated)
        print(String(format: "%d notes transcribed, %d labelled: note precision %.3f, recall %.3f, F1 %.3f "
                     + "(onsets within 50 ms); with offsets F1 %.3f", estimated.count, reference.count,
                     evaluation.notePrecision, evaluation.noteRecall, evaluation.noteF1, evaluation.noteWithOffsetF1))
    }
}
