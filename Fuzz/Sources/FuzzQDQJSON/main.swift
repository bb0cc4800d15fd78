import FuzzSupport
import QZooCore
import QZooFormats

/// A QDQ JSON document must validate (types, shapes, opsets, block sizes) or throw.
runLibFuzzer { data, size in
    _ = try? QDQJSONReader.validateDocument(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}
