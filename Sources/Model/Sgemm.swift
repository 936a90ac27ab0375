// Sgemm: the one wrapper through which every matrix product of the network goes (OpenBLAS).
import COpenBLAS

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transpose
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Row-major single-precision matrix product on OpenBLAS:
/// `C[M, N] = alpha * op(A)[M, K] * op(B)[K, N] + beta * C`.
///
/// `A` is stored [M, K] (or [K, M] when transposed), `B` is [K, N] (or [N, K] when
/// transposed), `C` is [M, N]; leading dimensions default to the packed row length.
public func sgemm(_ transA: Transpose, _ transB: Transpose,
                  m: Int, n: Int, k: Int,
                  alpha: Float = 1,
                  _ a: UnsafePointer<Float>, lda: Int? = nil,
                  _ b: UnsafePointer<Float>, ldb: Int? = nil,
                  beta: Float = 0,
                  _ c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
    let lda = lda ?? (transA == .none ? k : m)
    let ldb = ldb ?? (transB == .none ? n : k)
    let ldc = ldc ?? n
    cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas,
                Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(lda), b, Int32(ldb),
                beta, c, Int32(ldc))
}

/// OpenBLAS's worker-thread count. On two cores, two threads lose to one whenever anything
/// else is running (SWIFT_NOTES.md), so callers choose; benchmarks report what they used.
public enum BLASThreads {
    public static func set(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }
    public static var current: Int { Int(openblas_get_num_threads()) }
}
