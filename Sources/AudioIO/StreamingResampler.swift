// StreamingResampler: a stateful converter for audio that arrives in pieces - libsoxr for files
// (fast), libsamplerate for capture (low latency, buffers allocated once so the capture thread
// allocates nothing). ResamplingMode says why there are two.
import CSampleRate
import CSoxr

public final class StreamingResampler {
    public let sourceRate: Int, targetRate: Int
    private enum Converter {
        case none
        case samplerate(OpaquePointer)
        case soxr(OpaquePointer)
    }
    private let converter: Converter
    private let output: UnsafeMutableBufferPointer<Float>
    private let ratio: Double

    /// `maximumInput`: the largest chunk `process` will be given.
    public init(from sourceRate: Int, to targetRate: Int, maximumInput: Int, mode: ResamplingMode) throws {
        guard sourceRate > 0, targetRate > 0, src_is_valid_ratio(Double(targetRate) / Double(sourceRate)) != 0 else {
            throw ResamplerError.invalidRates(from: sourceRate, to: targetRate)
        }
        self.sourceRate = sourceRate
        self.targetRate = targetRate
        ratio = Double(targetRate) / Double(sourceRate)
        if sourceRate == targetRate {
            converter = .none
        } else {
            switch mode {
            case .lowLatency:
                var error: Int32 = 0
                guard let state = src_new(Int32(SRC_SINC_MEDIUM_QUALITY), 1, &error) else {
                    throw ResamplerError.library(String(cString: src_strerror(error)))
                }
                converter = .samplerate(state)
            case .wholeFile:
                var error: soxr_error_t?
                var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
                var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
                var runtime = soxr_runtime_spec(1)
                let state = soxr_create(Double(sourceRate), Double(targetRate), 1, &error, &io, &quality, &runtime)
                guard let state, error == nil else {
                    throw ResamplerError.library(error.map { String(cString: $0) } ?? "libsoxr could not start")
                }
                converter = .soxr(state)
            }
        }
        output = .allocate(capacity: Int(Double(maximumInput) * ratio) + 4096)
        output.initialize(repeating: 0)
    }

    deinit {
        switch converter {
        case .none: break
        case let .samplerate(state): src_delete(state)
        case let .soxr(state): soxr_delete(state)
        }
        output.deallocate()
    }

    /// Converts one chunk; the result is valid until the next call. Allocates nothing. What does
    /// not fit the output (libsoxr releases what it held back in bursts) stays in the converter
    /// and comes out with the next chunk or the flush: nothing is lost.
    public func process(_ input: UnsafeBufferPointer<Float>) -> UnsafeBufferPointer<Float> {
        switch converter {
        case .none:
            return input
        case let .samplerate(state):
            return samplerate(state, input.baseAddress, count: input.count, end: false)
        case let .soxr(state):
            var used = 0, produced = 0
            soxr_process(state, input.baseAddress, input.count, &used, output.baseAddress, output.count, &produced)
            precondition(used == input.count, "libsoxr took \(used) of \(input.count) samples")
            return UnsafeBufferPointer(start: output.baseAddress, count: produced)
        }
    }

    /// The end of the input: the samples still inside the converter's filter, in pieces (call
    /// until it returns an empty buffer). The result is valid until the next call.
    public func flush() -> UnsafeBufferPointer<Float> {
        switch converter {
        case .none:
            return UnsafeBufferPointer(start: nil, count: 0)
        case let .samplerate(state):
            return samplerate(state, nil, count: 0, end: true)
        case let .soxr(state):
            var produced = 0
            soxr_process(state, nil, 0, nil, output.baseAddress, output.count, &produced)
            return UnsafeBufferPointer(start: output.baseAddress, count: produced)
        }
    }

    private func samplerate(_ state: OpaquePointer, _ input: UnsafePointer<Float>?, count: Int, end: Bool) -> UnsafeBufferPointer<Float> {
        var data = SRC_DATA()
        data.data_in = input
        data.input_frames = count
        data.data_out = output.baseAddress
        data.output_frames = output.count
        data.src_ratio = ratio
        data.end_of_input = end ? 1 : 0
        src_process(state, &data)
        return UnsafeBufferPointer(start: output.baseAddress, count: Int(data.output_frames_gen))
    }
}
