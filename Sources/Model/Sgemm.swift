// The OpenBLAS binding: sgemm, the one wrapper every matrix product of the network goes through,
// its thread count, and which of its kernels run.
import COpenBLAS
import Foundation

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

/// The OpenBLAS kernels in use, and better ones when OpenBLAS's own choice falls short of the CPU.
///
/// OpenBLAS 0.3.21 (Debian 12's) picks its kernels by CPU model number and does not know Intel
/// models newer than itself: on an Emerald Rapids Xeon (family 6, model 207, AVX-512) it falls
/// back to Prescott's SSE3 kernels, and `file` runs at 35x real time instead of 76-81x with the
/// AVX-512 ones (docs/PERFORMANCE.md). It reads `OPENBLAS_CORETYPE` once, as it loads, before any
/// of our code runs, so the executable re-runs itself with the variable set
/// (`transcriber`'s `main`); a user's own `OPENBLAS_CORETYPE` is left alone.
public enum BLASKernels {
    /// The name OpenBLAS gives the kernels it chose ("SkylakeX", "Haswell", "Zen", "Prescott").
    public static var current: String { String(cString: openblas_get_corename()) }

    /// What the CPU can run, by OpenBLAS's `OPENBLAS_CORETYPE` names, widest first: AVX-512 (3),
    /// AVX2 with FMA (2), AVX (1).
    static let levels: [(name: String, level: Int, flags: [String])] = [
        ("SKYLAKEX", 3, ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]),
        ("HASWELL", 2, ["avx2", "fma"]),
        ("SANDYBRIDGE", 1, ["avx"]),
    ]
    /// The Intel kernels OpenBLAS falls back to, at the same scale (SSE only is 0); AMD's and the
    /// wider Intel ones are chosen by features already and never replaced.
    static let fallbackLevel: [String: Int] = [
        "Prescott": 0, "Core2": 0, "Penryn": 0, "Dunnington": 0, "Nehalem": 0, "Atom": 0, "Sandybridge": 1,
    ]

    /// The `OPENBLAS_CORETYPE` to run with, when OpenBLAS chose `detected` on a CPU with `cpuFlags`
    /// (/proc/cpuinfo's names) and the CPU can run wider kernels; nil when its choice stands.
    public static func better(than detected: String, cpuFlags: Set<String>) -> String? {
        guard let have = fallbackLevel[detected],
              let best = levels.first(where: { $0.flags.allSatisfy(cpuFlags.contains) }), best.level > have else { return nil }
        return best.name
    }

    /// This CPU's feature flags, from the first processor in /proc/cpuinfo (empty if unreadable).
    public static func cpuFlags(cpuinfo: String = "/proc/cpuinfo") -> Set<String> {
        guard let text = try? String(contentsOfFile: cpuinfo, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let values = line.split(separator: ":", maxSplits: 1).dropFirst().first else { return [] }
        return Set(values.split(whereSeparator: \.isWhitespace).map(String.init))
    }
}
