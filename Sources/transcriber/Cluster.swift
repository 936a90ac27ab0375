// Cluster: what `train` and `preprocess` need when `mpirun` started them - the process group, and
// a watchdog that ends a job whose steps have stopped (a rank hung or cut off), since a sum
// across the processes would otherwise wait forever.
import DataParallel
import Foundation
import Synchronization
import Trainer

enum Cluster {
    /// The processes of this job: Open MPI's when launched by mpirun, else this one alone.
    static func group() throws -> ProcessGroup {
        MPIProcessGroup.launchedByMPIRun ? try MPIProcessGroup() : SingleProcess()
    }

    /// Leaves the MPI job cleanly at the end of a successful command.
    static func finish(_ group: ProcessGroup) {
        (group as? MPIProcessGroup)?.finish()
    }
}

/// Ends the process (and with it, under mpirun, the job) when `beat()` has not been called for
/// `seconds`: the other ranks are then waiting on one that hung or was cut off.
final class Watchdog: Sendable {
    private let last = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)

    init(seconds: Double, rank: Int, size: Int) {
        let limit = UInt64(seconds * 1e9)
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: min(1, seconds / 4))
                if DispatchTime.now().uptimeNanoseconds - self.last.load(ordering: .relaxed) > limit {
                    let message = "rank \(rank) of \(size): no training step finished in \(Int(seconds)) s; another rank has "
                        + "hung or its machine is unreachable. Ending the job; the last checkpoint is whole (resume with "
                        + "--load-weights dev; --step-timeout sets this limit)\n"
                    FileHandle.standardError.write(Data(message.utf8))
                    _exit(75)
                }
            }
        }
        thread.name = "watchdog"
        thread.start()
    }

    func beat() { last.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed) }
}
