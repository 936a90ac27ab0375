// Resampler: sample-rate conversion with libsamplerate (band-limited sinc interpolation).
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

/// Resamples a whole mono signal from `sourceRate` to `targetRate`. Returns the input unchanged
/// when the rates are equal. Output length is `round(count * targetRate / sourceRate)`.
public func resample(_ mono: [Float], from sourceRate: Int, to targetRate: Int,
                     quality: ResamplerQuality = .medium) throws -> [Float] {
    guard sourceRate > 0, targetRate > 0,
          src_is_valid_ratio(Double(targetRate) / Double(sourceRate)) != 0 else {
        throw ResamplerError.invalidRates(from: sourceRate, to: targetRate)
    }
    if sourceRate == targetRate || mono.isEmpty { return mono }
    let ratio = Double(targetRate) / Double(sourceRate)
    let expected = Int((Double(mono.count) * ratio).rounded())
    var output = [Float](repeating: 0, count: expected + 16)
    var generated = 0
    let status: Int32 = mono.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { out in
            var data = SRC_DATA()
            data.data_in = input.baseAddress
            data.input_frames = Int(input.count)
            data.data_out = out.baseAddress
            data.output_frames = Int(out.count)
            data.src_ratio = ratio
            data.end_of_input = 1
            let status = src_simple(&data, quality.converter, 1)
            generated = Int(data.output_frames_gen)
            return status
        }
    }
    guard status == 0 else { throw ResamplerError.library(String(cString: src_strerror(status))) }
    output.removeSubrange(min(generated, expected)...)
    if output.count < expected { output.append(contentsOf: repeatElement(0, count: expected - output.count)) }
    return output
}
