#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import QZooCore

/// The strict JSON parser must throw or return a value that re-serialises and re-parses to itself.
runLibFuzzer { data, size in
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    let text = JSONWriter.serialize(value, keys: .preserve)
    guard let again = try? JSONParser.parse(Array(text.utf8)), again == value else {
        print("round trip mismatch for \(text)")
        abort()
    }
    return 0
}
