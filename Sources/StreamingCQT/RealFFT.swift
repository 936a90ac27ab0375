// RealFFT: a reusable FFTW single-precision real-to-complex transform of one fixed size.
//
// FFTW is the library for this job; the wrapper only owns the aligned buffers and the plan,
// and serialises planning (FFTW's planner is not thread-safe; `execute` on distinct plans is).
import CFFTW
import Foundation

/// How much effort FFTW spends choosing an algorithm when a plan is made.
public enum FFTPlanning: Sendable {
    /// Picks a plan by heuristics, in microseconds. For tests and one-off transforms.
    case estimate
    /// Times candidate algorithms (0.1-0.7 s per size here). For transforms reused many times.
    case measure

    var flags: UInt32 {
        switch self {
        case .estimate: return UInt32(FFTW_ESTIMATE)
        case .measure: return UInt32(FFTW_MEASURE)
        }
    }
}

/// FFTW's planner touches global state; every plan creation and destruction goes through here.
let fftwPlannerLock = NSLock()

/// A forward real FFT of `size` points: `X[k] = sum_n x[n] * exp(-2 pi i k n / size)`,
/// for k = 0 ... size/2 (the other half is the complex conjugate).
///
/// Fill `input`, call `execute()`, read `real`/`imaginary` or `output`. Buffers are allocated
/// once; `execute()` allocates nothing. One instance belongs to one thread at a time.
public final class RealFFT {
    public let size: Int
    /// Number of complex outputs, `size / 2 + 1`.
    public var outputCount: Int { size / 2 + 1 }
    /// The time-domain input, `size` samples, 16-byte aligned for FFTW's SIMD code.
    public let input: UnsafeMutableBufferPointer<Float>
    /// The spectrum as interleaved (real, imaginary) pairs, `outputCount` of them.
    public let output: UnsafeMutableBufferPointer<fftwf_complex>
    private let plan: fftwf_plan

    public init(size: Int, planning: FFTPlanning = .estimate) {
        precondition(size >= 2, "an FFT needs at least 2 points")
        self.size = size
        let inPtr = fftwf_alloc_real(size)!
        let outPtr = fftwf_alloc_complex(size / 2 + 1)!
        input = UnsafeMutableBufferPointer(start: inPtr, count: size)
        output = UnsafeMutableBufferPointer(start: outPtr, count: size / 2 + 1)
        plan = fftwPlannerLock.withLock {
            // FFTW_MEASURE overwrites the arrays while it times; they are filled afterwards.
            fftwf_plan_dft_r2c_1d(Int32(size), inPtr, outPtr, planning.flags | UInt32(FFTW_DESTROY_INPUT))!
        }
        input.initialize(repeating: 0)
    }

    deinit {
        fftwPlannerLock.withLock { fftwf_destroy_plan(plan) }
        fftwf_free(input.baseAddress)
        fftwf_free(output.baseAddress)
    }

    /// Transforms `input` into `output`. The input may be overwritten (FFTW_DESTROY_INPUT lets
    /// FFTW pick faster algorithms); refill it before the next call.
    @inline(__always)
    public func execute() {
        fftwf_execute(plan)
    }

    /// The magnitude of output bin `k`.
    @inline(__always)
    public func magnitude(_ k: Int) -> Float {
        let c = output[k]
        return (c.0 * c.0 + c.1 * c.1).squareRoot()
    }
}
