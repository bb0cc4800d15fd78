import QZooCore

/// The mapping between tensor names and relative `.npy` paths, shared by `.npz` members and
/// directories of `.npy` files: tensor `a/b` ↔ `a/b.npy`.
///
/// Slashes in tensor names are kept (numpy keeps them in npz keys), so a name is a relative path
/// and must not be able to leave its archive or directory: it must be non-empty, not absolute,
/// free of NUL and backslashes, and every `/`-separated component must be non-empty and neither
/// `.` nor `..`.
enum NpyMemberPath {
    static let suffix = ".npy"

    /// Why `name` is not a safe relative path, or nil when it is.
    static func problem(with name: String) -> String? {
        if name.isEmpty { return "the name is empty" }
        if name.hasPrefix("/") { return "the name is an absolute path" }
        if name.contains("\0") || name.contains("\\") { return "the name contains a NUL byte or a backslash" }
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            return "the name has an empty, '.' or '..' path component"
        }
        return nil
    }

    /// The tensor name for an npz member `name.npy`; other members and unsafe names are errors.
    static func tensorName(forMember member: String) throws -> String {
        guard member.hasSuffix(suffix) else {
            throw QZooError.unsupported("member '\(member)' is not a .npy array; a checkpoint npz holds only .npy members")
        }
        if let problem = problem(with: member) {
            throw QZooError.malformed("member name '\(member)' is unsafe: \(problem)")
        }
        let name = String(member.dropLast(suffix.count))
        guard !name.isEmpty, !name.hasSuffix("/") else {
            throw QZooError.malformed("member '\(member)' has no array name before .npy")
        }
        return name
    }

    /// The member or file path for tensor `name`.
    static func path(forTensor name: String) throws -> String {
        if let problem = problem(with: name) {
            throw QZooError(.invalidArgument, "cannot store this tensor as a .npy path: \(problem)", tensor: name)
        }
        return name + suffix
    }
}
