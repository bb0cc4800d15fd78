import QZooCore
import Yams

/// A pipeline file as written, before validation: its name, description and stages, each with
/// the YAML nodes kept so that every later error can point at a line.
struct PipelineSpec {
    var file: String
    /// The exact bytes of the file (bundles carry them as `pipeline.yaml`).
    var text: String
    var name: String
    var description: String
    var stages: [StageSpec]
}

/// One stage as written: `id`, `pass`, `needs`, `with`, `targets`, `ignore`.
struct StageSpec {
    var id: String
    var pass: String
    var needs: [(id: String, location: SpecLocation)]
    var with: [(key: String, keyNode: Node, value: Node)]
    var targets: [String]
    var ignore: [String]
    var location: SpecLocation
    var passLocation: SpecLocation
}

/// Reads the YAML structure of a pipeline file; checks shapes and names, not passes or the graph.
enum PipelineSpecReader {
    static let topLevelKeys = ["name", "description", "stages"]
    static let stageKeys = ["id", "pass", "needs", "with", "targets", "ignore"]

    static func read(text: String, file: String) throws -> PipelineSpec {
        let root = try compose(text, file: file)
        let top = try mapping(root, keys: topLevelKeys, file: file, stage: nil)
        let name = try identifier(top["name"], what: "name", file: file, at: root, stage: nil)
        let description = try optionalString(top["description"], what: "description", file: file, stage: nil) ?? ""
        guard let stagesNode = top["stages"] else { throw SpecLocation(file: file, node: root).error("the pipeline has no 'stages' list") }
        guard case .sequence(let list) = stagesNode, !list.isEmpty else {
            throw SpecLocation(file: file, node: stagesNode).error("'stages' must be a non-empty list of stages")
        }
        return PipelineSpec(file: file, text: text, name: name, description: description,
                            stages: try list.map { try stage($0, file: file) })
    }

    static func compose(_ text: String, file: String) throws -> Node {
        do {
            guard let root = try Yams.compose(yaml: text) else { throw SpecLocation(file: file, line: 0).error("the file is empty") }
            return root
        } catch let error as YamlError {
            throw yamlError(error, file: file)
        }
    }

    static func yamlError(_ error: YamlError, file: String) -> QZooError {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return SpecLocation(file: file, line: mark.line).error("not valid YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return SpecLocation(file: file, line: context.mark.line).error("key '\(duplicates.joined(separator: "', '"))' appears twice in one mapping")
        default:
            return SpecLocation(file: file, line: 0).error("not valid YAML: \(error)")
        }
    }

    static func stage(_ node: Node, file: String) throws -> StageSpec {
        let location = SpecLocation(file: file, node: node)
        let stageID = node.mapping?["id"]?.string
        let map = try mapping(node, keys: stageKeys, file: file, stage: stageID)
        let id = try identifier(map["id"], what: "id", file: file, at: node, stage: nil)
        guard let passNode = map["pass"], let pass = passNode.scalar?.string, !pass.isEmpty else {
            throw location.error("no 'pass' (which transformation this stage runs)", stage: id)
        }
        let with = try parameters(map["with"], file: file, stage: id)
        return StageSpec(id: id, pass: pass, needs: try needs(map["needs"], file: file, stage: id), with: with,
                         targets: try patterns(map["targets"], file: file, stage: id),
                         ignore: try patterns(map["ignore"], file: file, stage: id),
                         location: location, passLocation: SpecLocation(file: file, node: passNode))
    }

    /// The node as a mapping with string keys from `keys` only.
    static func mapping(_ node: Node, keys: [String], file: String, stage: String?) throws -> Node.Mapping {
        guard case .mapping(let map) = node else {
            throw SpecLocation(file: file, node: node).error("expected a mapping of \(keys.joined(separator: ", "))", stage: stage)
        }
        for key in map.keys {
            guard let text = key.string, keys.contains(text) else {
                throw SpecLocation(file: file, node: key).error("unknown key '\(key.string ?? "?")'; expected one of: \(keys.joined(separator: ", "))", stage: stage)
            }
        }
        return map
    }

    /// Names of pipelines and stages: what is safe in a file name and readable in a log.
    static func identifier(_ node: Node?, what: String, file: String, at parent: Node, stage: String?) throws -> String {
        guard let node else { throw SpecLocation(file: file, node: parent).error("missing '\(what)'", stage: stage) }
        guard let text = node.scalar?.string, isIdentifier(text) else {
            throw SpecLocation(file: file, node: node).error("'\(what)' must be letters, digits, '-', '_' or '.', starting with a letter or digit", stage: stage)
        }
        return text
    }

    static func isIdentifier(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let isAlphanumeric = { (byte: UInt8) in (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
        guard let first = bytes.first, isAlphanumeric(first), bytes.count <= 64 else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    static func optionalString(_ node: Node?, what: String, file: String, stage: String?) throws -> String? {
        guard let node else { return nil }
        guard let text = node.scalar?.string else { throw SpecLocation(file: file, node: node).error("'\(what)' must be text", stage: stage) }
        return text
    }

    static func strings(_ node: Node?, what: String, file: String, stage: String) throws -> [(String, SpecLocation)] {
        guard let node else { return [] }
        let items: [Node]
        switch node {
        case .sequence(let list): items = Array(list)
        case .scalar: items = [node]
        default: throw SpecLocation(file: file, node: node).error("'\(what)' must be a list", stage: stage)
        }
        return try items.map { item in
            guard let text = item.scalar?.string else { throw SpecLocation(file: file, node: item).error("'\(what)' entries must be text", stage: stage) }
            return (text, SpecLocation(file: file, node: item))
        }
    }

    static func needs(_ node: Node?, file: String, stage: String) throws -> [(id: String, location: SpecLocation)] {
        try strings(node, what: "needs", file: file, stage: stage).map { (id: $0.0, location: $0.1) }
    }

    static func patterns(_ node: Node?, file: String, stage: String) throws -> [String] {
        try strings(node, what: "targets/ignore", file: file, stage: stage).map { pattern, location in
            do { _ = try Regex(pattern) } catch {
                throw location.error("'\(pattern)' is not a valid regular expression: \(error)", stage: stage)
            }
            return pattern
        }
    }

    static func parameters(_ node: Node?, file: String, stage: String) throws -> [(key: String, keyNode: Node, value: Node)] {
        guard let node else { return [] }
        guard case .mapping(let map) = node else {
            throw SpecLocation(file: file, node: node).error("'with' must be a mapping of parameter: value", stage: stage)
        }
        return try map.map { key, value in
            guard let name = key.string else { throw SpecLocation(file: file, node: key).error("parameter names must be text", stage: stage) }
            return (name, key, value)
        }
    }
}
