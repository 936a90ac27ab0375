// `transcriber cqt FILE -o OUT`: the constant-Q frames of a recording, as the model sees them.
import ArgumentParser
import AudioIO
import Foundation
import Model
import StreamingCQT

/// The front end's settings as command-line options (defaults: the model's).
struct CQTOptions: ParsableArguments {
    @Option(help: "Sample rate the audio is resampled to.")
    var sr: Int = 22050
    @Option(help: "Samples between frames.")
    var hopLength: Int = 512
    @Option(help: "CQT bins per semitone.")
    var binsPerNote: Int = 4
    @Option(help: "Filter alignment: causal (live, no look-ahead) or centred (librosa's, ~1.5 s look-ahead).")
    var alignment: CQTAlignment = .causal
    @Option(help: "Variable-Q offset in Hz (shorter low filters, less latency).")
    var gamma: Double = 0
    @Option(help: ArgumentHelp("cqt (the model's), or for comparison stft (log-STFT) or mel (log-mel): as many bins as the CQT's.",
                               valueName: "kind"))
    var frontEnd: FrequencyScale = .cqt
    @Option(help: "stft and mel: samples in the DFT's Hann window.")
    var windowLength: Int = 2048

    var settings: CQTSettings {
        CQTSettings(sampleRate: sr, hopLength: hopLength, binsPerNote: binsPerNote, gamma: gamma, alignment: alignment,
                    scale: frontEnd, windowLength: windowLength)
    }
}

extension CQTAlignment: ExpressibleByArgument {}
extension FrequencyScale: ExpressibleByArgument {}

struct CQT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cqt",
        abstract: "Compute the constant-Q frames of an audio file (what the model sees).",
        discussion: """
            Reads any format libsndfile reads, downmixes to mono, resamples to --sr (libsoxr) \
            and writes a safetensors file with the tensor 'cqt' [frames, bins] (ln(1 + magnitude / 1e-4): 0 is silence, \
            lowest bin first) and the transform's settings in its metadata.
            """)

    @Argument(help: "An audio file (WAV, FLAC, OGG, AIFF, ...).")
    var file: String

    @Option(name: .shortAndLong, help: "Where to write the frames (.safetensors).")
    var output: String

    @OptionGroup var cqt: CQTOptions

    func run() throws {
        let settings = cqt.settings
        let bank = try CQTKernelBank(settings: settings)
        let (samples, info) = try AudioLoading.mono(file, sampleRate: settings.sampleRate)
        let frames = try BatchCQT.transform(samples, bank: bank)
        let count = frames.count / settings.binCount
        var writer = SafeTensorsWriter(metadata: settings.metadata.merging([
            "source": file, "source_sample_rate": "\(info.sampleRate)", "source_channels": "\(info.channels)",
        ]) { $1 })
        writer.add("cqt", shape: [count, settings.binCount], values: frames)
        try writer.write(to: output)
        printError(String(format: "wrote %d frames x %d bins (%.2f s of audio, %@ alignment) to %@",
                          count, settings.binCount, Double(samples.count) / Double(settings.sampleRate),
                          settings.alignment.rawValue, output))
    }
}
