// Interrupt: Ctrl-C and SIGTERM ask long commands to stop at a safe point (after the current
// file, batch or hop) so that what is finished is kept; a second Ctrl-C quits at once.
import Foundation
import Synchronization

enum Interrupt {
    static let requested = Atomic<Bool>(false)

    static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            if Interrupt.requested.exchange(true, ordering: .relaxed) { _exit(130) }
            let message = "\ninterrupted: finishing the current step and saving what is done (Ctrl-C again to quit now)\n"
            message.withCString { _ = write(2, $0, strlen($0)) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        // A blocked signal mask survives exec: a launcher that spawns us from a thread with the
        // signals blocked (dispatch workers block them all) would make Ctrl-C pend forever.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    static var isRequested: Bool { requested.load(ordering: .relaxed) }
}
