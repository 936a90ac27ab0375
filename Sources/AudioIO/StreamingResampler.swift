// StreamingResampler: libsamplerate's stateful converter for audio that arrives in pieces
// (capture), with its buffers allocated once so the capture thread allocates nothing.
import CSampleRate

public final class StreamingResampler {
    public let sourceRate: Int, targetRate: Int
    private let state: OpaquePointer?
    private let output: UnsafeMutableBufferPointer<Float>
    private let ratio: Double

    /// `maximumInput`: the largest chunk `process` will be given.
    public init(from sourceRate: Int, to targetRate: Int, maximumInput: Int, quality: ResamplerQuality = .medium) throws {
        guard sourceRate > 0, targetRate > 0, src_is_valid_ratio(Double(targetRate) / Double(sourceRate)) != 0 else {
            throw ResamplerError.invalidRates(from: sourceRate, to: targetRate)
        }
        self.sourceRate = sourceRate
        self.targetRate = targetRate
        ratio = Double(targetRate) / Double(sourceRate)
        var error: Int32 = 0
        state = sourceRate == targetRate ? nil : src_new(quality.converter, 1, &error)
        if sourceRate != targetRate && state == nil {
            throw ResamplerError.library(String(cString: src_strerror(error)))
        }
        output = .allocate(capacity: Int(Double(maximumInput) * ratio) + 64)
        output.initialize(repeating: 0)
    }

    deinit {
        if let state { src_delete(state) }
        output.deallocate()
    }

    /// Converts one chunk; the result is valid until the next call. Allocates nothing.
    public func process(_ input: UnsafeBufferPointer<Float>) -> UnsafeBufferPointer<Float> {
        guard let state else { return input }
        var data = SRC_DATA()
        data.data_in = input.baseAddress
        data.input_frames = input.count
        data.data_out = output.baseAddress
        data.output_frames = output.count
        data.src_ratio = ratio
        data.end_of_input = 0
        src_process(state, &data)
        return UnsafeBufferPointer(start: output.baseAddress, count: Int(data.output_frames_gen))
    }

    /// The end of the input: the samples still inside the converter's filter, in pieces (call
    /// until it returns an empty buffer). The result is valid until the next call.
    public func flush() -> UnsafeBufferPointer<Float> {
        guard let state else { return UnsafeBufferPointer(start: nil, count: 0) }
        var data = SRC_DATA()
        data.data_in = nil
        data.input_frames = 0
        data.data_out = output.baseAddress
        data.output_frames = output.count
        data.src_ratio = ratio
        data.end_of_input = 1
        src_process(state, &data)
        return UnsafeBufferPointer(start: output.baseAddress, count: Int(data.output_frames_gen))
    }
}
