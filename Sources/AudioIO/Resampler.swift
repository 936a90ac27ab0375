// Resampler: the two ways audio reaches the model rate, and the errors of sample-rate conversion;
// StreamingResampler does the work with one library or the other.

public enum ResamplerError: Error, CustomStringConvertible {
    case invalidRates(from: Int, to: Int)
    case library(String)

    public var description: String {
        switch self {
        case let .invalidRates(from, to):
            return "cannot resample from \(from) Hz to \(to) Hz: both rates must be positive and their ratio within 1/256 ... 256"
        case let .library(message):
            return "resampling failed: \(message)"
        }
    }
}

/// Which converter a stream gets. Measured on 60 s of 44.1 kHz audio to 22.05 kHz, one core:
/// libsoxr's high quality takes 10 ms, libsamplerate's medium sinc 580 ms; but libsoxr works in
/// blocks and, fed 10 ms pieces, hands an impulse on 29 ms after it arrived, against
/// libsamplerate's 7.5 ms (docs/PERFORMANCE.md, the steps that made `file` faster).
public enum ResamplingMode: Sendable {
    /// Files (`file`, `evaluate`, `preprocess`, replay's up-front decode): libsoxr, high quality
    /// (SOXR_HQ, linear phase: what librosa and so basic-pitch resample with). Latency does not
    /// matter when the whole file is at hand.
    case wholeFile
    /// Capture: libsamplerate's medium-quality sinc, sample by sample, allocation-free.
    case lowLatency
}
