// `transcriber info W`: what a weights file holds - settings, parameter count, metadata.
import ArgumentParser
import Foundation
import Model
import Pipeline

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the settings, parameter count and metadata of a weights file.")

    @Argument(help: "A weights file (.safetensors).")
    var weights: String

    func run() throws {
        // The network alone: a file without a front end can still be inspected (and is told why
        // it cannot transcribe).
        let (network, metadata) = try WeightsFile.load(weights)
        let config = network.config
        let size = (try? FileManager.default.attributesOfItem(atPath: weights)[.size] as? Int) ?? 0
        print("\(weights)  (\(formatBytes(size)))")
        print("network: c=\(config.c) embed_dim=\(config.embedDim) n_layers=\(config.nLayers) n_heads=\(config.nHeads) "
              + "head_dim=\(config.headDim) n_notes=\(config.nNotes) bins_per_note=\(config.binsPerNote) n_bins=\(config.nBins)"
              + (config.harmonics == [1] ? "" : " harmonics=" + config.harmonics.map { "\($0)" }.joined(separator: ","))
              + (config.hasContext ? " context_frames=\(config.contextFrames) (a summary of the audio before each window)" : ""))
        print("outputs: " + config.heads.map(\.rawValue).joined(separator: ", ")
              + (config.onsetHead ? "" : " (no onset head: notes begin where the frame probability rises)"))
        print("parameters: \(config.parameterCount.formatted())")
        do {
            let data = try WeightsDescription(data: DataDescription(metadata: metadata, of: weights), network: config, of: weights).data
            let f = data.frontEnd
            let bins = f.scale == .cqt ? "\(f.binsPerNote) bins per note from \(NoteName.name(ofMIDI: f.lowestNote))"
                : "\(f.scale == .stft ? "log-STFT" : "log-mel"), \(f.binCount) bins from \(Int(f.frequency(ofBin: 0))) Hz to "
                + "\(Int(f.frequency(ofBin: f.binCount - 1))) Hz, \(f.windowLength)-sample window"
            print("front end: \(f.sampleRate) Hz, hop \(f.hopLength), \(bins), "
                  + "\(f.alignment.rawValue) alignment; window \(data.windowFrames) frames; "
                  + (data.onlyNoteNames ? "12 pitch classes" : "\(data.space.count) keys"))
        } catch {
            print("cannot transcribe with these weights: \(error)")
        }
        print("metadata:")
        let width = metadata.keys.map(\.count).max() ?? 0
        for key in metadata.keys.sorted() {
            print("  " + key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + metadata[key]!)
        }
    }
}

func formatBytes(_ bytes: Int) -> String {
    if bytes >= 1 << 20 { return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) }
    if bytes >= 1 << 10 { return String(format: "%.1f KiB", Double(bytes) / Double(1 << 10)) }
    return "\(bytes) bytes"
}
