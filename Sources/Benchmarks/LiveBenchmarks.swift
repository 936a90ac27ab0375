// LiveBenchmarks: the live path's figures - note latency per register from known onsets, the CPU
// share of replay at real-time pace, and `file`'s real-time factor.
import AudioIO
import Foundation
import LiveCapture
import Model
import Pipeline
import StreamingCQT
import Support
import Transcription

public enum LiveBenchmarks {
    /// The default-size network on the default front end, one-second windows (speed does not
    /// depend on the weights' values).
    static func defaultDescription(_ config: ModelConfig) throws -> WeightsDescription {
        let frontEnd = CQTSettings()
        return try WeightsDescription(data: DataDescription(frontEnd: frontEnd, space: .keys(lowestNote: frontEnd.lowestNote,
                                                                                             count: frontEnd.notes)),
                                      network: config)
    }

    /// `trainedModel`: a weights file that hears notes (path, and how the rows name it).
    /// `latencySettings`: the stride and look-ahead the latency rows listen with (live's defaults).
    public static func rows(threads: Int, trainedModel: (path: String, name: String)?,
                            latencySettings: EngineSettings = .live) throws -> [BenchmarkRow] {
        var rows: [BenchmarkRow] = []
        let config = ModelConfig()
        let network = try ParallelNetwork(network: try TranscriptionNetwork(config: config, seed: 1), threads: threads)
        let description = try defaultDescription(config)
        var generator = SeededGenerator(seed: 9)
        let (signal, _) = ToneSynthesis.render(seconds: 60, rate: 22050, pitches: Array(36...96), voices: 3, generator: &generator)
        let wav = FileManager.default.temporaryDirectory.appendingPathComponent("bench-file-\(getpid()).wav").path
        defer { unlink(wav) }
        try AudioFile.write(AudioBuffer(samples: signal, sampleRate: 22050, channels: 1), to: wav, format: .wavPCM16)

        // file: decode + CQT + network every `stride` frames + decoder, the whole path; with file's
        // defaults (the mean of the windows over each frame) and with live's.
        for settings in [EngineSettings.file, EngineSettings.live] {
            let engine = try TranscriptionEngine(network: network, description: description, settings: settings)
            let start = Date()
            let (samples, _) = try AudioLoading.mono(wav, sampleRate: 22050)
            try samples.withUnsafeBufferPointer { try engine.push($0) }
            try engine.finish()
            let seconds = Date().timeIntervalSince(start)
            let decoding = settings.lookahead.map { "--lookahead \($0)" } ?? "the mean of the windows over each frame"
            rows.append(BenchmarkRow(name: settings.lookahead == nil ? "file" : "file.live-settings", value: 60 / seconds,
                                     unit: "x real time", threads: threads,
                                     input: "60 s recording (WAV), default-size model, --stride \(settings.stride), \(decoding)",
                                     runs: 1))
        }

        // live.cpu: replay at 1x, the whole process's CPU time over the wall time.
        do {
            let engine = try TranscriptionEngine(network: network, description: description, settings: .live)
            rows.append(BenchmarkRow(name: "live.cpu", value: try replayShare(engine, signal), unit: "% of a core", threads: threads,
                                     input: "replay of 10 s at 1x, default-size model, live defaults (stride \(EngineSettings.live.stride), look-ahead \(EngineSettings.liveLookahead); capture and transcription threads)",
                                     runs: 1))
        }

        // live.latency: notes at known onsets, replayed at 1x; from the onset sample entering the
        // ring to the note-on being printed. Needs a model that hears notes.
        if let trainedModel, FileManager.default.fileExists(atPath: trainedModel.path) {
            let trained = try Weights.load(trainedModel.path)
            // live.window.trained / live.cpu.trained: what these weights cost live (their window
            // length and size, not the default's): the whole path per window at full speed, and
            // the process's share of a core replaying 10 s at 1x.
            do {
                let engine = try TranscriptionEngine(weights: trained, threads: threads, settings: latencySettings)
                let start = Date()
                try signal.withUnsafeBufferPointer { try engine.push($0) }
                try engine.finish()
                let windows = Double(max(engine.windowsRun, 1))
                rows.append(BenchmarkRow(name: "live.window.trained", value: 1000 * Date().timeIntervalSince(start) / windows,
                                         unit: "ms", threads: threads,
                                         input: "60 s at full speed, \(trainedModel.name) (\(trained.description.data.windowFrames)-frame windows, "
                                             + "\(trained.network.config.parameterCount) parameters), stride \(latencySettings.stride): CQT, network and decoder per window",
                                         runs: 1))
            }
            do {
                let engine = try TranscriptionEngine(weights: trained, threads: threads, settings: latencySettings)
                rows.append(BenchmarkRow(name: "live.cpu.trained", value: try replayShare(engine, signal), unit: "% of a core", threads: threads,
                                         input: "replay of 10 s at 1x, \(trainedModel.name), stride \(latencySettings.stride), "
                                             + "look-ahead \(latencySettings.lookahead ?? 0)", runs: 1))
            }
            // Two sounds: the harmonic test tone (A2's is heard by no weights trained so far) and a
            // struck string, piano-like, that low keys are heard in (the string.* rows).
            let onsets = (0..<8).map { 0.5 + Double($0) * 1.0 }
            let sounds: [(name: String, pitch: Int, samples: [Float])] = [("A2", 45), ("A4", 69), ("C6", 84)].map {
                ($0.0, $0.1, ToneSynthesis.tones(pitch: $0.1, onsets: onsets, seconds: 9, rate: 22050))
            } + [("string.A2", 45), ("string.A4", 69)].map {
                ($0.0, $0.1, ToneSynthesis.strikes(pitch: $0.1, at: onsets.map { ($0, 0.8) }, seconds: 9, rate: 22050))
            }
            for (name, pitch, samples) in sounds {
                let engine = try TranscriptionEngine(weights: trained, threads: threads, settings: latencySettings)
                let view = TerminalView(write: { _ in })
                engine.add(view)
                let session = LiveSession(engine: engine, source: MemorySource(samples: samples, sampleRate: 22050, speed: 1))
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try session.run(stop: { false })
                var latencies: [Double] = []
                for onset in onsets {
                    // The note must be the struck one: its onset within 50 ms, the tolerance note F1 counts a match in.
                    guard let hit = view.printedOnsets.first(where: { $0.pitch == pitch && abs($0.audioTime - onset) <= 0.05 }) else { continue }
                    latencies.append((Double(hit.wallTime) - Double(start) - onset * 1e9) / 1e6)
                }
                let found = "\(latencies.count) of \(onsets.count) notes found"
                // No note heard, no measurement: a row is a number, never NaN.
                guard !latencies.isEmpty else {
                    FileHandle.standardError.write(Data("live.latency.\(name): the \(trainedModel.name) found none of the notes; no row\n".utf8))
                    continue
                }
                rows.append(BenchmarkRow(name: "live.latency.\(name)", value: median(latencies),
                                         unit: "ms", threads: threads,
                                         input: "replay at 1x of 8 \(name.hasPrefix("string") ? "struck-string" : "harmonic-tone") notes at known onsets, \(trainedModel.name), stride \(latencySettings.stride), "
                                             + "look-ahead \(latencySettings.lookahead ?? 0); \(found)", runs: latencies.count))
                rows.append(BenchmarkRow(name: "live.latency.\(name).p95", value: percentile(latencies, 95),
                                         unit: "ms", threads: threads, input: "as live.latency.\(name)", runs: latencies.count))
            }
        }
        return rows
    }

    /// The process's share of a core, in percent, while `engine` transcribes the first 10 s of
    /// `signal` replayed at 1x (capture and transcription threads, as `replay`).
    static func replayShare(_ engine: TranscriptionEngine, _ signal: [Float]) throws -> Double {
        let source = MemorySource(samples: Array(signal.prefix(22050 * 10)), sampleRate: 22050, speed: 1)
        let before = cpuSeconds(), start = Date()
        _ = try LiveSession(engine: engine, source: source).run(stop: { false })
        return 100 * (cpuSeconds() - before) / Date().timeIntervalSince(start)
    }

    /// User + system CPU seconds of this process.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
