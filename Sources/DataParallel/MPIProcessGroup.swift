// MPIProcessGroup: the processes `mpirun` started, as one ProcessGroup - Open MPI's allreduce
// over MPI_COMM_WORLD. Only the main thread calls MPI (MPI_THREAD_FUNNELED).
import CMPI
import Foundation
import Trainer

public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int

    /// Whether this process was started by `mpirun` (Open MPI sets these in every rank).
    public static var launchedByMPIRun: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    /// Joins the job (MPI_Init_thread). Errors are returned, not fatal, so that they reach the
    /// user as messages.
    public init() throws {
        var provided: Int32 = 0
        guard MPI_Init_thread(nil, nil, cmpi_thread_funneled(), &provided) == MPI_SUCCESS else {
            throw ProcessGroupError("MPI could not start (MPI_Init_thread failed); run through mpirun from Open MPI")
        }
        MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return())
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(cmpi_comm_world(), &rank)
        MPI_Comm_size(cmpi_comm_world(), &size)
        self.rank = Int(rank)
        self.size = Int(size)
    }

    /// Leaves the job cleanly (every rank must call it once, at the end).
    public func finish() { MPI_Finalize() }

    public func sum(_ values: UnsafeMutablePointer<Float>, count: Int) throws {
        try check(MPI_Allreduce(cmpi_in_place(), values, Int32(count), cmpi_float(), cmpi_sum(), cmpi_comm_world()), "sum")
    }

    public func sum(_ values: UnsafeMutablePointer<Double>, count: Int) throws {
        try check(MPI_Allreduce(cmpi_in_place(), values, Int32(count), cmpi_double(), cmpi_sum(), cmpi_comm_world()), "sum")
    }

    public func range(_ value: UInt64) throws -> (min: UInt64, max: UInt64) {
        var low = value, high = value
        try check(MPI_Allreduce(cmpi_in_place(), &low, 1, cmpi_uint64(), cmpi_min(), cmpi_comm_world()), "minimum")
        try check(MPI_Allreduce(cmpi_in_place(), &high, 1, cmpi_uint64(), cmpi_max(), cmpi_comm_world()), "maximum")
        return (low, high)
    }

    private func check(_ code: Int32, _ what: String) throws {
        guard code != MPI_SUCCESS else { return }
        var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
        var length: Int32 = 0
        MPI_Error_string(code, &text, &length)
        throw ProcessGroupError("rank \(rank): the \(what) across the \(size) processes failed: \(String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)). "
            + "A process of the job may have died; the last checkpoint is whole, resume with --load-weights dev")
    }
}
