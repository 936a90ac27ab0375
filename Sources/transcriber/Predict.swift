// `transcriber predict FEATURES --weights W -o OUT`: per-frame note probabilities from CQT frames.
import ArgumentParser
import Foundation
import Model

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the network over CQT frames and write per-frame note probabilities.",
        discussion: """
            FEATURES is a safetensors file with a tensor 'cqt' [frames, bins]. One-second windows \
            slide over it every --stride frames; a frame covered by several windows gets the mean \
            of their probabilities. With --stride equal to the window (43) the windows do not \
            overlap and each frame's value is exactly the network's. Writes 'probabilities' \
            [frames, notes] with the weights' metadata.
            """)

    @Argument(help: "CQT frames (.safetensors with a 'cqt' tensor [frames, bins]).")
    var features: String

    @Option(help: "The weights file.")
    var weights: String

    @Option(name: .shortAndLong, help: "Where to write the probabilities (.safetensors).")
    var output: String

    @Option(help: "Frames between window starts (default: the window length, no overlap).")
    var stride: Int?

    @Option(help: "Cores to use (windows are split between them).")
    var threads: Int = 1

    func validate() throws {
        if let stride, stride <= 0 { throw ValidationError("--stride must be a positive number of frames") }
        if threads <= 0 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let (loaded, metadata) = try WeightsFile.load(weights)
        let network = try ParallelNetwork(network: loaded, threads: threads)
        let file = try SafeTensorsFile.read(features)
        guard let info = file.info("cqt") else {
            throw UserError("'\(features)' has no tensor 'cqt' [frames, bins]; it is not a features file")
        }
        guard info.shape.count == 2 else {
            throw UserError("tensor 'cqt' in '\(features)' has shape \(info.shape); expected [frames, bins]")
        }
        let (frames, bins) = (info.shape[0], info.shape[1])
        guard bins == network.config.nBins else {
            throw UserError("'\(features)' has \(bins) bins per frame but the weights expect \(network.config.nBins) "
                + "(n_bins); compute the features with the weights' CQT settings")
        }
        for key in ["sample_rate", "hop_length", "bins_per_note", "lowest_note"] {
            if let mine = metadata[key], let theirs = file.metadata[key], mine != theirs {
                throw UserError("'\(features)' was made with \(key)=\(theirs) but the weights use \(key)=\(mine)")
            }
        }
        let window = Int(metadata["window_frames"] ?? "") ?? 43
        let probabilities = try WindowedPrediction.probabilities(
            network: network, features: try file.floats("cqt"), frames: frames,
            window: window, stride: stride ?? window)
        var writer = SafeTensorsWriter(metadata: metadata.merging([
            "window_frames": "\(window)", "stride": "\(stride ?? window)", "source": features,
        ]) { $1 })
        writer.add("probabilities", shape: [frames, network.config.nNotes], values: probabilities)
        try writer.write(to: output)
        printError("wrote \(frames) frames x \(network.config.nNotes) notes to \(output)")
    }
}
