// `transcriber info` and `transcriber predict` as a user runs them.
import Foundation
import Model
import Testing

func cliScratch() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

let cliConfig = ModelConfig(c: 1, embedDim: 8, nLayers: 1, nHeads: 2, headDim: 4, nNotes: 5, binsPerNote: 2, nBins: 12)

@Suite struct ModelCommandTests {
    @Test func infoShowsSettingsAndParameterCount() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = dir.appendingPathComponent("w.safetensors").path
        try WeightsFile.save(try TranscriptionNetwork(config: cliConfig, seed: 1), extra: ["hop_length": "512"], to: weights)
        let result = try runTranscriber(["info", weights])
        #expect(result.status == 0)
        #expect(result.stdout.contains("parameters: \(cliConfig.parameterCount.formatted())"))
        #expect(result.stdout.contains("n_layers=1"))
        #expect(result.stdout.contains("hop_length"))
    }

    @Test func infoOnADamagedFileFailsClearly() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = dir.appendingPathComponent("w.safetensors").path
        try WeightsFile.save(try TranscriptionNetwork(config: cliConfig, seed: 1), to: weights)
        let data = try Data(contentsOf: URL(fileURLWithPath: weights))
        try data.prefix(data.count - 100).write(to: URL(fileURLWithPath: weights))
        let result = try runTranscriber(["info", weights])
        #expect(result.status != 0)
        #expect(result.stderr.contains("truncated"), "stderr: \(result.stderr)")
    }

    @Test func predictWritesTheNetworksProbabilities() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = dir.appendingPathComponent("w.safetensors").path
        let network = try TranscriptionNetwork(config: cliConfig, seed: 2)
        try WeightsFile.save(network, extra: ["window_frames": "4"], to: weights)
        let frames = 8
        let cqt = (0..<(frames * cliConfig.nBins)).map { Float(sin(Double($0) * 0.37)) }
        var writer = SafeTensorsWriter()
        writer.add("cqt", shape: [frames, cliConfig.nBins], values: cqt)
        let features = dir.appendingPathComponent("f.safetensors").path
        try writer.write(to: features)
        let output = dir.appendingPathComponent("p.safetensors").path
        let result = try runTranscriber(["predict", features, "--weights", weights, "-o", output])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let written = try SafeTensorsFile.read(output)
        #expect(written.info("probabilities")?.shape == [frames, cliConfig.nNotes])
        let expected = try WindowedPrediction.probabilities(network: try ParallelNetwork(network: network, threads: 1), features: cqt, frames: frames, window: 4, stride: 4)
        #expect(try written.floats("probabilities") == expected)
        #expect(written.metadata["n_layers"] == "1")
    }

    @Test func predictRejectsFeaturesOfTheWrongSize() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = dir.appendingPathComponent("w.safetensors").path
        try WeightsFile.save(try TranscriptionNetwork(config: cliConfig, seed: 2), to: weights)
        var writer = SafeTensorsWriter()
        writer.add("cqt", shape: [3, 10], values: Array(repeating: 0, count: 30))
        let features = dir.appendingPathComponent("f.safetensors").path
        try writer.write(to: features)
        let output = dir.appendingPathComponent("p.safetensors").path
        let result = try runTranscriber(["predict", features, "--weights", weights, "-o", output])
        #expect(result.status != 0)
        #expect(result.stderr.contains("10 bins per frame but the weights expect 12"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
