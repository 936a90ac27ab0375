// ProcessGroup: the processes a training run is shared between - one (SingleProcess, the
// default) or several launched by `mpirun` (DataParallel's MPIProcessGroup). The trainer sees only
// this: its rank, how many there are, and sums across all of them.

public protocol ProcessGroup: AnyObject {
    /// This process's place, 0 ..< size; rank 0 writes checkpoints and reports.
    var rank: Int { get }
    var size: Int { get }
    /// Sums `count` values element by element across every process, in place (every process
    /// ends with the same sums).
    func sum(_ values: UnsafeMutablePointer<Float>, count: Int) throws
    func sum(_ values: UnsafeMutablePointer<Double>, count: Int) throws
    /// The smallest and largest of `value` across every process.
    func range(_ value: UInt64) throws -> (min: UInt64, max: UInt64)
}

extension ProcessGroup {
    public var isPrimary: Bool { rank == 0 }
}

/// The ordinary case: one process, whose sums are its own values.
public final class SingleProcess: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sum(_ values: UnsafeMutablePointer<Float>, count: Int) throws {}
    public func sum(_ values: UnsafeMutablePointer<Double>, count: Int) throws {}
    public func range(_ value: UInt64) throws -> (min: UInt64, max: UInt64) { (value, value) }
}

public struct ProcessGroupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
