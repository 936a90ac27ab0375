// MaskedSquaredError: the velocity head's loss - the squared error of sigmoid(logits) against
// targets, only where a target is given (> 0), averaged over every entry (masked or not).

/// sum over targets > 0 of (sigmoid(z) - y)^2, divided by n; dlogits (if given) is its gradient
/// 2 (s - y) s (1 - s) / n there and 0 elsewhere.
public func maskedSquaredErrorOfSigmoid(_ dlogits: UnsafeMutablePointer<Float>?,
                                        _ logits: UnsafePointer<Float>, _ targets: UnsafePointer<Float>,
                                        count n: Int) -> Float {
    var total = 0.0
    let scale = 2 / Float(n)
    for i in 0..<n {
        let y = targets[i]
        guard y > 0 else {
            dlogits?[i] = 0
            continue
        }
        let s = 1 / (1 + exp(-logits[i])), e = s - y
        total += Double(e * e)
        dlogits?[i] = scale * e * s * (1 - s)
    }
    return Float(total / Double(n))
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
