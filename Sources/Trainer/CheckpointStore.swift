// CheckpointStore: a run folder's checkpoints - written each epoch (weights, Adam's moments and
// step, the history), the last two kept, weights.safetensors and best.safetensors beside them -
// read back to resume exactly, and the lineage a weights file carries of where it started.
import Foundation
import Model

public struct CheckpointStore {
    public let folder: String

    public init(folder: String) { self.folder = folder }

    /// What a checkpoint holds to resume a run exactly.
    public struct Resumed {
        public var path: String
        public var epoch: Int
        public var file: SafeTensorsFile
        public var metadata: [String: String] { file.metadata }
        /// The epochs before, as the run logged them.
        public var history: [EpochSummary] {
            guard let json = file.metadata["history"], let data = json.data(using: .utf8) else { return [] }
            return (try? CheckpointStore.historyDecoder.decode([EpochSummary].self, from: data)) ?? []
        }
        public var adamStep: Int { Int(file.metadata["adam_step"] ?? "") ?? 0 }
        public var startedFrom: String? { file.metadata["started_from"] }

        /// Fills `network`, `adam`'s moments from the checkpoint (same settings, checked by shape).
        public func restore(_ network: TranscriptionNetwork, _ adam: AdamOptimizer) throws {
            try WeightsFile.fill(network.parameters, from: file)
            try WeightsFile.fill(adam.m, from: file, prefix: "adam.m.")
            try WeightsFile.fill(adam.v, from: file, prefix: "adam.v.")
            adam.step = adamStep
        }
    }

    /// The highest epoch-NNNN.safetensors of the folder.
    public var latest: (path: String, epoch: Int)? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let epochs = names.compactMap { name -> Int? in
            guard name.hasPrefix("epoch-"), name.hasSuffix(".safetensors") else { return nil }
            return Int(name.dropFirst(6).dropLast(12))
        }
        return epochs.max().map { (path(epoch: $0), $0) }
    }

    func path(epoch: Int) -> String { (folder as NSString).appendingPathComponent(String(format: "epoch-%04d.safetensors", epoch)) }

    /// The latest checkpoint, read (--load-weights dev); a clear error when there is none or it is damaged.
    public func resume() throws -> Resumed {
        guard let (path, epoch) = latest else {
            throw TrainingError(description: "--load-weights dev: no checkpoint in '\(folder)' to resume; "
                + "start without --load-weights or name the run folder of an earlier run")
        }
        do { return Resumed(path: path, epoch: epoch, file: try SafeTensorsFile.read(path)) } catch {
            throw TrainingError(description: "cannot resume from the checkpoint '\(path)': \(error). Remove it to resume "
                + "from the one before (two are kept), or start again without --load-weights")
        }
    }

    /// epoch-NNNN.safetensors (weights, Adam's moments and step, `history`) and weights.safetensors
    /// (weights only, for --weights), each whole or not at all; best.safetensors when this epoch
    /// has the best validation score so far (EpochSummary.score: the note F1, or the frame F1 of
    /// a history from before there was one). Checkpoints older than the last two are removed.
    public func write(epoch: Int, metadata: [String: String], network: ParameterBlock, adam: AdamOptimizer,
                      history: [EpochSummary]) throws {
        let historyJSON = String(decoding: try Self.historyEncoder.encode(history), as: UTF8.self)
        var checkpoint = SafeTensorsWriter(metadata: metadata.merging(["history": historyJSON]) { $1 })
        WeightsFile.add(network, to: &checkpoint)
        WeightsFile.add(adam.m, to: &checkpoint, prefix: "adam.m.")
        WeightsFile.add(adam.v, to: &checkpoint, prefix: "adam.v.")
        try checkpoint.write(to: path(epoch: epoch))
        var weights = SafeTensorsWriter(metadata: metadata)
        WeightsFile.add(network, to: &weights)
        try weights.write(to: (folder as NSString).appendingPathComponent("weights.safetensors"))
        // The epoch with the best validation score so far, kept apart: a run that overfits late
        // still leaves its best weights (the history rides in the checkpoints, so a resumed run
        // knows the best before it). Epochs are compared by the score the latest has.
        if let latest = history.last, let (score, noteF1) = latest.score,
           history.allSatisfy({ earlier in earlier.score.map { $0.noteF1 != noteF1 || $0.value <= score } ?? true }) {
            let key = noteF1 ? "best_validation_note_f1" : "best_validation_f1"
            var best = SafeTensorsWriter(metadata: metadata.merging([key: String(format: "%.4f", score)]) { $1 })
            WeightsFile.add(network, to: &best)
            try best.write(to: (folder as NSString).appendingPathComponent("best.safetensors"))
        }
        if epoch > 2 { try? FileManager.default.removeItem(atPath: path(epoch: epoch - 2)) }
    }

    /// "best.safetensors (epoch 10, epochs 10, learning rate 0.0008, schedule cosine, seed 0,
    /// validation F1 0.9209)", followed by " <- " and that file's own `started_from` when it has
    /// one: a file made in stages says so (`transcriber info`).
    public static func lineage(of path: String, _ metadata: [String: String]) -> String {
        let facts: [(String, String)] = [("epoch", "epoch"), ("epochs", "epochs"), ("learning_rate", "learning rate"),
                                         ("learning_rate_schedule", "schedule"), ("seed", "seed"),
                                         ("best_validation_f1", "validation F1"),
                                         ("best_validation_note_f1", "validation note F1")]
        let said = facts.compactMap { key, name in metadata[key].map { "\(name) \($0)" } }
        let this = (path as NSString).lastPathComponent + (said.isEmpty ? "" : " (" + said.joined(separator: ", ") + ")")
        return metadata["started_from"].map { this + " <- " + $0 } ?? this
    }

    // A run without validation (--validation-fraction 0) has no validation loss or F1: NaN, which
    // JSON cannot hold as a number, so the history writes it as the string "nan".
    static let nonFinite = (positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    static var historyEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity, nan: nonFinite.nan)
        return encoder
    }
    static var historyDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity, nan: nonFinite.nan)
        return decoder
    }
}
