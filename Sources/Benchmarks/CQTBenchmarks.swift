// CQTBenchmarks: batch and streaming cost of the constant-Q transform, and its latency per register.
import Foundation
import StreamingCQT

public enum CQTBenchmarks {
    /// 60 s of a test signal at 22050 Hz: tones in several registers, a click train and noise.
    public static func testSignal(seconds: Double = 60, rate: Int = 22050) -> [Float] {
        var generator = SystemRandomNumberGenerator()
        return (0..<Int(seconds * Double(rate))).map { i in
            let t = Double(i) / Double(rate)
            var v = 0.1 * sin(2 * Double.pi * 110 * t) + 0.1 * sin(2 * Double.pi * 440 * t) + 0.05 * sin(2 * Double.pi * 1760 * t)
            if i % 11025 == 0 { v += 0.5 }
            v += Double(Float.random(in: -0.01...0.01, using: &generator))
            return Float(v)
        }
    }

    /// `gamma`: the variable-Q offset in Hz (0: the constant-Q default), for the latency it buys.
    public static func rows(runs: Int, gamma: Double = 0) throws -> [BenchmarkRow] {
        let settings = CQTSettings(gamma: gamma)
        let bank = try CQTKernelBank(settings: settings)
        let engine = StreamingCQT(bank: bank, planning: .measure)
        let signal = testSignal()
        let shape = gamma == 0 ? "default settings" : "gamma \(gamma) Hz"
        let input = "60 s synthetic signal at 22050 Hz, \(shape) (\(settings.alignment.rawValue), 352 bins, hop 512)"
        var rows: [BenchmarkRow] = []
        let batch = try measure(runs: runs) { _ = try BatchCQT.transform(signal, engine: engine) }.median
        rows.append(BenchmarkRow(name: "cqt.batch", value: batch, unit: "s", threads: 1, input: input, runs: runs,
                                 note: String(format: "%.0fx real time", 60 / batch)))

        // Streaming: one hop of samples per push, as a live source delivers them.
        engine.reset()
        let hop = settings.hopLength
        var costs: [Double] = []
        var frames = 0
        try signal.withUnsafeBufferPointer { all in
            var offset = 0
            while offset + hop <= all.count {
                let chunk = UnsafeBufferPointer(rebasing: all[offset..<(offset + hop)])
                let start = DispatchTime.now().uptimeNanoseconds
                try engine.push(chunk) { _, _ in frames += 1 }
                costs.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000)
                offset += hop
            }
        }
        rows.append(BenchmarkRow(name: "cqt.stream.hop", value: median(costs), unit: "us", threads: 1,
                                 input: "pushes of \(hop) samples, \(costs.count) pushes, \(frames) frames", runs: costs.count,
                                 note: String(format: "%.2f%% of the %.1f ms a hop lasts",
                                              100 * median(costs) / (1e6 * Double(hop) / Double(settings.sampleRate)),
                                              1000 * Double(hop) / Double(settings.sampleRate))))
        rows.append(BenchmarkRow(name: "cqt.stream.hop.p99", value: percentile(costs, 99), unit: "us", threads: 1,
                                 input: "pushes of \(hop) samples", runs: costs.count))

        // Latency the filters impose per register: from a note at the filter's centre to its frame.
        let centred = try CQTKernelBank(settings: CQTSettings(gamma: gamma, alignment: .centred))
        for (name, note) in [("A0", 21), ("A2", 45), ("A4", 69), ("C6", 84)] {
            rows.append(BenchmarkRow(name: "cqt.lookahead.\(name)", value: bank.latencyMilliseconds(ofBin: bank.bin(ofNote: note)!),
                                     unit: "ms", threads: 1,
                                     input: "causal (default): half the filter plus the decimation delay"
                                         + (gamma == 0 ? "" : ", gamma \(gamma) Hz"), runs: 1))
            rows.append(BenchmarkRow(name: "cqt.lookahead.centred.\(name)",
                                     value: centred.latencyMilliseconds(ofBin: centred.bin(ofNote: note)!), unit: "ms",
                                     threads: 1, input: "centred: every frame waits for the A0 filters", runs: 1))
        }
        return rows
    }
}
