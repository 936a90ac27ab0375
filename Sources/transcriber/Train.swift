// `transcriber train`: train the network on preprocessed windows, checkpoint each epoch, test.
import ArgumentParser
import Foundation
import Model
import Trainer
import DataParallel

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the network on preprocessed windows; checkpoint each epoch; report test metrics.",
        discussion: """
            DATA is a `transcriber preprocess` output (train/, and test/ for the final metrics). \
            Each epoch writes RUN_DIR/epoch-NNNN.safetensors (weights and Adam state) and \
            RUN_DIR/weights.safetensors (for --weights elsewhere). --load-weights dev resumes the \
            latest checkpoint of RUN_DIR exactly; main starts from the released weights. Started by \
            `mpirun -np N`, the N processes share every batch of --batch-size windows (each computes \
            the gradients of its share; they are summed with MPI_Allreduce) and rank 0 writes the \
            files; every rank must see DATA and RUN_DIR (a shared folder).
            """)

    @Option(help: "A preprocess output folder.") var data: String
    @Option(help: "Where checkpoints and weights go.") var runDir: String
    @Option(help: "Windows per step.") var batchSize: Int = 8
    @Option(help: "Batches prepared ahead on a background thread.") var numWorkers: Int = 4
    @Option(help: "Adam's learning rate.") var lr: Float = 5e-4
    @Option(help: "constant (the seed's) or cosine (decays to a twentieth of --lr by the last epoch).")
    var lrSchedule: String = "constant"
    @Option(help: "Epochs to train (a resumed run counts the epochs already done).") var epochs: Int = 25
    @Option(parsing: .upToNextOption, help: "Wrong notes allowed per frame in the exact accuracy.") var allowedErrors: [Int] = [0, 1, 2]
    @Option(help: "Transformer layers.") var nLayers: Int = 4
    @Option(help: "Attention heads.") var nHeads: Int = 4
    @Option(help: "Width of each head.") var headDim: Int = 32
    @Option(help: "Encoder width multiplier (4c channels).") var c: Int = 3
    @Option(help: "Transformer width.") var embedDim: Int = 192
    @Option(help: ArgumentHelp("Harmonics stacked as conv1's input channels, e.g. 0.5,1,2,3,4,5 (basic-pitch's input); 1 is the plain CQT.",
                               discussion: "A new network's setting (trained from scratch); a resumed run passes the same list."))
    var harmonics: String = "1"
    @Option(help: ArgumentHelp("Give the network a summary of everything heard before each window: a running mean of the CQT frames with this time constant, in seconds (0: none).",
                               discussion: "Long context for the cost of a running mean a frame. Starting from weights without one (--load-weights), it starts at zero; a resumed run passes the same value."))
    var contextSeconds: Double = 0
    @Option(help: "main (the released weights), dev (resume the latest checkpoint of --run-dir), or a weights file to start from.")
    var loadWeights: String?
    @Flag(help: ArgumentHelp("Start from --load-weights made with another front end (another --gamma, hop or alignment).",
                             discussion: "Their tensors carry over and the network learns this data's input; the weights written describe this data."))
    var newFrontEnd = false
    @Option(help: "Cores to use (the batch is split between them).") var threads: Int = 1
    @Option(help: "Seed for initialisation and shuffling.") var seed: UInt64 = 0
    @Option(help: "Under mpirun: end the job when no step has finished for this many seconds (a rank hung or unreachable).")
    var stepTimeout: Double = 600
    @Option(help: "Fraction of training recordings held out for validation (default 0.1; a resumed run keeps its own).")
    var validationFraction: Double?
    @Option(help: "Seed of the validation draw, kept across the stages of one model (default 0; a resumed run keeps its own).")
    var validationSeed: UInt64?
    @Flag(inversion: .prefixedNo,
          help: "Shift each window by a random number of frames every epoch (windows preprocessed back to back, --n-batches 0).")
    var randomShifts = true
    @Option(help: "Residual dropout in training: the fraction of each block's attention and MLP output dropped (0: none).")
    var dropout: Float = 0
    @Option(help: ArgumentHelp("The network's heads: frame, frame,onset or frame,onset,velocity (default: a resumed run's own, else all three).",
                               discussion: "Starting from weights that lack a head (--load-weights), the head starts fresh."))
    var outputs: String?
    @Option(help: "Weight of the onset head's loss beside the frame head's.") var onsetWeight: Float = 1
    @Option(help: "Weight of the velocity head's loss beside the frame head's.") var velocityWeight: Float = 1
    @Option(help: ArgumentHelp("Weight of the onsets (the positive entries) in the onset head's loss.",
                               discussion: "Onsets are rare; above 1 the head learns to reach the decoder's threshold instead of hedging below it."))
    var onsetPositiveWeight: Float = 1
    @Option(help: ArgumentHelp("Frames each onset target covers: the labelled onset's and the ones after it (1 to 4).",
                               discussion: "The frame an attack is first heard in can be the labelled one or the next; 2 marks both."))
    var onsetFrames = 1

    func validate() throws {
        if let loadWeights, !["main", "dev"].contains(loadWeights), !FileManager.default.fileExists(atPath: loadWeights) {
            throw ValidationError("--load-weights is main, dev, or a weights file; '\(loadWeights)' is none of these")
        }
        if newFrontEnd, loadWeights == nil || loadWeights == "dev" {
            throw ValidationError("--new-front-end goes with --load-weights main or a weights file: the weights to carry over to this data's front end")
        }
        guard batchSize >= 1, epochs >= 1, threads >= 1 else { throw ValidationError("--batch-size, --epochs and --threads must be at least 1") }
        guard lr > 0 else { throw ValidationError("--lr must be positive") }
        if let validationFraction, !(validationFraction >= 0 && validationFraction < 1) {
            throw ValidationError("--validation-fraction is at least 0 and below 1 (0.1 holds out a tenth of the recordings)")
        }
        guard contextSeconds >= 0, contextSeconds.isFinite else {
            throw ValidationError("--context-seconds is 0 (no context) or a time constant in seconds, such as 30; it is \(contextSeconds)")
        }
        guard dropout >= 0, dropout < 1 else { throw ValidationError("--dropout must be at least 0 and below 1 (0.1 is usual)") }
        guard LearningRateSchedule(rawValue: lrSchedule) != nil else { throw ValidationError("--lr-schedule is constant or cosine") }
        _ = try heads()
        guard onsetWeight >= 0, velocityWeight >= 0, onsetWeight.isFinite, velocityWeight.isFinite else {
            throw ValidationError("--onset-weight and --velocity-weight must be finite and not negative (1 adds the head's loss as it is)")
        }
        guard (1...4).contains(onsetFrames) else {
            throw ValidationError("--onset-frames is 1 to 4 (1: the labelled onset's frame alone); it is \(onsetFrames)")
        }
        guard onsetPositiveWeight > 0, onsetPositiveWeight.isFinite else {
            throw ValidationError("--onset-positive-weight must be finite and above 0 (1 weights onsets like the other entries)")
        }
    }

    /// --outputs as heads: frame first, each known head at most once.
    func heads() throws -> [NetworkHead]? {
        guard let outputs else { return nil }
        let names = outputs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let heads = names.compactMap(NetworkHead.init(rawValue:))
        guard heads.count == names.count, heads.first == .frame, Set(heads).count == heads.count else {
            throw ValidationError("--outputs is frame, frame,onset, frame,velocity or frame,onset,velocity; '\(outputs)' is not")
        }
        return heads
    }

    func run() throws {
        Interrupt.install()
        var options = TrainingOptions(data: data, runDirectory: runDir)
        options.batchSize = batchSize
        options.prefetch = numWorkers
        options.adam.learningRate = lr
        options.epochs = epochs
        options.schedule = LearningRateSchedule(rawValue: lrSchedule) ?? .constant
        options.allowedErrors = allowedErrors
        guard let stacked = ModelConfig.harmonics(parsing: harmonics) else {
            throw ValidationError("--harmonics is a list of positive numbers such as 0.5,1,2,3,4,5; '\(harmonics)' is not")
        }
        options.model = ModelConfig(c: c, embedDim: embedDim, nLayers: nLayers, nHeads: nHeads, headDim: headDim,
                                    harmonics: stacked)
        options.contextSeconds = contextSeconds
        options.threads = threads
        options.seed = seed
        options.validationFraction = validationFraction
        options.validationSeed = validationSeed
        options.randomShifts = randomShifts
        options.dropout = dropout
        options.outputs = try heads()
        options.acceptOtherFrontEnd = newFrontEnd
        options.lossWeights = LossWeights(onset: onsetWeight, velocity: velocityWeight, onsetPositive: onsetPositiveWeight)
        options.onsetFrames = onsetFrames
        switch loadWeights {
        case "main":
            let path = defaultWeightsPath()
            guard FileManager.default.fileExists(atPath: path) else {
                throw UserError("--load-weights main: there are no released weights at \(path) yet; "
                    + "train from scratch (leave out --load-weights) or resume a run with --load-weights dev")
            }
            options.weights = .released(path)
        case "dev": options.weights = .latestCheckpoint
        case let path?: options.weights = .released(path)
        default: options.weights = .fresh
        }
        let group = try Cluster.group()
        let run: TrainingRun
        do { run = try TrainingRun(options, group: group) } catch {
            throw UserError(group.size > 1 ? "rank \(group.rank) of \(group.size): \(error)" : "\(error)")
        }
        if group.size > 1 {
            let watchdog = Watchdog(seconds: stepTimeout, rank: group.rank, size: group.size)
            run.heartbeat = { watchdog.beat() }
        }
        let primary = group.isPrimary
        if primary {
            printError("training \(run.network.config.parameterCount.formatted()) parameters on \(run.train.count) windows "
                + "(\(run.train.ids.count) recordings), validating on \(run.validation?.count ?? 0) "
                + "(validation seed \(run.validationSeed)), "
                + (group.size > 1 ? "\(group.size) processes x " : "")
                + "\(threads) thread(s)" + (run.epochsDone > 0 ? ", resuming after epoch \(run.epochsDone)" : "")
                + "; heads " + run.network.config.heads.map(\.rawValue).joined(separator: ", ")
                + (run.freshHeads.isEmpty ? "" : " (" + run.freshHeads.map(\.rawValue).joined(separator: ", ") + " new)"))
        }
        let bar = ProgressBar()
        let test = try run.run(stop: { Interrupt.isRequested }, progress: { p in
            guard primary else { return }
            bar.update(Double(p.batch) / Double(max(p.batches, 1)),
                       String(format: "epoch %d/%d  batch %d/%d  loss %.4f  %.0f windows/s  ETA %@", p.epoch, p.epochs,
                              p.batch, p.batches, p.loss, p.windowsPerSecond, formatDuration(p.secondsLeft)))
        }, epochEnd: { e in
            guard primary else { return }
            bar.finish()
            let validation = e.validationLoss.isNaN ? "no validation recordings"
                : String(format: "validation loss %.4f, validation frame F1 %.3f, note F1 %.3f", e.validationLoss, e.validationF1,
                         e.validationNoteF1 ?? .nan)
            let summing = e.allreduceSeconds.map { String(format: ", %.1f ms a step summing gradients", 1000 * $0 / Double(max(e.steps ?? 1, 1))) } ?? ""
            printError(String(format: "epoch %d: train loss %.4f, %@, %.0f windows/s%@, waited %.1f s for data, %@", e.epoch,
                              e.trainLoss, validation, e.windowsPerSecond, summing, e.dataWaitSeconds, formatDuration(e.seconds)))
        })
        if Interrupt.isRequested || run.epochsDone < epochs {
            throw UserError("interrupted: the epochs finished are checkpointed in \(runDir); resume with --load-weights dev")
        }
        defer { Cluster.finish(group) }
        guard primary else { return }
        if let test {
            print("test metrics (windows of \(data)/test):")
            for (name, value) in test.summary(allowedErrors: allowedErrors) {
                print("  " + name.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: "%.4f", value))
            }
        }
        print("weights: \((runDir as NSString).appendingPathComponent("weights.safetensors"))")
    }
}

/// The bundled default weights, next to the executable's package (Models/default.safetensors).
func defaultWeightsPath() -> String { packageFile("Models/default.safetensors") }

/// `relative` in the package the executable was built in (found by walking up from the
/// executable), or `relative` itself when it is not found.
func packageFile(_ relative: String) -> String {
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var folder = executable.deletingLastPathComponent()
    for _ in 0..<5 {
        let candidate = folder.appendingPathComponent(relative)
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
        folder.deleteLastPathComponent()
    }
    return relative
}
