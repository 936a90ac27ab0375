// `transcriber info` and `transcriber predict` as a user runs them.
import Foundation
import Model
import Pipeline
import StreamingCQT
import Testing

func cliScratch() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

let cliConfig = ModelConfig(c: 1, embedDim: 8, nLayers: 1, nHeads: 2, headDim: 4, nNotes: 6, binsPerNote: 2, nBins: 12)
/// The front end cliConfig's network takes: six notes from C4, two bins each.
let cliFrontEnd = CQTSettings(binsPerNote: 2, lowestNote: 60, notes: 6)

/// Saves `network` as a complete weights file (front end, window, notes) for cliFrontEnd.
func saveCLIWeights(_ network: TranscriptionNetwork, window: Int = 43, to path: String) throws {
    let data = DataDescription(frontEnd: cliFrontEnd, windowFrames: window, space: .keys(lowestNote: 60, count: 6))
    try WeightsFile.save(network, extra: data.metadata, to: path)
}

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
        #expect(result.stdout.contains("outputs: frame (no onset head"))
        var heads = cliConfig
        (heads.onsetHead, heads.velocityHead) = (true, true)
        try WeightsFile.save(try TranscriptionNetwork(config: heads, seed: 1), extra: ["hop_length": "512"], to: weights)
        let withHeads = try runTranscriber(["info", weights])
        #expect(withHeads.stdout.contains("outputs: frame, onset, velocity\n"))
        #expect(withHeads.stdout.contains("parameters: \(heads.parameterCount.formatted())"))
    }

    /// OpenBLAS 0.3.21 falls back to SSE3 kernels on CPUs newer than it (2.2x slower `file` on an
    /// Emerald Rapids Xeon); the command runs on the widest kernels the CPU has, whatever it is.
    @Test func runsOnTheWidestKernelsTheCPUHas() throws {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else { return }   // the user chose
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = dir.appendingPathComponent("w.safetensors").path
        try WeightsFile.save(try TranscriptionNetwork(config: cliConfig, seed: 1), to: weights)
        let result = try runTranscriber(["info", weights], environment: ["OPENBLAS_VERBOSE": "2"])
        #expect(result.status == 0)
        let cores = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Core: ") }.map { String($0.dropFirst(6)) }
        #expect((1...2).contains(cores.count), "stderr: \(result.stderr)")
        #expect(BLASKernels.better(than: cores.last ?? "", cpuFlags: BLASKernels.cpuFlags()) == nil, "kernels: \(cores)")
        #expect(result.stdout.contains("parameters:"))
    }

    /// OpenBLAS starts with one thread (the re-run sets OPENBLAS_NUM_THREADS=1): no worker pool
    /// spinning at start. A user's own setting is kept.
    @Test func openBLASStartsWithOneThreadUnlessTheUserChose() throws {
        let own = try runTranscriber(["bench", "--only", "none", "--runs", "1"], environment: ["OPENBLAS_NUM_THREADS": "2"])
        #expect(own.status == 0)
        #expect(own.stderr.contains("threads at start: 2"), "stderr: \(own.stderr)")
        guard ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil else { return }   // the user chose
        let result = try runTranscriber(["bench", "--only", "none", "--runs", "1"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("threads at start: 1"), "stderr: \(result.stderr)")
    }

    /// `bench --heads` times the network the bundled weights have: frame, onset and velocity heads.
    @Test func benchMeasuresTheShippedHeadsWhenAsked() throws {
        let result = try runTranscriber(["bench", "--only", "model.train.b8", "--runs", "1", "--heads"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let row = result.stdout.split(separator: "\n").first { $0.hasPrefix("model.train.b8") }
        let shipped = ModelConfig(onsetHead: true, velocityHead: true)
        #expect(row?.contains("heads: frame, onset, velocity (\(shipped.parameterCount) parameters)") == true,
                "stdout: \(result.stdout)")
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
        try saveCLIWeights(network, window: 4, to: weights)
        let frames = 8
        let cqt = (0..<(frames * cliConfig.nBins)).map { Float(sin(Double($0) * 0.37)) }
        var writer = SafeTensorsWriter(metadata: cliFrontEnd.metadata)
        writer.add("cqt", shape: [frames, cliConfig.nBins], values: cqt)
        let features = dir.appendingPathComponent("f.safetensors").path
        try writer.write(to: features)
        let output = dir.appendingPathComponent("p.safetensors").path
        // A window every 4 frames of 4: windows ending at frames 3 and 7 do not overlap, so each
        // frame's probability is the network's on its window.
        let result = try runTranscriber(["predict", features, "--weights", weights, "-o", output, "--stride", "4"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let written = try SafeTensorsFile.read(output)
        #expect(written.info("probabilities")?.shape == [frames, cliConfig.nNotes])
        let expected = cqt.withUnsafeBufferPointer { all in
            [0, 4].flatMap { start in Array(network.forward(all.baseAddress! + start * cliConfig.nBins, batch: 1, frames: 4)) }
        }.map { 1 / (1 + exp(-$0)) }
        #expect(zip(try written.floats("probabilities"), expected).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(written.metadata["n_layers"] == "1")
    }

    @Test func predictRejectsFeaturesOfTheWrongSize() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = dir.appendingPathComponent("w.safetensors").path
        try saveCLIWeights(try TranscriptionNetwork(config: cliConfig, seed: 2), to: weights)
        var writer = SafeTensorsWriter(metadata: CQTSettings(binsPerNote: 2, lowestNote: 60, notes: 5).metadata)
        writer.add("cqt", shape: [3, 10], values: Array(repeating: 0, count: 30))
        let features = dir.appendingPathComponent("f.safetensors").path
        try writer.write(to: features)
        let output = dir.appendingPathComponent("p.safetensors").path
        let result = try runTranscriber(["predict", features, "--weights", weights, "-o", output])
        #expect(result.status != 0)
        #expect(result.stderr.contains("another front end") && result.stderr.contains("n_bins 12 against 10"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
