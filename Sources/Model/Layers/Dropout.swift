// Dropout on the two residual branches of every block (attention's out-projection and the MLP's
// fc2, before each is added to the residual stream), in training only: MODEL.md allows dropout
// that is off in inference and changes no tensor name. Inverted dropout, as torch.nn.Dropout:
// kept values are scaled by 1/(1-rate) so inference needs no rescaling.
// Sizes: `count` elements of any tensor.
import Support

/// Residual dropout for one training forward. The masks are drawn from `seed` alone, so a forward
/// repeated with the same settings drops the same elements (the gradient test relies on it) and a
/// resumed run, which derives the seed from its step, draws what the uninterrupted run drew.
public struct ResidualDropout: Sendable, Equatable {
    /// Probability that an element is dropped, in [0, 1).
    public var rate: Float
    public var seed: UInt64
    public init(rate: Float, seed: UInt64) {
        self.rate = rate
        self.seed = seed
    }
}

/// mask[i] = 0 with probability `rate`, else 1/(1-rate); draws from `generator`.
func fillDropoutMask(_ mask: UnsafeMutablePointer<Float>, count: Int, rate: Float,
                     using generator: inout SeededGenerator) {
    // Each element compares 24 random bits with rate * 2^24 (the rate to within 2^-24); the two
    // halves of one 64-bit draw serve two elements.
    let threshold = UInt64((Double(rate) * 16_777_216).rounded())
    let kept = 1 / (1 - rate)
    var i = 0
    while i < count {
        var bits = generator.next()
        for _ in 0..<2 where i < count {
            mask[i] = (bits & 0xFF_FFFF) < threshold ? 0 : kept
            bits >>= 32
            i += 1
        }
    }
}

/// out = residual + branch * mask
func addMasked(_ out: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>, _ branch: UnsafePointer<Float>,
               _ mask: UnsafePointer<Float>, count: Int) {
    mapVectors(out, residual, branch, mask, count: count) { r, b, m in r + b * m }
}

/// out = grad * mask: the gradient reaching a dropped branch.
func multiplyMask(_ out: UnsafeMutablePointer<Float>, _ grad: UnsafePointer<Float>, _ mask: UnsafePointer<Float>, count: Int) {
    mapVectors(out, grad, mask, count: count) { $0 * $1 }
}
