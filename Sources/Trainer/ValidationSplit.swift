// ValidationSplit: which training recordings a run holds out to validate on - drawn by id and
// seed alone, so a growing corpus or a resumed run never validates on what it trained on.
import Model
import Support

public enum ValidationSplit {
    /// The validation fraction and seed: those given, else a resumed checkpoint's, else the
    /// defaults. A checkpoint written before `validation_seed` was recorded drew with its training
    /// `seed`. Resuming with a fraction or seed other than the checkpoint's is refused: it would
    /// move recordings the run trained on into validation.
    public static func draw(_ options: TrainingOptions, resuming checkpoint: (path: String, metadata: [String: String])?)
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
    public static func heldOut(_ ids: [String], fraction: Double, seed: UInt64) -> Set<String> {
        guard ids.count >= 2, fraction > 0 else { return [] }
        let draws = ids.map { id in (id, Double(SeededGenerator.mix(Preprocess.stableHash("\(seed)/\(id)")) >> 11) / Double(1 << 53)) }
        var held = Set(draws.filter { $0.1 < fraction }.map(\.0))
        if held.isEmpty { held = [draws.min { $0.1 < $1.1 }!.0] }
        if held.count == ids.count { held.remove(draws.max { $0.1 < $1.1 }!.0) }
        return held
    }
}
