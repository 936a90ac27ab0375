// TrainingRun: the loop - batches through the network, binary cross-entropy, Adam - with a
// validation pass and a checkpoint each epoch, and the test metrics at the end. Where the weights
// start (fresh, released, resumed), the validation split and the checkpoints are decided by
// ValidationSplit and CheckpointStore; this file sets up a run and steps it.
import Foundation
import Model
import Pipeline
import Support

public final class TrainingRun {
    public let options: TrainingOptions
    public let network: ParallelNetwork
    public let adam: AdamOptimizer
    public let train: ChunkStore
    public let validation: ChunkStore?
    public let test: ChunkStore?
    public let checkpoints: CheckpointStore
    /// Epochs finished (including those of a resumed run).
    public private(set) var epochsDone = 0
    public private(set) var history: [EpochSummary] = []
    /// Where the weights came from when the run did not start from scratch (CheckpointStore.lineage).
    public private(set) var startedFrom: String?
    /// The validation draw this run uses: the options', or when they leave it open, the resumed
    /// checkpoint's (or the defaults).
    public let validationFraction: Double
    public let validationSeed: UInt64
    /// What the chunks are (front end, window, notes): every weights file of the run records it.
    public let data: DataDescription
    let config: ModelConfig

    public init(_ options: TrainingOptions) throws {
        guard options.dropout >= 0, options.dropout < 1 else {
            throw TrainingError(description: "the dropout rate must be at least 0 and below 1, not \(options.dropout) "
                + "(it is the fraction of each residual branch dropped in training; 0.1 is usual)")
        }
        self.options = options
        checkpoints = CheckpointStore(folder: options.runDirectory)
        // A resumed run reads its checkpoint first: the recordings it validates on are the ones
        // the checkpoint's run drew, or resuming would validate on recordings it trained on.
        let resumed = options.weights == .latestCheckpoint ? try checkpoints.resume() : nil
        (validationFraction, validationSeed) = try ValidationSplit.draw(options, resuming: resumed.map { ($0.path, $0.metadata) })
        let trainFolder = (options.data as NSString).appendingPathComponent("train")
        let all = try ChunkStore(folder: trainFolder)
        let validationIds = ValidationSplit.heldOut(all.ids, fraction: validationFraction, seed: validationSeed)
        train = validationIds.isEmpty ? all : try ChunkStore(folder: trainFolder, ids: Set(all.ids).subtracting(validationIds))
        validation = validationIds.isEmpty ? nil : try ChunkStore(folder: trainFolder, ids: validationIds)
        let testFolder = (options.data as NSString).appendingPathComponent("test")
        test = FileManager.default.fileExists(atPath: testFolder) ? try? ChunkStore(folder: testFolder) : nil
        data = try DataDescription(metadata: all.metadata, of: trainFolder)

        var config = options.model
        config.nBins = data.frontEnd.binCount
        config.nNotes = data.space.count
        config.binsPerNote = data.frontEnd.binsPerNote
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
            let weights = try Weights.load(path)
            guard weights.network.config == config else {
                throw TrainingError(description: "the released weights '\(path)' have other settings (\(weights.network.config)) "
                    + "than this run (\(config)); pass the matching hyper-parameters or start fresh")
            }
            try weights.description.data.checkCompatible(with: data, this: path, other: trainFolder)
            net = weights.network
            startedFrom = CheckpointStore.lineage(of: path, weights.metadata)
        case .latestCheckpoint:
            guard let resumed else { preconditionFailure("the checkpoint is read above") }
            let saved = try ModelConfig(metadata: resumed.metadata)
            guard saved == config else {
                throw TrainingError(description: "the checkpoint '\(resumed.path)' was trained with other settings (\(saved)); "
                    + "resume with the same hyper-parameters")
            }
            net = try TranscriptionNetwork(config: config)
            try resumed.restore(net, adam)
            epochsDone = resumed.epoch
            startedFrom = resumed.startedFrom
            history = resumed.history
        }
        network = try ParallelNetwork(network: net, threads: options.threads)
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

    /// The metadata every weights file of this run carries: data (front end, window, notes),
    /// network, and the weights it started from, if any.
    public var weightsMetadata: [String: String] {
        data.metadata.merging(config.metadata) { $1 }.merging(startedFrom.map { ["started_from": $0] } ?? [:]) { $1 }
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
                    let seed = SeededGenerator.mix(SeededGenerator.mix(options.seed) ^ UInt64(adam.step))
                    network.setDropout(ResidualDropout(rate: options.dropout, seed: seed))
                }
                batch.frames.withUnsafeBufferPointer { _ = network.forward($0.baseAddress!, batch: batch.size, frames: t, training: true) }
                let loss = batch.targets.withUnsafeBufferPointer {
                    network.backward(targets: $0.baseAddress!, batch: batch.size, frames: t)
                }
                guard loss.isFinite else {
                    let kept = checkpoints.latest.map { "; the last good checkpoint is \($0.path)" } ?? ""
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
            try checkpoints.write(epoch: epoch, metadata: checkpointMetadata(epoch: epoch), network: network.parameters,
                                  adam: adam, history: history)
            epochEnd(summary)
        }
        return try test.map { try evaluate($0).evaluation }
    }

    /// What every file of epoch `epoch` records: the weights' metadata and the run's settings,
    /// so that a resumed run continues exactly and `transcriber info` tells how it was made.
    func checkpointMetadata(epoch: Int) -> [String: String] {
        weightsMetadata.merging([
            "epoch": "\(epoch)", "adam_step": "\(adam.step)", "seed": "\(options.seed)",
            "learning_rate": "\(options.adam.learningRate)", "learning_rate_schedule": options.schedule.rawValue,
            "epochs": "\(options.epochs)", "batch_size": "\(options.batchSize)", "dropout": "\(options.dropout)",
            "validation_fraction": "\(validationFraction)", "validation_seed": "\(validationSeed)",
        ]) { $1 }
    }

    /// Mean loss and frame metrics of the network on every window of `store`.
    public func evaluate(_ store: ChunkStore) throws -> (loss: Double, evaluation: Evaluation) {
        let loader = DataLoader(store: store, batchSize: 32, seed: 0, epoch: 0, shuffle: false, prefetch: 2)
        let t = store.frames, k = store.notes
        var evaluation = Evaluation(), lossSum = 0.0, windows = 0
        let space = data.space
        let pitchClass: ((Int) -> Int)? = data.onlyNoteNames ? nil : { space.pitchClass(ofIndex: $0) }
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
}
