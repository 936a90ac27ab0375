// ReLU: out = max(x, 0), in place; the backward needs only the output.

/// x = max(x, 0) over `count` elements.
public func reluForward(_ x: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count where x[i] < 0 { x[i] = 0 }
}

/// dx = dx * [out > 0], in place (out is the forward's output).
public func reluBackward(_ dx: UnsafeMutablePointer<Float>, _ out: UnsafePointer<Float>, count: Int) {
    for i in 0..<count where !(out[i] > 0) { dx[i] = 0 }
}
