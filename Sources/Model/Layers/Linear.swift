// Linear: out = inp W^T + b, PyTorch's nn.Linear with W stored [O, I].
// Sizes: R rows (B*T frames), I inputs, O outputs.

/// out[R, O] = inp[R, I] W[O, I]^T + bias[O]
public func linearForward(_ out: UnsafeMutablePointer<Float>,
                          _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                          rows: Int, inputs: Int, outputs: Int) {
    if let bias {
        for r in 0..<rows { (out + r * outputs).update(from: bias, count: outputs) }
    }
    sgemm(.none, .transpose, m: rows, n: outputs, k: inputs, inp, weight, beta: bias == nil ? 0 : 1, out)
}

/// out[R, O] += inp[R, I] W[O, I]^T + bias[O]: a Linear whose output adds onto a residual.
func linearAccumulate(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                      _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                      rows: Int, inputs: Int, outputs: Int) {
    for r in 0..<rows {
        let row = out + r * outputs
        for o in 0..<outputs { row[o] += bias[o] }
    }
    sgemm(.none, .transpose, m: rows, n: outputs, k: inputs, inp, weight, beta: 1, out)
}

/// Differentiates out = inp W^T + b; the parameters' gradients accumulate:
/// dweight[O, I] += dout^T inp;  dbias[O] += sum over rows of dout;  and dinp[R, I] += dout W,
/// or dinp = dout W without `accumulateInput` (no pass to zero it first).
public func linearBackward(_ dinp: UnsafeMutablePointer<Float>?, _ dweight: UnsafeMutablePointer<Float>,
                           _ dbias: UnsafeMutablePointer<Float>?,
                           _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                           rows: Int, inputs: Int, outputs: Int, accumulateInput: Bool = true) {
    if let dinp {
        sgemm(.none, .none, m: rows, n: inputs, k: outputs, dout, weight, beta: accumulateInput ? 1 : 0, dinp)
    }
    sgemm(.transpose, .none, m: outputs, n: inputs, k: rows, dout, inp, beta: 1, dweight)
    if let dbias {
        for r in 0..<rows {
            let row = dout + r * outputs
            for o in 0..<outputs { dbias[o] += row[o] }
        }
    }
}
