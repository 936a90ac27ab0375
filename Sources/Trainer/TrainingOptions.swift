// TrainingOptions: what a training run is asked to do - data, hyper-parameters, schedule,
// where its weights start - and what it reports (progress, each epoch's summary, errors).
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
    /// A context summary's time constant in seconds (0: none): the run sets the network's
    /// contextFrames from it at the data's frame rate.
    public var contextSeconds = 0.0
    public var threads = 1
    public var seed: UInt64 = 0
    public var weights = WeightsSource.fresh
    /// Starting from `.released` weights made with another front end of the same shape (another
    /// variable-Q gamma, hop or alignment): carry their tensors over and learn this data's input,
    /// instead of refusing them. The notes must still match.
    public var acceptOtherFrontEnd = false
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
    /// The network's heads. nil: a resumed run's own; otherwise frame, onset and velocity
    /// (weights started from that lack a head get it fresh).
    public var outputs: [NetworkHead]?
    /// How the heads' losses add up (MODEL.md).
    public var lossWeights = LossWeights()
    /// Frames each onset target covers in training: the labelled onset's frame and the ones after
    /// it (1: its own alone, as preprocess stores them).
    public var onsetFrames = 1

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
    /// Note F1 on the validation windows (notes decoded in each window, matched by onset within
    /// 50 ms): nil in histories from before it was measured, NaN without validation.
    public var validationNoteF1: Double?
    public var windowsPerSecond: Double
    /// Seconds the step waited for the data loader this epoch.
    public var dataWaitSeconds: Double
    public var seconds: Double
    /// Seconds this epoch spent summing gradients across processes (nil: one process).
    public var allreduceSeconds: Double?
    /// Steps this epoch.
    public var steps: Int?

    /// What chooses the best epoch: the validation note F1 where measured (`noteF1` true), the
    /// frame F1 in older histories; nil without validation.
    public var score: (value: Double, noteF1: Bool)? {
        if let validationNoteF1, !validationNoteF1.isNaN { return (validationNoteF1, true) }
        return validationF1.isNaN ? nil : (validationF1, false)
    }
}

public struct TrainingError: Error, CustomStringConvertible {
    public var description: String
}
