// Makes the small test model the live-path tests run (Tests/Fixtures/test-model.safetensors):
// the project's own trainer on synthetic harmonic tones over three octaves. Run once:
//   MAKE_TEST_MODEL=1 swift test --filter makeTestModel
import Foundation
import Pipeline
import Testing
import TestSupport
@testable import Model
@testable import Trainer

@Test(.enabled(if: ProcessInfo.processInfo.environment["MAKE_TEST_MODEL"] == "1", "set MAKE_TEST_MODEL=1 to remake the fixture"))
func makeTestModel() throws {
    let root = scratchFolder("trainer")
    defer { try? FileManager.default.removeItem(at: root) }
    let data = root.appendingPathComponent("data")
    try SyntheticCorpus.make(root: data, count: 48, seconds: 8, seed: 11, pitches: Array(48...84), voices: 2)
    try SyntheticCorpus.make(root: data, split: "test", count: 6, seconds: 8, seed: 12, pitches: Array(48...84), voices: 2)
    for split in ["train", "test"] {
        var options = PreprocessOptions(data: data.path, output: root.appendingPathComponent("chunks").path)
        options.split = split
        options.windowsPerRecording = 0
        _ = try Preprocess.run(options)
    }
    var options = TrainingOptions(data: root.appendingPathComponent("chunks").path, runDirectory: root.appendingPathComponent("run").path)
    options.model = tinyModel
    options.epochs = 30
    options.batchSize = 8
    options.adam.learningRate = 3e-3
    options.seed = 3
    let run = try TrainingRun(options)
    let test = try run.run(epochEnd: { print("epoch \($0.epoch): loss \($0.trainLoss), validation F1 \($0.validationF1)") })!
    print("test model: frame F1 \(test.f1), AP \(test.averagePrecision), parameters \(run.network.config.parameterCount)")
    let out = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/test-model.safetensors")
    var metadata = run.weightsMetadata
    metadata["trained_on"] = "SyntheticCorpus: 48 x 8 s of harmonic tones, MIDI 48-84, 2 voices (Tests/TrainerTests/TestModelMaker.swift)"
    metadata["test_frame_f1"] = String(format: "%.3f", test.f1)
    var writer = SafeTensorsWriter(metadata: metadata)
    WeightsFile.add(run.network.parameters, to: &writer)
    try writer.write(to: out.path)
}
