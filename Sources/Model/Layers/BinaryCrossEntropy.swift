// Binary cross-entropy on logits, mean over all elements (PyTorch's BCEWithLogitsLoss, with its
// pos_weight as one number for every element).

/// With positive weight w = 1: loss = (1/n) sum [max(z, 0) - z y + log(1 + e^{-|z|})] (never
/// overflows); and, when dlogits is given, dlogits = (sigmoid(z) - y) / n (overwritten).
/// With w: each positive term is weighted, loss = (1/n) sum [(1 - y) z + (1 + (w - 1) y) softplus(-z)],
/// dlogits = ((1 + (w - 1) y) sigmoid(z) - w y) / n. A rare class (onsets) learns to reach the
/// threshold instead of hedging below it.
public func binaryCrossEntropyWithLogits(_ dlogits: UnsafeMutablePointer<Float>?,
                                         _ logits: UnsafePointer<Float>, _ targets: UnsafePointer<Float>,
                                         count n: Int, positiveWeight w: Float = 1) -> Float {
    var total = 0.0
    if w == 1 {
        for i in 0..<n {
            let z = logits[i], y = targets[i]
            total += Double(max(z, 0) - z * y + log1p(exp(-abs(z))))
        }
    } else {
        for i in 0..<n {
            let z = logits[i], y = targets[i]
            let softplusMinusZ = max(-z, 0) + log1p(exp(-abs(z)))
            total += Double((1 - y) * z + (1 + (w - 1) * y) * softplusMinusZ)
        }
    }
    if let dlogits {
        sigmoidArray(dlogits, logits, count: n)
        let scale = 1 / Float(n)
        if w == 1 {
            for i in 0..<n { dlogits[i] = (dlogits[i] - targets[i]) * scale }
        } else {
            for i in 0..<n {
                let y = targets[i]
                dlogits[i] = ((1 + (w - 1) * y) * dlogits[i] - w * y) * scale
            }
        }
    }
    return Float(total / Double(n))
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
