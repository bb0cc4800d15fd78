/// The error every qzoo library module throws.
///
/// A message must let the user act without a debugger: it names the file, the tensor (when there
/// is one) and what was expected. `code` lets callers and tests branch on the kind of failure
/// without parsing text.
public struct QZooError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// The input is not well-formed for its format (bad header, bad offsets, bad JSON...).
        case malformed
        /// Well-formed, but uses something qzoo does not support (a dtype, a version...).
        case unsupported
        /// The input is valid but exceeds a safety limit (header size, member count, zip bomb).
        case limitExceeded
        /// A stored checksum does not match the data.
        case checksumMismatch
        /// The user asked for something inconsistent (bad option value, overwrite without --force).
        case invalidArgument
        /// The operating system refused an I/O operation.
        case io
    }

    public var code: Code
    public var message: String
    public var file: String?
    public var tensor: String?

    public init(_ code: Code, _ message: String, file: String? = nil, tensor: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.tensor = tensor
    }

    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let tensor { parts.append("tensor '\(tensor)'") }
        parts.append(message)
        return parts.joined(separator: ": ")
    }

    /// The same error, attributed to `file` unless it already names one.
    public func inFile(_ path: String) -> QZooError {
        var copy = self
        if copy.file == nil { copy.file = path }
        return copy
    }

    /// The same error, attributed to `name` unless it already names a tensor.
    public func inTensor(_ name: String) -> QZooError {
        var copy = self
        if copy.tensor == nil { copy.tensor = name }
        return copy
    }
}

extension QZooError {
    public static func malformed(_ message: String, file: String? = nil, tensor: String? = nil) -> QZooError {
        QZooError(.malformed, message, file: file, tensor: tensor)
    }

    public static func unsupported(_ message: String, file: String? = nil, tensor: String? = nil) -> QZooError {
        QZooError(.unsupported, message, file: file, tensor: tensor)
    }

    public static func io(_ message: String, file: String? = nil) -> QZooError {
        QZooError(.io, message, file: file)
    }
}
