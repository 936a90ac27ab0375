// Fixtures: what several test targets make or read - scratch folders, the small synthetic
// corpus and network the trainer's tests use, and the committed test model.
import Foundation
import Model
import Trainer

/// The test corpus: SyntheticCorpus with its default pitches (one octave from middle C).
public enum TinyCorpus {
    public static let pitches = Array(60...71)

    @discardableResult
    public static func make(root: URL, split: String = "train", count: Int, seconds: Double, seed: UInt64) throws -> [String] {
        try SyntheticCorpus.make(root: root, split: split, count: count, seconds: seconds, seed: seed, pitches: pitches)
    }
}

/// A new empty folder under the temporary directory (the caller removes it).
public func scratchFolder(_ prefix: String = "test") -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The small network the tests train: fast in a debug build.
public let tinyModel = ModelConfig(c: 1, embedDim: 32, nLayers: 1, nHeads: 2, headDim: 16)

/// Files committed under Tests/Fixtures (the small trained test model, ...).
public enum Fixtures {
    public static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    /// A small network trained by the project's trainer on synthetic tones (TestModelMaker).
    public static var testModel: String { folder.appendingPathComponent("test-model.safetensors").path }
}
