// ProgressBar: one line on standard error, redrawn in place on a terminal, or a plain line
// every few seconds when the output is a log file.
import Foundation
import Synchronization

/// Sendable: workers report progress from their threads; the clock is behind a Mutex.
final class ProgressBar: Sendable {
    private let interactive = isatty(2) != 0
    private let lastDraw = Mutex(Date.distantPast)
    private let interval: TimeInterval

    init() { interval = interactive ? 0.1 : 10 }

    /// Draws `fraction` done with `text` after the bar; `force` draws regardless of the clock.
    func update(_ fraction: Double, _ text: String, force: Bool = false) {
        let now = Date()
        let due = lastDraw.withLock { last in
            guard force || now.timeIntervalSince(last) >= interval else { return false }
            last = now
            return true
        }
        guard due else { return }
        let width = 24, filled = Int((min(max(fraction, 0), 1) * Double(width)).rounded())
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
        let line = "\(bar) \(String(format: "%3.0f%%", 100 * fraction)) \(text)"
        FileHandle.standardError.write(Data((interactive ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }

    /// Ends the line on a terminal.
    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// 1:02:03 or 02:03.
func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "--:--" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
}
