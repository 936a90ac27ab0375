// TrainingRun: the loop - batches through the network, the heads' losses, Adam - with a
// validation pass and a checkpoint each epoch, and the test metrics at the end. Where the weights
// start (fresh, released, resumed), the validation split and the checkpoints are decided by
// ValidationSplit and CheckpointStore; this file sets up a run and steps it. Across several
// processes (a ProcessGroup from mpirun) each computes the gradients of its share of every
// global batch, the shares are summed, and every process takes the same Adam step.
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
    /// For a network with a context summary: each store's table of them, by store.
    private let contextTables: [ObjectIdentifier: ContextTable]
    public let checkpoints: CheckpointStore
    /// The processes this run is shared between (one by default); rank 0 writes the files.
    public let group: ProcessGroup
    /// This process's share of every batch.
    let shard: Shard
    /// Called after every step and every evaluated batch: a sign of life for a watchdog.
    public var heartbeat: () -> Void = {}
    /// Epochs finished (including those of a resumed run).
    public private(set) var epochsDone = 0
    public private(set) var history: [EpochSummary] = []
    /// Where the weights came from when the run did not start from scratch (CheckpointStore.lineage).
    public private(set) var startedFrom: String?
    /// Heads the starting weights lacked, begun fresh (fine-tuning frame-only weights).
    public private(set) var freshHeads: [NetworkHead] = []
    /// The validation draw this run uses: the options', or when they leave it open, the resumed
    /// checkpoint's (or the defaults).
    public let validationFraction: Double
    public let validationSeed: UInt64
    /// What the chunks are (front end, window, notes): every weights file of the run records it.
    public let data: DataDescription
    let config: ModelConfig

    public init(_ options: TrainingOptions, group: ProcessGroup = SingleProcess()) throws {
        guard options.dropout >= 0, options.dropout < 1 else {
            throw TrainingError(description: "the dropout rate must be at least 0 and below 1, not \(options.dropout) "
                + "(it is the fraction of each residual branch dropped in training; 0.1 is usual)")
        }
        guard group.size <= options.batchSize else {
            throw TrainingError(description: "\(group.size) processes share a global batch of \(options.batchSize) windows: each "
                + "needs at least one. Start at most \(options.batchSize) processes, or raise --batch-size (it is the whole "
                + "batch, shared between the processes)")
        }
        self.options = options
        self.group = group
        shard = Shard(index: group.rank, count: group.size)
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
        if config.harmonics != [1] && data.frontEnd.scale != .cqt {
            throw TrainingError(description: "--harmonics shifts by musical intervals, which needs the CQT's log-spaced bins; "
                + "the windows in '\(trainFolder)' are \(data.frontEnd.scale.rawValue): preprocess them with --front-end cqt")
        }
        let heads = try options.outputs ?? resumed.map { try ModelConfig(metadata: $0.metadata).heads } ?? NetworkHead.allCases
        config.onsetHead = heads.contains(.onset)
        config.velocityHead = heads.contains(.velocity)
        guard options.contextSeconds >= 0, options.contextSeconds.isFinite else {
            throw TrainingError(description: "the context summary's time constant must be 0 (none) or a number of seconds, not \(options.contextSeconds)")
        }
        config.contextFrames = options.contextSeconds > 0 ? max(1, Int((options.contextSeconds * data.frontEnd.frameRate).rounded())) : 0
        if config.heads.count > 1 && !all.hasOnsets {
            throw TrainingError(description: "the windows in '\(trainFolder)' have no onset or velocity targets (preprocessed by an "
                + "earlier version): run `transcriber preprocess` again (it redoes them), or train the frame head alone with --outputs frame")
        }
        self.config = config
        var tables: [ObjectIdentifier: ContextTable] = [:]
        if config.hasContext {
            for store in [train, validation, test].compactMap({ $0 }) {
                tables[ObjectIdentifier(store)] = try ContextTable(store: store, timeConstant: config.contextFrames, threads: options.threads)
            }
        }
        contextTables = tables
        try FileManager.default.createDirectory(atPath: options.runDirectory, withIntermediateDirectories: true)

        let net: TranscriptionNetwork
        adam = AdamOptimizer(layout: ParameterLayout(config), settings: options.adam)
        switch options.weights {
        case .fresh:
            net = try TranscriptionNetwork(config: config, seed: options.seed)
            try Self.startAtBaseRates(net, all, heads: config.heads)
        case let .released(path):
            let weights = try Weights.load(path)
            var theirs = weights.network.config
            (theirs.onsetHead, theirs.velocityHead) = (config.onsetHead, config.velocityHead)
            if !theirs.hasContext { theirs.contextFrames = config.contextFrames }
            guard theirs == config else {
                throw TrainingError(description: "the released weights '\(path)' have other settings (\(weights.network.config)) "
                    + "than this run (\(config)); pass the matching hyper-parameters or start fresh")
            }
            var theirData = weights.description.data
            // Fine-tuning to a new front end: the tensors fit (the config matched); the notes must still be the same.
            if options.acceptOtherFrontEnd { theirData.frontEnd = data.frontEnd }
            try theirData.checkCompatible(with: data, this: path, other: trainFolder)
            // Fine-tuning: every tensor the weights have carries over; a head they lack starts
            // fresh (seeded, at its targets' base rate) - frame-only weights grow onset and velocity heads.
            net = try TranscriptionNetwork(config: config, seed: options.seed)
            let newHeads = config.heads.filter { !weights.network.config.heads.contains($0) }
            try Self.startAtBaseRates(net, all, heads: newHeads)
            for entry in weights.network.parameters.layout.entries where net.parameters.layout.entry(entry.name) != nil {
                _ = net.parameters[entry.name].update(fromContentsOf: weights.network.parameters[entry.name])
            }
            // A context grown onto weights without one starts at zero: the network they were.
            if config.hasContext && !weights.network.config.hasContext { net.parameters["context.weight"].update(repeating: 0) }
            freshHeads = newHeads
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
        network.lossWeights = options.lossWeights
        if group.size > 1 { try checkEveryProcessAgrees() }
    }

    /// Every process must run the same program on the same data with the same settings and
    /// start from the same weights, or their sums mean nothing: compares a fingerprint of all of
    /// it across the processes.
    func checkEveryProcessAgrees() throws {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ text: String) { for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 } }
        func mix(_ value: UInt64) { hash = SeededGenerator.mix(hash ^ value) }
        mix("\(options.batchSize) \(options.adam) \(options.epochs) \(options.seed) \(options.schedule) \(options.dropout) "
            + "\(options.randomShifts) \(config) \(options.lossWeights) \(validationFraction) \(validationSeed) \(epochsDone) \(adam.step)")
        mix(weightsMetadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
        mix(train.ids.joined(separator: ",") + "|" + (validation?.ids.joined(separator: ",") ?? ""))
        mix(UInt64(train.count))
        for value in network.parameters.values { mix(UInt64(value.bitPattern)) }
        mix(Self.executableFingerprint())
        let (low, high) = try group.range(hash)
        guard low == high else {
            throw TrainingError(description: "the \(group.size) processes of this job differ: another program version, other "
                + "data, other settings or other starting weights on some of them. Start every rank with the same "
                + "transcriber binary, options and data (a shared folder, or identical copies)")
        }
    }

    /// This program's size and three 1 MiB samples of it (start, middle, end): enough to tell two
    /// builds apart without reading all of it.
    static func executableFingerprint() -> UInt64 {
        guard let file = FileHandle(forReadingAtPath: "/proc/self/exe"),
              let size = try? file.seekToEnd() else { return 0 }
        var hash = SeededGenerator.mix(size)
        for offset in [0, size / 2, size > 1 << 20 ? size - (1 << 20) : 0] {
            try? file.seek(toOffset: offset)
            for byte in (try? file.read(upToCount: 1 << 20)) ?? Data() { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        }
        return hash
    }

    /// The fraction of frame (or onset) target entries that are 1, over (up to 2000 of) the store's windows.
    static func positiveRate(_ store: ChunkStore, onsets: Bool = false) throws -> Double {
        let t = store.frames, f = store.bins, k = store.notes
        var frames = [Float](repeating: 0, count: t * f), targets = [Float](repeating: 0, count: t * k), onset = targets
        var ones = 0.0, total = 0.0
        for index in stride(from: 0, to: store.count, by: max(1, store.count / 2000)) {
            try onset.withUnsafeMutableBufferPointer { o in
                try store.copy(index, frames: &frames, targets: &targets, onsets: onsets ? o.baseAddress : nil)
            }
            ones += Double((onsets ? onset : targets).reduce(0, +))
            total += Double(targets.count)
        }
        return total > 0 ? ones / total : 0
    }

    /// Starts each of `heads` (frame, onset) at its targets' base rate: the logit of the fraction
    /// of (frame, note) entries that are 1. Notes are sparse (~2%, onsets far sparser), and from
    /// PyTorch's zero-mean init the first epochs only learn that prior. Measured on the test
    /// corpus: the frame head reaches the notes in a third of the steps. The velocity head starts
    /// where it is (sigmoid 0.5: velocity 64).
    static func startAtBaseRates(_ net: TranscriptionNetwork, _ store: ChunkStore, heads: [NetworkHead]) throws {
        for head in heads where head != .velocity {
            let rate = try positiveRate(store, onsets: head == .onset)
            if rate > 0 && rate < 1 {
                net.parameters[head.parameterPrefix + ".fc2.bias"].update(repeating: Float(log(rate / (1 - rate))))
            }
        }
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
                                    randomShifts: options.randomShifts, shard: shard, withOnsets: config.heads.count > 1,
                                    onsetFrames: options.onsetFrames, context: contextTables[ObjectIdentifier(train)],
                                    prefetch: options.prefetch)
            let start = Date()
            var lossSum = 0.0, windows = 0, batchIndex = 0, allreduceSeconds = 0.0
            while let batch = try loader.next() {
                if group.size == 1 && stop() { return nil }
                // Masks from the seed, the step (and the process) alone, so a resumed run drops
                // what this one would have.
                if options.dropout > 0 {
                    let seed = SeededGenerator.mix(SeededGenerator.mix(options.seed) ^ UInt64(adam.step)) ^ UInt64(group.rank)
                    network.setDropout(ResidualDropout(rate: options.dropout, seed: seed))
                }
                var loss: Float = 0
                if batch.size > 0 {
                    batch.frames.withUnsafeBufferPointer { frames in
                        batch.withSummaries { _ = network.forward(frames.baseAddress!, batch: batch.size, frames: t, training: true, summaries: $0) }
                    }
                    loss = batch.withHeadTargets { network.backward(targets: $0, batch: batch.size, frames: t) }
                } else {
                    network.gradients.zero()   // a last batch smaller than the processes: nothing for this one
                }
                if group.size > 1 {
                    // The global batch's mean loss is the shares' means weighted by their sizes, and so
                    // is its gradient. A stop asked of any process stops them all at this step.
                    let weight = Float(batch.size) / Float(batch.globalSize), gradients = network.gradients.values
                    for i in gradients.indices { gradients[i] *= weight }
                    let sumStart = DispatchTime.now().uptimeNanoseconds
                    try group.sum(gradients.baseAddress!, count: gradients.count)
                    allreduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - sumStart) / 1e9
                    var shared = [Double(loss) * Double(batch.size), stop() ? 1 : 0]
                    try shared.withUnsafeMutableBufferPointer { try group.sum($0.baseAddress!, count: 2) }
                    loss = Float(shared[0] / Double(batch.globalSize))
                    if shared[1] > 0 { return nil }
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
                lossSum += Double(loss) * Double(batch.globalSize)
                windows += batch.globalSize
                batchIndex += 1
                heartbeat()
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
                                       validationNoteF1: validation == nil ? .nan : validationEvaluation.noteF1,
                                       windowsPerSecond: Double(windows) / max(trainSeconds, 1e-9),
                                       dataWaitSeconds: loader.waitSeconds, seconds: Date().timeIntervalSince(start),
                                       allreduceSeconds: group.size > 1 ? allreduceSeconds : nil, steps: batchIndex)
            history.append(summary)
            epochsDone = epoch
            if group.isPrimary {
                try checkpoints.write(epoch: epoch, metadata: checkpointMetadata(epoch: epoch), network: network.parameters,
                                      adam: adam, history: history)
            }
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

    /// Mean loss, frame metrics and note metrics of the network on every window of `store` (each
    /// process evaluates its share of every batch; the counts are summed). Notes are decoded in
    /// each window as the engine decodes them (the default thresholds) and matched by onset
    /// within 50 ms against the window's labelled notes - read from its onset targets where the
    /// chunks have them (so a repeated note is two), else from its frame targets.
    public func evaluate(_ store: ChunkStore) throws -> (loss: Double, evaluation: Evaluation) {
        let withOnsets = store.hasOnsets
        let loader = DataLoader(store: store, batchSize: 32 * group.size, seed: 0, epoch: 0, shuffle: false, shard: shard,
                                withOnsets: withOnsets, context: contextTables[ObjectIdentifier(store)], prefetch: 2)
        let t = store.frames, k = store.notes, heads = config.heads
        var evaluation = Evaluation(), lossSum = 0.0, windows = 0
        let space = data.space, frameSeconds = 1 / data.frontEnd.frameRate
        let pitchClass: ((Int) -> Int)? = data.onlyNoteNames ? nil : { space.pitchClass(ofIndex: $0) }
        let decoder = NoteDecoder(notes: k, heads: heads)
        let labelled = NoteDecoder(notes: k, settings: NoteDecoderSettings(minimumFrames: 1), onsets: withOnsets)
        var rows = [Float](repeating: 0, count: t * decoder.rowWidth), labelRows = [Float](repeating: 0, count: t * labelled.rowWidth)
        func notes(_ decoded: [DecodedNote]) -> [(pitch: Int, onset: Double, offset: Double)] {
            decoded.map {
                (space.pitch(ofIndex: $0.index), TranscriptionEngine.noteSeconds(atFrame: $0.onset, frameSeconds: frameSeconds),
                 TranscriptionEngine.noteSeconds(atFrame: $0.offset, frameSeconds: frameSeconds))
            }
        }
        while let batch = try loader.next() {
            heartbeat()
            guard batch.size > 0 else { continue }
            batch.frames.withUnsafeBufferPointer { frames in
                batch.withSummaries { _ = network.forward(frames.baseAddress!, batch: batch.size, frames: t, summaries: $0) }
            }
            let loss = batch.withHeadTargets { headLoss(heads, logits: network.output, targets: $0, weights: options.lossWeights) }
            lossSum += Double(loss) * Double(batch.size)
            windows += batch.size
            var probabilities: [NetworkHead: [Float]] = [:]
            for head in heads {
                let logits = network.output(head)
                var p = [Float](repeating: 0, count: logits.count)
                p.withUnsafeMutableBufferPointer { sigmoidArray($0.baseAddress!, logits.baseAddress!, count: logits.count) }
                probabilities[head] = p
            }
            evaluation.addFrames(probabilities: probabilities[.frame]!, targets: batch.targets, notes: k,
                                 allowedErrors: options.allowedErrors, pitchClassOf: pitchClass)
            for b in 0..<batch.size {
                for f in 0..<t {
                    let from = (b * t + f) * k
                    for (h, head) in heads.enumerated() {
                        for n in 0..<k { rows[(f * heads.count + h) * k + n] = probabilities[head]![from + n] }
                    }
                    for n in 0..<k {
                        labelRows[f * labelled.rowWidth + n] = batch.targets[from + n]
                        if withOnsets { labelRows[f * labelled.rowWidth + k + n] = batch.onsets[from + n] }
                    }
                }
                evaluation.addNotes(reference: notes(labelled.decodeAll(labelRows)), estimated: notes(decoder.decodeAll(rows)))
            }
        }
        if group.size > 1 {
            var counts = evaluation.counts(allowedErrors: options.allowedErrors) + [lossSum, Double(windows)]
            try counts.withUnsafeMutableBufferPointer { try group.sum($0.baseAddress!, count: $0.count) }
            (lossSum, windows) = (counts[counts.count - 2], Int(counts[counts.count - 1]))
            evaluation = Evaluation(counts: Array(counts.dropLast(2)), allowedErrors: options.allowedErrors)
        }
        return (lossSum / Double(max(windows, 1)), evaluation)
    }
}
