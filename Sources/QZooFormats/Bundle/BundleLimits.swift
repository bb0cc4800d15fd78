/// Safety limits for reading a bundle from an untrusted source: a tar header may declare any
/// size, so these are checked before a member's data is read or written.
public struct BundleLimits: Sendable {
    public var maxMemberSize: Int
    public var maxTotalSize: Int
    public var maxMembers: Int
    /// `manifest.json` is read into memory, so it has its own, small limit.
    public var maxManifestSize: Int

    public init(maxMemberSize: Int = 256 << 30, maxTotalSize: Int = 1 << 40, maxMembers: Int = 100_000,
                maxManifestSize: Int = 64 << 20) {
        self.maxMemberSize = maxMemberSize
        self.maxTotalSize = maxTotalSize
        self.maxMembers = maxMembers
        self.maxManifestSize = maxManifestSize
    }
}
