// ReLU: out = max(x, 0), in place; the backward needs only the output.

/// x = max(x, 0) over `count` elements.
public func reluForward(_ x: UnsafeMutablePointer<Float>, count: Int) {
    mapVectors(x, x, count: count) { positivePart($0) }
}

/// dx = dx * [out > 0], in place (out is the forward's output).
public func reluBackward(_ dx: UnsafeMutablePointer<Float>, _ out: UnsafePointer<Float>, count: Int) {
    mapVectors(dx, dx, out, count: count) { g, y in select(lanes(FloatVector(), below: y), g, FloatVector()) }  // g where y > 0
}
