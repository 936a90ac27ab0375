// ReLU: out = max(x, 0), in place; the backward needs only the output.

/// x = max(x, 0) over `count` elements.
public func reluForward(_ x: UnsafeMutablePointer<Float>, count: Int) {
    forEachVector(count) { i, n in
        var v = load(x, i, n)
        v.replace(with: 0, where: v .< 0)
        store(v, x, i, n)
    }
}

/// dx = dx * [out > 0], in place (out is the forward's output).
public func reluBackward(_ dx: UnsafeMutablePointer<Float>, _ out: UnsafePointer<Float>, count: Int) {
    forEachVector(count) { i, n in
        var g = load(dx, i, n)
        g.replace(with: 0, where: load(out, i, n) .<= 0)
        store(g, dx, i, n)
    }
}
