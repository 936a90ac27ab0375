// Helpers for the trainer's tests: a scratch folder and the small network they train.
import Foundation
@testable import Model
@testable import Trainer

/// The test corpus: SyntheticCorpus with its default pitches (one octave from middle C).
enum TinyCorpus {
    static let pitches = Array(60...71)

    @discardableResult
    static func make(root: URL, split: String = "train", count: Int, seconds: Double, seed: UInt64) throws -> [String] {
        try SyntheticCorpus.make(root: root, split: split, count: count, seconds: seconds, seed: seed, pitches: pitches)
    }
}

func trainerScratch() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The small network the tests train: fast in a debug build.
let tinyModel = ModelConfig(c: 1, embedDim: 32, nLayers: 1, nHeads: 2, headDim: 16)
