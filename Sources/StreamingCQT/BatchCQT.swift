// BatchCQT: the transform of a whole signal at once, for preprocessing and `transcriber file`.
// It is the streaming engine fed everything and finished, so its frames are the live frames.

public enum BatchCQT {
    /// Frames [floor(n / hop) + 1, binCount] of `signal` (mono, at settings.sampleRate).
    public static func transform(_ signal: [Float], bank: CQTKernelBank,
                                 planning: FFTPlanning = .measure) throws(CQTError) -> [Float] {
        try transform(signal, engine: StreamingCQT(bank: bank, planning: planning))
    }

    /// The same with an engine made earlier (its kernels and FFT plans reused); it is reset first.
    public static func transform(_ signal: [Float], engine: StreamingCQT) throws(CQTError) -> [Float] {
        engine.reset()
        let bank = engine.bank
        let bins = bank.settings.binCount
        var frames = [Float](repeating: 0, count: (signal.count / bank.settings.hopLength + 1) * bins)
        try frames.withUnsafeMutableBufferPointer { (out) throws(CQTError) in
            let store = { (t: Int, frame: UnsafeBufferPointer<Float>) in
                (out.baseAddress! + t * bins).update(from: frame.baseAddress!, count: bins)
            }
            try engine.push(signal, onFrame: store)
            try engine.finish(onFrame: store)
        }
        return frames
    }

    public static func transform(_ signal: [Float], settings: CQTSettings,
                                 planning: FFTPlanning = .measure) throws(CQTError) -> [Float] {
        try transform(signal, bank: try CQTKernelBank(settings: settings), planning: planning)
    }
}
