import QZooCore

/// What `BundleVerifier` found: the manifest and the members, every one of which matched.
public struct BundleVerification: Sendable {
    public var manifest: BundleManifest
    /// The members in archive order, manifest.json included.
    public var members: [BundleMember]
}

/// Checks a bundle end to end: the seal over every byte, the zstd frame and its checksum, the tar
/// structure, and each member's size and SHA-256 against `manifest.json`, which must list every
/// member except itself, exactly once. Any damaged byte fails one of these.
public enum BundleVerifier {
    public static func verify(path: String, limits: BundleLimits = BundleLimits()) throws -> BundleVerification {
        var manifestBytes: [UInt8]?
        let reader = BundleReader(path: path, limits: limits)
        let members = try reader.scan { name, size in
            guard name == BundleManifest.fileName else { return nil }
            guard size <= limits.maxManifestSize else {
                throw QZooError(.limitExceeded, "manifest.json declares \(size) bytes, over the \(limits.maxManifestSize)-byte limit", file: path)
            }
            manifestBytes = []
            return { manifestBytes?.append(contentsOf: $0) }
        }
        guard let manifestBytes else { throw QZooError.malformed("the bundle has no manifest.json", file: path) }
        let manifest = try BundleManifest.parse(manifestBytes, file: path)
        try compare(manifest: manifest, found: members.filter { $0.path != BundleManifest.fileName }, file: path)
        return BundleVerification(manifest: manifest, members: members)
    }

    /// Every member the manifest lists is present with its size and digest, and nothing else is.
    static func compare(manifest: BundleManifest, found: [BundleMember], file path: String) throws {
        var expected: [String: BundleMember] = [:]
        for member in manifest.members {
            guard expected.updateValue(member, forKey: member.path) == nil else {
                throw QZooError.malformed("manifest.json lists '\(member.path)' twice", file: path)
            }
        }
        for member in found {
            guard let listed = expected.removeValue(forKey: member.path) else {
                throw QZooError(.checksumMismatch, "member '\(member.path)' is not listed in manifest.json", file: path)
            }
            guard listed.size == member.size else {
                throw QZooError(.checksumMismatch, "member '\(member.path)' has \(member.size) bytes; manifest.json records \(listed.size)", file: path)
            }
            guard listed.sha256 == member.sha256 else {
                throw QZooError(.checksumMismatch, "member '\(member.path)' hashes to \(member.sha256); manifest.json records \(listed.sha256)", file: path)
            }
        }
        if let missing = expected.keys.sorted().first {
            throw QZooError(.checksumMismatch, "manifest.json lists '\(missing)', which the bundle does not hold", file: path)
        }
    }
}
