// Resampler: the quality settings and errors of sample-rate conversion with libsamplerate
// (band-limited sinc interpolation); StreamingResampler does the work.
import CSampleRate

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

/// Conversion quality, libsamplerate's converters.
public enum ResamplerQuality: Sendable {
    /// SRC_SINC_BEST_QUALITY: 97 dB SNR, slowest.
    case best
    /// SRC_SINC_MEDIUM_QUALITY: 97 dB SNR over a slightly narrower band; the default here.
    case medium
    /// SRC_SINC_FASTEST: 97 dB SNR, 80% bandwidth.
    case fastest

    var converter: Int32 {
        switch self {
        case .best: return Int32(SRC_SINC_BEST_QUALITY)
        case .medium: return Int32(SRC_SINC_MEDIUM_QUALITY)
        case .fastest: return Int32(SRC_SINC_FASTEST)
        }
    }
}
