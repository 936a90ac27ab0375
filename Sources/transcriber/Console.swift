// Console: writing messages for the user to standard error, apart from the program's output.
import Foundation

/// Writes `message` and a newline to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// A problem with what the user asked for, said in a sentence that includes what to do.
/// ArgumentParser prints it as "Error: ..." and exits with status 1.
struct UserError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
