// AtomicFile: a write replaces the file whole or leaves it as it was, tidies what a killed writer
// left, and refuses what is not a regular file.
import Foundation
import Support
import Testing

/// A fresh folder for each test (a class suite: one instance per test), removed after it.
@Suite final class AtomicFileTests {
    let dir: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    deinit { try? FileManager.default.removeItem(at: dir) }

    @Test func aWriteReplacesTheFileWhole() throws {
        let path = dir.appendingPathComponent("a.bin").path
        try AtomicFile.write(Data("old".utf8), to: path)
        try AtomicFile.write(Data("new contents".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new contents")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.bin"])
    }

    /// A writer that fails part way leaves the old file and no temporary file.
    @Test func aFailedWriteLeavesTheOldFile() throws {
        let path = dir.appendingPathComponent("b.bin").path
        try AtomicFile.write(Data("kept".utf8), to: path)
        struct Interrupted: Error {}
        #expect(throws: AtomicWriteError.self) {
            try AtomicFile.write(to: path) { temporary in
                try Data("half".utf8).write(to: URL(fileURLWithPath: temporary))
                throw Interrupted()
            }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "kept")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["b.bin"])
    }

    /// What a killed writer (a process that is gone) left is removed by the next write.
    @Test func stalePartialFilesOfDeadWritersAreRemoved() throws {
        let path = dir.appendingPathComponent("c.bin").path
        // A process id that cannot exist (above the kernel's limit of 2^22).
        let stale = path + ".partial-9999999"
        try Data("stale".utf8).write(to: URL(fileURLWithPath: stale))
        try AtomicFile.write(Data("c".utf8), to: path)
        #expect(!FileManager.default.fileExists(atPath: stale))
    }

    @Test func aFolderIsNotReplaced() throws {
        #expect { try AtomicFile.write(Data(), to: dir.path) } throws: { "\($0)".contains("not a regular file") }
        #expect { try AtomicFile.write(Data(), to: "/nonexistent-folder/x") } throws: {
            "\($0)".contains("cannot write '/nonexistent-folder/x': No such file or directory")
        }
    }

    /// Writes through a symbolic link replace the file it names, not the link.
    @Test func aLinkIsFollowed() throws {
        let target = dir.appendingPathComponent("target.bin").path, link = dir.appendingPathComponent("link.bin").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.bin")
        try AtomicFile.write(Data("through".utf8), to: link)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "through")
        #expect((try FileManager.default.attributesOfItem(atPath: link))[.type] as? FileAttributeType == .typeSymbolicLink)
    }

    @Test func theGeneratorRepeatsFromItsSeed() {
        var a = SeededGenerator(seed: 5), b = SeededGenerator(seed: 5), c = SeededGenerator(seed: 6)
        let first = (0..<4).map { _ in a.next() }
        #expect(first == (0..<4).map { _ in b.next() })
        #expect(first != (0..<4).map { _ in c.next() })
        // SplitMix64's published first output for seed 0.
        var zero = SeededGenerator(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
    }
}
