// `transcriber predict FEATURES --weights W -o OUT`: per-frame note probabilities from CQT frames,
// as the transcription engine computes them before it decodes notes.
import ArgumentParser
import Foundation
import Model
import Pipeline
import StreamingCQT

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the network over CQT frames and write per-frame note probabilities.",
        discussion: """
            FEATURES is a safetensors file with a tensor 'cqt' [frames, bins] (what `transcriber cqt` \
            writes). The frames go through the same engine as `file`: a window ending every --stride \
            frames, each frame the mean of every window over it, or with --lookahead taken from the \
            first window holding that many frames after it (as live decodes). The probabilities \
            written are the very numbers `file` decodes its notes from. Writes 'probabilities' \
            [frames, notes] with the weights' metadata.
            """)

    @Argument(help: "CQT frames (.safetensors with a 'cqt' tensor [frames, bins]).")
    var features: String

    @Option(help: "The weights file.")
    var weights: String

    @Option(name: .shortAndLong, help: "Where to write the probabilities (.safetensors).")
    var output: String

    @Option(help: "Frames between network windows (file's default).")
    var stride: Int = EngineSettings.file.stride

    @Option(help: "Take each frame from the first window with this many frames after it, as live does (default: the mean of every window over it).")
    var lookahead: Int?

    @Option(help: overlapHelp)
    var overlap: OverlapWeighting = EngineSettings.file.overlap

    @Option(help: "Cores to use.")
    var threads: Int = 1

    func validate() throws {
        if stride <= 0 { throw ValidationError("--stride must be a positive number of frames") }
        if let lookahead, lookahead < 0 { throw ValidationError("--lookahead must be 0 or more frames") }
        if threads <= 0 { throw ValidationError("--threads must be at least 1") }
        try validateOverlap(overlap, lookahead: lookahead)
    }

    func run() throws {
        let loaded = try Weights.load(weights)
        let file = try SafeTensorsFile.read(features)
        guard let info = file.info("cqt") else {
            throw UserError("'\(features)' has no tensor 'cqt' [frames, bins]; it is not a features file")
        }
        guard info.shape.count == 2 else {
            throw UserError("tensor 'cqt' in '\(features)' has shape \(info.shape); expected [frames, bins]")
        }
        let frontEnd: CQTSettings
        do { frontEnd = try CQTSettings(metadata: file.metadata) } catch {
            throw UserError("'\(features)' does not say how its frames were made (\(error)); make it with `transcriber cqt`")
        }
        let differences = loaded.description.data.frontEndDifferences(frontEnd)
        guard differences.isEmpty else {
            throw UserError("'\(features)' was made with another front end than '\(weights)' ("
                + differences.joined(separator: "; ") + "); compute the features with the weights' CQT settings")
        }
        let (frames, bins) = (info.shape[0], info.shape[1])
        guard bins == frontEnd.binCount else {
            throw UserError("'\(features)' has \(bins) bins per frame but its settings give \(frontEnd.binCount)")
        }
        let settings = EngineSettings(stride: stride, lookahead: lookahead, windowBatch: EngineSettings.fileWindowBatch,
                                      overlap: overlap)
        let engine = try TranscriptionEngine(weights: loaded, threads: threads, settings: settings)
        var probabilities: [Float] = []
        probabilities.reserveCapacity(frames * engine.space.count)
        engine.frameObserver = { probabilities.append(contentsOf: $0) }
        try file.floats("cqt").withUnsafeBufferPointer { try engine.push(frames: $0) }
        try engine.finish()
        var writer = SafeTensorsWriter(metadata: loaded.metadata.merging([
            "stride": "\(stride)", "lookahead": lookahead.map { "\($0)" } ?? "none: the mean of every window over a frame" + overlap.inWords,
            "source": features,
        ]) { $1 })
        writer.add("probabilities", shape: [frames, engine.space.count], values: probabilities)
        try writer.write(to: output)
        printError("wrote \(frames) frames x \(engine.space.count) notes to \(output)")
    }
}
