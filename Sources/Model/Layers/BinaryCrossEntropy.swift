// Binary cross-entropy on logits, mean over all elements (PyTorch's BCEWithLogitsLoss).

/// loss = (1/n) sum [max(z, 0) - z y + log(1 + e^{-|z|})]  (never overflows);
/// and, when dlogits is given, dlogits = (sigmoid(z) - y) / n (overwritten).
public func binaryCrossEntropyWithLogits(_ dlogits: UnsafeMutablePointer<Float>?,
                                         _ logits: UnsafePointer<Float>, _ targets: UnsafePointer<Float>,
                                         count n: Int) -> Float {
    var total = 0.0
    for i in 0..<n {
        let z = logits[i], y = targets[i]
        total += Double(max(z, 0) - z * y + log1p(exp(-abs(z))))
    }
    if let dlogits {
        sigmoidArray(dlogits, logits, count: n)
        let scale = 1 / Float(n)
        for i in 0..<n { dlogits[i] = (dlogits[i] - targets[i]) * scale }
    }
    return Float(total / Double(n))
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
