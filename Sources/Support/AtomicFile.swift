// AtomicFile: a file appears whole or not at all - written under a temporary name beside its
// target, synced to disk, then renamed over it - so a crash, a full disk or Ctrl-C never leaves
// a half-written file under the real name. Every writer of the project's files goes through it.
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct AtomicWriteError: Error, CustomStringConvertible, Equatable {
    /// The path the caller asked for.
    public var path: String
    /// What went wrong, as the system says it ("No space left on device").
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "cannot write '\(path)': \(reason)" }
}

public enum AtomicFile {
    /// Writes `data` to `path` atomically and durably.
    public static func write(_ data: Data, to path: String) throws(AtomicWriteError) {
        try write(to: path) { temporary throws(AtomicWriteError) in
            // POSIX calls, not FileHandle: their errno says what a user can act on ("No space left
            // on device", "File too large"), where Foundation reports an opaque error number.
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw AtomicWriteError(path: path, reason: String(cString: strerror(errno))) }
            var failure: Int32 = 0
            data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var done = 0
                while done < raw.count {
                    let n = Glibc.write(descriptor, raw.baseAddress! + done, raw.count - done)
                    if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                    done += n
                }
            }
            if close(descriptor) != 0 && failure == 0 { failure = errno }
            if failure != 0 { throw AtomicWriteError(path: path, reason: String(cString: strerror(failure))) }
        }
    }

    /// Runs `body` with a temporary path beside `path` (body writes the whole file there by any
    /// means, a C library included), then syncs it and renames it over `path`. On any failure the
    /// temporary file is removed and `path` is left as it was. What a killed writer left behind
    /// (PATH.partial-PID of a process that is gone) is removed first.
    public static func write(to path: String, _ body: (String) throws -> Void) throws(AtomicWriteError) {
        // The rename would replace whatever the path names: follow a symlink to its file, and
        // refuse a device or a folder (as root, renaming onto /dev/null would replace it).
        let (target, problem) = resolveTarget(path)
        if let problem { throw AtomicWriteError(path: path, reason: problem) }
        removeStalePartials(of: target)
        let temporary = target + ".partial-\(getpid())"
        do { try body(temporary) } catch {
            unlink(temporary)
            if let error = error as? AtomicWriteError { throw error }
            throw AtomicWriteError(path: path, reason: "\(error)")
        }
        // The data must be on disk before the rename makes it the file: otherwise a power cut
        // can leave the new name pointing at nothing.
        let descriptor = open(temporary, O_RDONLY | O_CLOEXEC)
        var failure: Int32 = descriptor < 0 ? errno : 0
        if descriptor >= 0 {
            if fsync(descriptor) != 0 { failure = errno }
            close(descriptor)
        }
        if failure == 0 && rename(temporary, target) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw AtomicWriteError(path: path, reason: String(cString: strerror(failure)))
        }
    }

    /// The file a write to `path` should replace: symlinks followed (even to a file not yet
    /// there), and a problem when what is there is not a regular file (a device, a folder).
    public static func resolveTarget(_ path: String) -> (path: String, problem: String?) {
        var current = path
        for _ in 0..<16 {
            guard let type = (try? FileManager.default.attributesOfItem(atPath: current))?[.type] as? FileAttributeType else {
                return (current, nil)   // nothing there yet
            }
            guard type == .typeSymbolicLink else {
                return (current, type == .typeRegular ? nil : "it is not a regular file (a device or a folder); name a file")
            }
            guard let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else { return (current, nil) }
            current = destination.hasPrefix("/") ? destination
                : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(destination)
        }
        return (current, "too many levels of symbolic links")
    }

    /// Removes what a killed writer left of `path`. A SIGKILL cannot be caught, so the next write
    /// to the same file tidies up after it.
    static func removeStalePartials(of path: String) {
        let folder = (path as NSString).deletingLastPathComponent, prefix = (path as NSString).lastPathComponent + ".partial-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink((folder as NSString).appendingPathComponent(name))
        }
    }
}
