import QZooCore

/// One file inside a bundle, as the manifest records it.
public struct BundleMember: Sendable, Equatable {
    public var path: String
    public var sha256: String
    public var size: Int

    public init(path: String, sha256: String, size: Int) {
        self.path = path
        self.sha256 = sha256
        self.size = size
    }
}

/// `manifest.json`: the bundle's table of contents and provenance (formats/bundle.md).
///
/// The format module owns the parts it checks (format name and version, the member list with
/// checksums); what the producer records about the model (`body`: model and pipeline names,
/// input hashes, tensor summaries) is carried as JSON, so a new summary field needs no change here.
public struct BundleManifest: Sendable {
    public static let fileName = "manifest.json"
    public static let formatName = "qzoo-bundle"
    public static let formatVersion = 1

    public var members: [BundleMember]
    /// Producer fields, written as members of the manifest's top-level object.
    public var body: [(key: String, value: JSONValue)]

    public init(members: [BundleMember], body: [(key: String, value: JSONValue)]) {
        self.members = members
        self.body = body
    }

    public subscript(key: String) -> JSONValue? { body.first { $0.key == key }?.value }

    /// Canonical JSON (sorted keys, no whitespace) followed by a newline.
    public func json() -> String {
        let files = JSONValue.array(members.map { member in
            .object([("path", .string(member.path)), ("sha256", .string(member.sha256)), ("size", .int(member.size))])
        })
        let fixed: [(key: String, value: JSONValue)] = [
            ("format", .string(Self.formatName)), ("format_version", .int(Self.formatVersion)), ("members", files),
        ]
        return JSONWriter.serialize(.object(fixed + body.filter { !Self.reservedKeys.contains($0.key) })) + "\n"
    }

    static let reservedKeys: Set<String> = ["format", "format_version", "members"]

    /// Parses and checks a manifest read from bundle `path`.
    public static func parse(_ bytes: [UInt8], file path: String) throws -> BundleManifest {
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch let error as QZooError {
            throw QZooError.malformed("manifest.json is not valid JSON: \(error.message)", file: path)
        }
        guard let members = document.objectMembers else { throw QZooError.malformed("manifest.json is not a JSON object", file: path) }
        guard document["format"]?.stringValue == formatName else {
            throw QZooError.malformed("manifest.json does not name the format \"\(formatName)\"", file: path)
        }
        guard let version = document["format_version"]?.intValue, version == formatVersion else {
            throw QZooError.unsupported("bundle format version \(document["format_version"].map { JSONWriter.serialize($0) } ?? "missing"); this qzoo reads version \(formatVersion)", file: path)
        }
        guard let list = document["members"]?.arrayValue else { throw QZooError.malformed("manifest.json has no \"members\" array", file: path) }
        let parsed = try list.map { try member($0, file: path) }
        return BundleManifest(members: parsed, body: members.filter { !reservedKeys.contains($0.key) })
    }

    static func member(_ value: JSONValue, file path: String) throws -> BundleMember {
        guard let name = value["path"]?.stringValue, let digest = value["sha256"]?.stringValue,
              let size = value["size"]?.intValue, size >= 0, SHA256Digest.isWellFormed(digest) else {
            throw QZooError.malformed("manifest.json has a member without a path, a 64-digit sha256 and a size: \(JSONWriter.serialize(value))", file: path)
        }
        try BundlePath.validate(name, file: path)
        return BundleMember(path: name, sha256: digest, size: size)
    }
}
