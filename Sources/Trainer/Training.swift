// Training: the loop - batches through the network, BCE, Adam - with a validation pass and a
// checkpoint each epoch, exact resumption, and the test metrics at the end.
import Foundation
import Model

public enum WeightsSource: Sendable, Equatable {
    /// New weights, initialised from the seed.
    case fresh
    /// The released weights at this path (--load-weights main).
    case released(String)
    /// The latest checkpoint of the run folder (--load-weights dev): resumes exactly.
    case latestCheckpoint
}

/// How the learning rate moves over the run. The seed keeps it constant; `cosine` warms up
/// linearly over the first 2% of the run (Adam's early steps on a fresh transformer are the
/// unstable ones) and then decays along a half cosine to a twentieth of the base rate.
public enum LearningRateSchedule: String, Sendable, CaseIterable {
    case constant, cosine

    /// The factor on the base rate at `progress` (0 at the first step, 1 at the end of the run).
    public func factor(at progress: Double) -> Double {
        switch self {
        case .constant: return 1
        case .cosine:
            let p = min(max(progress, 0), 1), floor = 0.05, warmup = 0.02
            let decay = floor + (1 - floor) * 0.5 * (1 + cos(Double.pi * p))
            return p < warmup ? decay * max(p / warmup, 0.01) : decay
        }
    }
}

public struct TrainingOptions: Sendable {
    /// A preprocess output folder: train/ (and test/, used for the final metrics).
    public var data: String
    public var runDirectory: String
    public var batchSize = 8
    public var adam = AdamSettings()
    public var epochs = 25
    public var allowedErrors = [0, 1, 2]
    /// Network hyper-parameters; n_bins, n_notes and bins_per_note come from the chunks.
    public var model = ModelConfig()
    public var threads = 1
    public var seed: UInt64 = 0
    public var weights = WeightsSource.fresh
    /// Fraction of the training recordings held out for the validation pass (by recording). nil:
    /// the checkpoint's when resuming (`.latestCheckpoint`), otherwise `defaultValidationFraction`.
    public var validationFraction: Double?
    /// Seed of the validation draw, apart from `seed`: the stages of one model keep one
    /// validation set though each stage shuffles with a seed of its own. nil: the checkpoint's
    /// when resuming, otherwise 0.
    public var validationSeed: UInt64?
    public static let defaultValidationFraction = 0.1
    public var prefetch = 4
    public var schedule = LearningRateSchedule.constant
    /// Read each training window shifted by a random number of frames every epoch (DataLoader).
    public var randomShifts = true
    /// Residual dropout rate in training, in [0, 1): 0 (the seed's) drops nothing.
    public var dropout: Float = 0

    public init(data: String, runDirectory: String) {
        self.data = data
        self.runDirectory = runDirectory
    }
}

public struct TrainingProgress: Sendable {
    public var epoch: Int, epochs: Int
    public var batch: Int, batches: Int
    public var loss: Float
    public var windowsPerSecond: Double
    public var secondsLeft: Double
}

public struct EpochSummary: Codable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var validationLoss: Double
    public var validationF1: Double
    public var windowsPerSecond: Double
    /// Seconds the step waited for the data loader this epoch.
    public var dataWaitSeconds: Double
    public var seconds: Double

    // A run without validation (--validation-fraction 0) has no validation loss or F1: NaN, which
    // JSON cannot hold as a number, so the checkpoint's history writes it as the string "nan".
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

public struct TrainingError: Error, CustomStringConvertible {
    public var description: String
}

public final class TrainingRun {
    public let options: TrainingOptions
    public let network: ParallelNetwork
    public let adam: AdamOptimizer
    public let train: ChunkStore
    public let validation: ChunkStore?
    public let test: ChunkStore?
    /// Epochs finished (including those of a resumed run).
    public private(set) var epochsDone = 0
    public private(set) var history: [EpochSummary] = []
    /// Where the weights came from when the run did not start from scratch: the weights file and
    /// what its own metadata says of it, then where that one started, so that a file made in
    /// stages says so (`transcriber info`) rather than looking like one run from scratch.
    public private(set) var startedFrom: String?
    /// The validation draw this run uses: the options', or when they leave it open, the resumed
    /// checkpoint's (or the defaults).
    public let validationFraction: Double
    public let validationSeed: UInt64
    let config: ModelConfig

    public init(_ options: TrainingOptions) throws {
        guard options.dropout >= 0, options.dropout < 1 else {
            throw TrainingError(description: "the dropout rate must be at least 0 and below 1, not \(options.dropout) "
                + "(it is the fraction of each residual branch dropped in training; 0.1 is usual)")
        }
        self.options = options
        // A resumed run reads its checkpoint first: the recordings it validates on are the ones
        // the checkpoint's run drew, or resuming would validate on recordings it trained on.
        var resumed: (path: String, epoch: Int, file: SafeTensorsFile)?
        if case .latestCheckpoint = options.weights {
            guard let (path, epoch) = Self.latestCheckpoint(in: options.runDirectory) else {
                throw TrainingError(description: "--load-weights dev: no checkpoint in '\(options.runDirectory)' to resume; "
                    + "start without --load-weights or name the run folder of an earlier run")
            }
            do { resumed = (path, epoch, try SafeTensorsFile.read(path)) } catch {
                throw TrainingError(description: "cannot resume from the checkpoint '\(path)': \(error). Remove it to resume "
                    + "from the one before (two are kept), or start again without --load-weights")
            }
        }
        (validationFraction, validationSeed) = try Self.validationDraw(options, resuming: resumed.map { ($0.path, $0.file.metadata) })
        let trainFolder = (options.data as NSString).appendingPathComponent("train")
        let all = try ChunkStore(folder: trainFolder)
        let validationIds = Self.heldOut(all.ids, fraction: validationFraction, seed: validationSeed)
        train = validationIds.isEmpty ? all : try ChunkStore(folder: trainFolder, ids: Set(all.ids).subtracting(validationIds))
        validation = validationIds.isEmpty ? nil : try ChunkStore(folder: trainFolder, ids: validationIds)
        let testFolder = (options.data as NSString).appendingPathComponent("test")
        test = FileManager.default.fileExists(atPath: testFolder) ? try? ChunkStore(folder: testFolder) : nil

        var config = options.model
        config.nBins = all.bins
        config.nNotes = all.notes
        config.binsPerNote = Int(all.metadata["bins_per_note"] ?? "") ?? config.binsPerNote
        self.config = config
        try FileManager.default.createDirectory(atPath: options.runDirectory, withIntermediateDirectories: true)

        let net: TranscriptionNetwork
        adam = AdamOptimizer(layout: ParameterLayout(config), settings: options.adam)
        switch options.weights {
        case .fresh:
            net = try TranscriptionNetwork(config: config, seed: options.seed)
            // Start the output at the targets' base rate (logit of the fraction of active
            // (frame, note) pairs): notes are sparse (~2%), and from PyTorch's zero-mean init the
            // first epochs only learn that prior. Measured on the test corpus: reaches the notes
            // in a third of the steps.
            let rate = try Self.positiveRate(all)
            if rate > 0 && rate < 1 {
                net.parameters["decoder.fc2.bias"].update(repeating: Float(log(rate / (1 - rate))))
            }
        case let .released(path):
            let (loaded, metadata) = try WeightsFile.load(path)
            guard loaded.config == config else {
                throw TrainingError(description: "the released weights '\(path)' have other settings (\(loaded.config)) "
                    + "than this run (\(config)); pass the matching hyper-parameters or start fresh")
            }
            try Self.checkFrontEnd(metadata, against: all.metadata, what: path)
            net = loaded
            startedFrom = Self.lineage(of: path, metadata)
        case .latestCheckpoint:
            guard let (path, epoch, file) = resumed else { preconditionFailure("the checkpoint is read above") }
            let saved = try ModelConfig(metadata: file.metadata)
            guard saved == config else {
                throw TrainingError(description: "the checkpoint '\(path)' was trained with other settings (\(saved)); "
                    + "resume with the same hyper-parameters")
            }
            net = try TranscriptionNetwork(config: config)
            try WeightsFile.fill(net.parameters, from: file)
            try WeightsFile.fill(adam.m, from: file, prefix: "adam.m.")
            try WeightsFile.fill(adam.v, from: file, prefix: "adam.v.")
            adam.step = Int(file.metadata["adam_step"] ?? "") ?? 0
            epochsDone = epoch
            startedFrom = file.metadata["started_from"]
            if let json = file.metadata["history"], let data = json.data(using: .utf8) {
                history = (try? EpochSummary.historyDecoder.decode([EpochSummary].self, from: data)) ?? []
            }
        }
        network = try ParallelNetwork(network: net, threads: options.threads)
    }

    /// The validation fraction and seed: those given, else a resumed checkpoint's, else the
    /// defaults. A checkpoint written before `validation_seed` was recorded drew with its training
    /// `seed`. Resuming with a fraction or seed other than the checkpoint's is refused: it would
    /// move recordings the run trained on into validation.
    static func validationDraw(_ options: TrainingOptions, resuming checkpoint: (path: String, metadata: [String: String])?)
        throws -> (fraction: Double, seed: UInt64) {
        guard let (path, metadata) = checkpoint else {
            return (options.validationFraction ?? TrainingOptions.defaultValidationFraction, options.validationSeed ?? 0)
        }
        let savedFraction = metadata["validation_fraction"].flatMap(Double.init) ?? TrainingOptions.defaultValidationFraction
        let savedSeed = (metadata["validation_seed"] ?? metadata["seed"]).flatMap { UInt64($0) } ?? 0
        if let asked = options.validationFraction, asked != savedFraction {
            throw TrainingError(description: "the run in '\(path)' validates on a fraction \(savedFraction) of its recordings; "
                + "resuming with --validation-fraction \(asked) would validate on others (some it trained on). "
                + "Leave --validation-fraction out to keep \(savedFraction), or start a new run folder")
        }
        if let asked = options.validationSeed, asked != savedSeed {
            throw TrainingError(description: "the run in '\(path)' drew its validation recordings with --validation-seed "
                + "\(savedSeed); resuming with \(asked) would validate on others (some it trained on). "
                + "Leave --validation-seed out to keep \(savedSeed), or start a new run folder")
        }
        return (savedFraction, savedSeed)
    }

    /// The recordings held out for validation: those whose (seed, id) draw falls below `fraction`.
    /// Whether one is held out depends on its id and the seed alone, never on the other recordings,
    /// so a corpus that grows (a second batch of renderings, a run started from an earlier run's
    /// weights) never moves a recording that was trained on into validation. The seed is the
    /// validation seed, not the training seed: when it was the training seed, stages run with
    /// seeds 0, 1, 2 validated on recordings an earlier stage had trained on (153 of 241 in the
    /// bundled weights' second stage, 251 of 337 in the third). (A ranking of all ids
    /// did: of the 117 recordings the bundled weights' second stage validated on, 41 had been
    /// trained on in the first.) A corpus too small for any draw to fall below still holds out one
    /// recording, and always keeps one to train on.
    static func heldOut(_ ids: [String], fraction: Double, seed: UInt64) -> Set<String> {
        guard ids.count >= 2, fraction > 0 else { return [] }
        let draws = ids.map { id in (id, Double(mix(Preprocess.stableHash("\(seed)/\(id)")) >> 11) / Double(1 << 53)) }
        var held = Set(draws.filter { $0.1 < fraction }.map(\.0))
        if held.isEmpty { held = [draws.min { $0.1 < $1.1 }!.0] }
        if held.count == ids.count { held.remove(draws.max { $0.1 < $1.1 }!.0) }
        return held
    }

    /// SplitMix64's finaliser: FNV-1a of ids that differ in their last digits is far from uniform
    /// in its high bits; this spreads it over all 64.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The fraction of target entries that are 1, over (up to 2000 of) the store's windows.
    static func positiveRate(_ store: ChunkStore) throws -> Double {
        let t = store.frames, f = store.bins, k = store.notes
        var frames = [Float](repeating: 0, count: t * f), targets = [Float](repeating: 0, count: t * k)
        var ones = 0.0, total = 0.0
        for index in stride(from: 0, to: store.count, by: max(1, store.count / 2000)) {
            try store.copy(index, frames: &frames, targets: &targets)
            ones += Double(targets.reduce(0, +))
            total += Double(targets.count)
        }
        return total > 0 ? ones / total : 0
    }

    static func checkFrontEnd(_ weights: [String: String], against chunks: [String: String], what: String) throws {
        for key in ["sample_rate", "hop_length", "bins_per_note", "lowest_note", "n_bins", "cqt_alignment", "cqt_compression"] {
            if let a = weights[key], let b = chunks[key], a != b {
                throw TrainingError(description: "'\(what)' was made with \(key)=\(a) but the data with \(key)=\(b)")
            }
        }
    }

    /// The highest epoch-NNNN.safetensors of a run folder.
    public static func latestCheckpoint(in folder: String) -> (path: String, epoch: Int)? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let epochs = names.compactMap { name -> Int? in
            guard name.hasPrefix("epoch-"), name.hasSuffix(".safetensors") else { return nil }
            return Int(name.dropFirst(6).dropLast(12))
        }
        guard let epoch = epochs.max() else { return nil }
        return ((folder as NSString).appendingPathComponent(String(format: "epoch-%04d.safetensors", epoch)), epoch)
    }

    /// The metadata every weights file of this run carries: front end, network, note space, and
    /// the weights it started from, if any.
    public var weightsMetadata: [String: String] {
        train.metadata.filter { !["windows_per_recording", "seed", "chunk_format"].contains($0.key) }
            .merging(config.metadata) { $1 }
            .merging(startedFrom.map { ["started_from": $0] } ?? [:]) { $1 }
    }

    /// "best.safetensors (epoch 10, epochs 10, learning rate 0.0008, schedule cosine, seed 0,
    /// validation F1 0.9209)", followed by " <- " and that file's own `started_from` when it has one.
    static func lineage(of path: String, _ metadata: [String: String]) -> String {
        let facts: [(String, String)] = [("epoch", "epoch"), ("epochs", "epochs"), ("learning_rate", "learning rate"),
                                         ("learning_rate_schedule", "schedule"), ("seed", "seed"),
                                         ("best_validation_f1", "validation F1")]
        let said = facts.compactMap { key, name in metadata[key].map { "\(name) \($0)" } }
        let this = (path as NSString).lastPathComponent + (said.isEmpty ? "" : " (" + said.joined(separator: ", ") + ")")
        return metadata["started_from"].map { this + " <- " + $0 } ?? this
    }

    /// Trains until `options.epochs` epochs are done (or `stop()`); returns the test evaluation
    /// when the preprocess output has a test split.
    @discardableResult
    public func run(stop: () -> Bool = { false }, progress: (TrainingProgress) -> Void = { _ in },
                    epochEnd: (EpochSummary) -> Void = { _ in }) throws -> Evaluation? {
        let t = train.frames
        while epochsDone < options.epochs {
            let epoch = epochsDone + 1
            let loader = DataLoader(store: train, batchSize: options.batchSize, seed: options.seed, epoch: epoch,
                                    randomShifts: options.randomShifts, prefetch: options.prefetch)
            let start = Date()
            var lossSum = 0.0, windows = 0, batchIndex = 0
            while let batch = try loader.next() {
                if stop() { return nil }
                // Masks from the seed and the step alone, so a resumed run drops what this one would have.
                if options.dropout > 0 {
                    network.setDropout(ResidualDropout(rate: options.dropout, seed: Self.mix(Self.mix(options.seed) ^ UInt64(adam.step))))
                }
                batch.frames.withUnsafeBufferPointer { _ = network.forward($0.baseAddress!, batch: batch.size, frames: t, training: true) }
                let loss = batch.targets.withUnsafeBufferPointer {
                    network.backward(targets: $0.baseAddress!, batch: batch.size, frames: t)
                }
                guard loss.isFinite else {
                    let kept = Self.latestCheckpoint(in: options.runDirectory).map { "; the last good checkpoint is \($0.path)" } ?? ""
                    throw TrainingError(description: "the loss became \(loss) at epoch \(epoch), batch \(batchIndex + 1)\(kept). "
                        + "Lower the learning rate (--lr) and resume with --load-weights dev")
                }
                // A function of the epoch and batch alone, so a resumed run takes the same steps.
                let progressOfRun = (Double(epoch - 1) + Double(batchIndex) / Double(max(loader.batches, 1))) / Double(options.epochs)
                adam.settings.learningRate = Float(Double(options.adam.learningRate) * options.schedule.factor(at: progressOfRun))
                adam.update(network.parameters, gradients: network.gradients)
                lossSum += Double(loss) * Double(batch.size)
                windows += batch.size
                batchIndex += 1
                let elapsed = Date().timeIntervalSince(start)
                let rate = Double(windows) / max(elapsed, 1e-9)
                let remaining = Double(loader.batches - batchIndex) * Double(options.batchSize) / rate
                    + Double(options.epochs - epoch) * Double(train.count) / rate
                progress(TrainingProgress(epoch: epoch, epochs: options.epochs, batch: batchIndex, batches: loader.batches,
                                          loss: Float(lossSum / Double(windows)), windowsPerSecond: rate, secondsLeft: remaining))
            }
            let trainSeconds = Date().timeIntervalSince(start)
            let (validationLoss, validationEvaluation) = try validation.map { try evaluate($0) } ?? (.nan, Evaluation())
            let summary = EpochSummary(epoch: epoch, trainLoss: lossSum / Double(max(windows, 1)),
                                       validationLoss: validationLoss, validationF1: validationEvaluation.f1,
                                       windowsPerSecond: Double(windows) / max(trainSeconds, 1e-9),
                                       dataWaitSeconds: loader.waitSeconds, seconds: Date().timeIntervalSince(start))
            history.append(summary)
            epochsDone = epoch
            try writeCheckpoint(epoch: epoch)
            epochEnd(summary)
        }
        return try test.map { try evaluate($0).evaluation }
    }

    /// Mean loss and frame metrics of the network on every window of `store`.
    public func evaluate(_ store: ChunkStore) throws -> (loss: Double, evaluation: Evaluation) {
        let loader = DataLoader(store: store, batchSize: 32, seed: 0, epoch: 0, shuffle: false, prefetch: 2)
        let t = store.frames, k = store.notes
        var evaluation = Evaluation(), lossSum = 0.0, windows = 0
        let lowest = Int(store.metadata["lowest_note"] ?? "") ?? 21
        let pitchClass: ((Int) -> Int)? = k == 12 ? nil : { (lowest + $0) % 12 }
        while let batch = try loader.next() {
            let logits = batch.frames.withUnsafeBufferPointer {
                Array(network.forward($0.baseAddress!, batch: batch.size, frames: t))
            }
            let loss = logits.withUnsafeBufferPointer { l in
                batch.targets.withUnsafeBufferPointer { y in binaryCrossEntropyWithLogits(nil, l.baseAddress!, y.baseAddress!, count: l.count) }
            }
            lossSum += Double(loss) * Double(batch.size)
            windows += batch.size
            var probabilities = [Float](repeating: 0, count: logits.count)
            probabilities.withUnsafeMutableBufferPointer { p in
                logits.withUnsafeBufferPointer { sigmoidArray(p.baseAddress!, $0.baseAddress!, count: $0.count) }
            }
            evaluation.addFrames(probabilities: probabilities, targets: batch.targets, notes: k,
                                 allowedErrors: options.allowedErrors, pitchClassOf: pitchClass)
        }
        return (lossSum / Double(max(windows, 1)), evaluation)
    }

    /// epoch-NNNN.safetensors (weights, Adam's moments and step, history) and weights.safetensors
    /// (weights only, for --weights), each written to a temporary file and renamed; checkpoints
    /// older than the last two are removed.
    func writeCheckpoint(epoch: Int) throws {
        let historyJSON = String(decoding: try EpochSummary.historyEncoder.encode(history), as: UTF8.self)
        let metadata = weightsMetadata.merging([
            "epoch": "\(epoch)", "adam_step": "\(adam.step)", "seed": "\(options.seed)",
            "learning_rate": "\(options.adam.learningRate)", "learning_rate_schedule": options.schedule.rawValue,
            "epochs": "\(options.epochs)", "batch_size": "\(options.batchSize)", "dropout": "\(options.dropout)",
            "validation_fraction": "\(validationFraction)", "validation_seed": "\(validationSeed)",
            "history": historyJSON,
        ]) { $1 }
        var checkpoint = SafeTensorsWriter(metadata: metadata)
        WeightsFile.add(network.parameters, to: &checkpoint)
        WeightsFile.add(adam.m, to: &checkpoint, prefix: "adam.m.")
        WeightsFile.add(adam.v, to: &checkpoint, prefix: "adam.v.")
        let folder = options.runDirectory as NSString
        try checkpoint.write(to: folder.appendingPathComponent(String(format: "epoch-%04d.safetensors", epoch)))
        var weights = SafeTensorsWriter(metadata: metadata.filter { $0.key != "history" })
        WeightsFile.add(network.parameters, to: &weights)
        try weights.write(to: folder.appendingPathComponent("weights.safetensors"))
        // The epoch with the best validation frame F1 so far, kept apart: a run that overfits
        // late still leaves its best weights (the history rides in the checkpoints, so a resumed
        // run knows the best before it).
        if let latest = history.last, history.allSatisfy({ $0.validationF1.isNaN || $0.validationF1 <= latest.validationF1 }),
           !latest.validationF1.isNaN {
            var best = SafeTensorsWriter(metadata: metadata.filter { $0.key != "history" }.merging(
                ["best_validation_f1": String(format: "%.4f", latest.validationF1)]) { $1 })
            WeightsFile.add(network.parameters, to: &best)
            try best.write(to: folder.appendingPathComponent("best.safetensors"))
        }
        if epoch > 2 {
            try? FileManager.default.removeItem(atPath: folder.appendingPathComponent(String(format: "epoch-%04d.safetensors", epoch - 2)))
        }
    }
}
