// AudioLoading: a file as the model hears it - decoded, downmixed to mono, resampled - whole, or
// a block at a time in constant memory. Both are the same code, so they give the same samples.

public enum AudioLoading {
    /// The mono samples of `path` at `sampleRate` (channels averaged, resampled with libsoxr
    /// when the file's rate differs), and the file's own header.
    public static func mono(_ path: String, sampleRate: Int) throws -> (samples: [Float], info: AudioInfo) {
        var samples: [Float] = []
        let info = try stream(path, sampleRate: sampleRate) { samples.append(contentsOf: $0) }
        return (samples, info)
    }

    /// Hands `body` the mono samples of `path` at `sampleRate`, `blockFrames` frames of the file
    /// at a time: memory does not grow with the file. Exactly round(frames * rate / file rate)
    /// samples in all, as `resample` gives (for a file that does not state its length, the frames
    /// its data held).
    @discardableResult
    public static func stream(_ path: String, sampleRate: Int, blockFrames: Int = 1 << 16,
                              _ body: (UnsafeBufferPointer<Float>) throws -> Void) throws -> AudioInfo {
        let reader = try AudioFileReader(path)
        let info = reader.info
        let resampler = try StreamingResampler(from: info.sampleRate, to: sampleRate, maximumInput: blockFrames, mode: .wholeFile)
        func samples(at frames: Int) -> Int {
            info.sampleRate == sampleRate ? frames : Int((Double(frames) * Double(sampleRate) / Double(info.sampleRate)).rounded())
        }
        // A file that does not state its length: its count is known once its data has ended (the
        // resampler holds back its filter's delay until then, so nothing is delivered past it).
        var expected = info.lengthKnown ? samples(at: info.frames) : Int.max
        var delivered = 0
        func deliver(_ piece: UnsafeBufferPointer<Float>) throws {
            let n = min(piece.count, expected - delivered)
            guard n > 0 else { return }
            try body(UnsafeBufferPointer(rebasing: piece[0..<n]))
            delivered += n
        }
        while true {
            let block = try reader.read(frames: blockFrames)
            if block.isEmpty { break }
            let mono = downmixToMono(block, channels: info.channels)
            try mono.withUnsafeBufferPointer { try deliver(resampler.process($0)) }
        }
        if !info.lengthKnown { expected = samples(at: reader.position) }
        while delivered < expected {
            let tail = resampler.flush()
            if tail.isEmpty { break }
            try deliver(tail)
        }
        if delivered < expected {
            let zeros = [Float](repeating: 0, count: expected - delivered)
            try zeros.withUnsafeBufferPointer { try deliver($0) }
        }
        return info
    }
}
